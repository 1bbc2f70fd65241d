#pragma once
// The swap report (docs/formats/swap-report.md): written beside every swapped video, read by review to know
// which frames were swapped, from which inputs and with which settings.

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "swap/swap_options.h"

namespace wf::swap {

inline constexpr int kSwapReportVersion = 3;  // version 2 is read too

struct SwapReport {
  SwapOptions options;          // engine, settings and datasets (output, lossless as written)
  std::filesystem::path video;  // the target video the frames came from
  std::int64_t frames = 0;      // frames written
  std::string video_codec;
  std::size_t audio_streams = 0;
  nlohmann::json swapped = nlohmann::json::array();  // one {"frame", "face", "source_face", "mask"} per swapped frame
};

// <dir>/<stem>.swap.json for an output <dir>/<stem>.<ext>.
std::filesystem::path swap_report_path(const std::filesystem::path& output);

void write_swap_report(const SwapReport& report);  // to swap_report_path(report.options.output), atomically

// Throws wf::Error: not_found when `video` has no report beside it (the fix says how to make one); corrupt_file
// for a malformed one; unsupported for a report of another version.
SwapReport read_swap_report(const std::filesystem::path& video);

}  // namespace wf::swap
