#pragma once
// Step 4 of the wizard: the target video walked frame by frame; each frame where the target dataset tracked the
// face is swapped by the engine in the face's aligned crop and pasted back through its mask (XSeg when applied,
// painted where the user corrected it, else the hull); every other frame passes through untouched. The result
// keeps the input's size, frame rate, frame count and audio streams, carries the provenance mark, and is written
// with a report beside it (<output>.swap.json) that review reads. Started as several ranks (WORLD_SIZE > 1), the
// ranks share the frames out (swap/swap_shards.h).

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <opencv2/core/mat.hpp>
#include <string>
#include <vector>

#include "core/events.h"
#include "media/video_writer.h"
#include "swap/swap_options.h"

namespace wf::swap {

struct SwapSummary {
  std::int64_t frames = 0, swapped = 0;
  std::filesystem::path output, report;
  std::string video_codec;
  std::size_t audio_streams = 0;
  double seconds = 0;
  // In a swap shared out over ranks (swap/swap_shards.h): this rank, their number, and where its share starts.
  // A rank other than 0 reports its share: `output` is its part and `report` is empty.
  int rank = 0, ranks = 1;
  std::int64_t first_frame = 0;
};

SwapSummary swap_video(const SwapOptions& options, core::EventSink* events = nullptr,
                       const std::atomic<bool>* cancel = nullptr);

// The video a target dataset was extracted from, checked to be there and unchanged (by size); throws wf::Error
// naming the dataset or the video and the fix.
std::filesystem::path target_video(const std::filesystem::path& target_dataset);

struct SwappedFrame {
  cv::Mat original, swapped;
};

// One frame, swapped as the whole run would swap it (frames without the face come back as they are), and the
// frame as it was: the wizard's before/after preview.
SwappedFrame swap_frame(const SwapOptions& options, std::int64_t frame_index);

// How a swapped video is written: the size of its first decoded frame, the rate and audio streams of `audio_from`
// (probed as `info`), the provenance tags unless turned off, FFV1 when lossless.
media::VideoWriterOptions swapped_video_options(const std::filesystem::path& output, const cv::Mat& first_frame,
                                                const media::MediaInfo& info, const std::filesystem::path& audio_from,
                                                bool provenance, bool lossless);

// The metadata every output carries unless the user turns it off: container tags of a video, and the text of a
// photo (PNG tEXt / JPEG comment).
std::map<std::string, std::string> provenance_tags();
std::map<std::string, std::string> provenance_text();

}  // namespace wf::swap
