#pragma once
// A variable-frame-rate video made constant without losing a frame: every frame kept, in order, evenly spaced over
// the video's length. The swap needs even spacing to keep the timing; keeping every frame keeps a dataset
// extracted from the original valid for the copy (frame N is the same picture).

#include <filesystem>

#include "media/media_probe.h"

namespace wf::media {

// The even rate that keeps the frame count and the length: frames over duration, else the average rate.
double even_frame_rate(const MediaInfo& info);

// `video` re-timed at even_frame_rate into `output` (FFV1 in Matroska, lossless; audio copied), written beside it
// under a temporary name and renamed only when it holds every frame (media::check_written). Throws wf::Error
// naming the file: disk_full when the disk ran out, invalid_input when ffmpeg cannot read or re-time it.
void make_constant_rate(const std::filesystem::path& video, const std::filesystem::path& output);

}  // namespace wf::media
