#pragma once
// Everything a swap run is told: the datasets, the engine and its settings, how the face is pasted back and how
// the video is written. The swap report keeps them (swap_options_to_json) so that review can re-run a frame
// exactly as the swap did, then with adjusted settings.

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
  EngineKind engine = EngineKind::offline;
  WarpOptions warp;                  // the offline engine's
  GenerativeOptions generative;      // the generative engine's
  std::filesystem::path onnx_model;  // the ONNX engine's inswapper_128-style file
  int feather = -1;                  // paste-back ramp in crop pixels; < 0: crop size / 32
  double mask_grow = 0;              // the face mask dilated by this share of the crop side (< 0: eroded)
  bool provenance = true;            // the "made with WatserFace" metadata
  bool lossless = false;             // FFV1 in .mkv: an intermediate that decodes bit for bit (review repairs from it)
  bool smooth_landmarks = true;      // One Euro over the track (track_smoothing.h): steadier faces, less flicker
};

// What decides the pixels (engine, settings, paste-back, smoothing), paths absolute; the output's container
// settings (output, lossless, provenance) are left out.
nlohmann::json swap_options_to_json(const SwapOptions& options);
// The inverse; throws wf::Error(corrupt_file) naming `file` when a value has the wrong type.
SwapOptions swap_options_from_json(const nlohmann::json& values, const std::filesystem::path& file);

}  // namespace wf::swap
