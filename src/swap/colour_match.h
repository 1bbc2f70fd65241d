#pragma once
// Colour transfer of a swapped face onto the target's light, as DeepFaceLab's merger offers it: Reinhard's
// mean/std matching in Lab, or per-channel histogram matching, each measured inside a mask only.

#include <opencv2/core/mat.hpp>
#include <string_view>

namespace wf::swap {

enum class ColourMode { none, lab_stats, histogram };
std::string_view to_string(ColourMode mode);
ColourMode parse_colour_mode(std::string_view text);  // "none" | "lab" | "histogram"; else invalid_input

// `source` (8-bit BGR) recoloured so that, inside `source_mask`, its colours follow those of `target` inside
// `target_mask` (8-bit masks, > 127 counts). Images of one size; pixels outside the source mask change too (by
// the same transfer), which the paste-back's mask then hides.
cv::Mat match_colours(const cv::Mat& source, const cv::Mat& source_mask, const cv::Mat& target,
                      const cv::Mat& target_mask, ColourMode mode);

}  // namespace wf::swap
