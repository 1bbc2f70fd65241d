#pragma once
// Everything a swap run is told: the datasets, the engine and its settings, how the face is pasted back and how
// the video is written. The settings' names, defaults and ranges are options/swap_options.h's; swap_options_of
// types them once, wherever they were given (flags, a job's settings). The swap report keeps the whole struct
// (nlohmann's to_json/from_json, made from the field lists) so that review can re-run a frame exactly as
// the swap did, then with adjusted settings.

#include <filesystem>
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "swap/generative_engine.h"
#include "swap/swap_engines.h"
#include "swap/warp_engine.h"

namespace wf::swap {

struct SwapOptions {
  std::filesystem::path source;      // the source dataset (watserface extract --source)
  std::filesystem::path target;      // the target dataset (watserface extract --target); its card names the video
  std::filesystem::path output;      // .mp4 (H.264), .mov or .mkv
  EngineKind engine{};
  WarpOptions warp;                  // the offline engine's
  GenerativeOptions generative;      // the generative engine's
  std::filesystem::path onnx_model;  // the ONNX engine's inswapper_128-style file
  int feather{};                     // paste-back ramp in crop pixels; < 0: crop size / 32
  double mask_grow{};                // the face mask dilated by this share of the crop side (< 0: eroded)
  bool smoothing{};                  // One Euro over the track (track_smoothing.h): steadier faces, less flicker
  bool provenance = true;            // the "made with WatserFace" metadata
  bool lossless = false;             // FFV1 in .mkv: an intermediate that decodes bit for bit (review repairs from it)
};

// The swap settings as options::swap_option_schema() resolves them (every engine's, flat; one missing takes its
// default), typed; the datasets and output are left empty. Throws wf::Error(invalid_input) for an engine or colour mode
// that does not exist.
SwapOptions swap_options_of(const nlohmann::json& resolved);
// The schema's defaults, typed (the offline engine).
SwapOptions default_swap_options();

// The whole struct, paths made absolute: what the swap report keeps.
nlohmann::json swap_options_to_json(const SwapOptions& options);
// The inverse; throws wf::Error(corrupt_file) naming `file` when a value has the wrong type.
SwapOptions swap_options_from_json(const nlohmann::json& values, const std::filesystem::path& file);

}  // namespace wf::swap
