#pragma once
// Step 4 of the wizard: the target video walked frame by frame; each frame where the target dataset tracked the
// face is swapped by the engine in the face's aligned crop and pasted back through its mask (XSeg when applied,
// painted where the user corrected it, else the hull); every other frame passes through untouched. The result
// keeps the input's size, frame rate, frame count and audio streams, carries the provenance mark, and is written
// with a report beside it (<output>.swap.json) that review reads.

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <opencv2/core/mat.hpp>
#include <string>
#include <vector>

#include "core/events.h"
#include "swap/generative_engine.h"
#include "swap/warp_engine.h"

namespace wf::swap {

struct SwapOptions {
  std::filesystem::path source;      // the source dataset (watserface extract --source)
  std::filesystem::path target;      // the target dataset (watserface extract --target); its card names the video
  std::filesystem::path output;      // .mp4 (H.264), .mov or .mkv
  std::string engine = "offline";    // offline | generative | onnx
  WarpOptions warp;                  // the offline engine's
  GenerativeOptions generative;      // the generative engine's
  std::filesystem::path onnx_model;  // the ONNX engine's inswapper_128-style file
  int feather = -1;                  // paste-back ramp in crop pixels; < 0: crop size / 32
  bool provenance = true;            // the "made with WatserFace" metadata
  bool lossless = false;             // FFV1 in .mkv: an intermediate that decodes bit for bit (review repairs from it)
  bool smooth_landmarks = true;      // One Euro over the track (track_smoothing.h): steadier faces, less flicker
};

struct SwapSummary {
  std::int64_t frames = 0, swapped = 0;
  std::filesystem::path output, report;
  std::string video_codec;
  std::size_t audio_streams = 0;
  double seconds = 0;
};

SwapSummary swap_video(const SwapOptions& options, core::EventSink* events = nullptr,
                       const std::atomic<bool>* cancel = nullptr);

// One frame, swapped as the whole run would swap it (frames without the face come back as they are): the
// wizard's preview.
cv::Mat swap_frame(const SwapOptions& options, std::int64_t frame_index);

// The metadata every output carries unless the user turns it off: container tags of a video, and the text of a
// photo (PNG tEXt / JPEG comment).
std::map<std::string, std::string> provenance_tags();
std::map<std::string, std::string> provenance_text();

}  // namespace wf::swap
