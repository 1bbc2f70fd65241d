#include "swap/colour_match.h"

#include <array>
#include <opencv2/imgproc.hpp>

#include "core/enum_names.h"
#include "core/error.h"

namespace wf::swap {
namespace {

constexpr std::array<core::EnumName<ColourMode>, 3> kModes{
    {{ColourMode::none, "none"}, {ColourMode::lab_stats, "lab"}, {ColourMode::histogram, "histogram"}}};

cv::Mat lab_stats(const cv::Mat& source, const cv::Mat& source_mask, const cv::Mat& target,
                  const cv::Mat& target_mask) {
  cv::Mat source_lab, target_lab;
  source.convertTo(source_lab, CV_32FC3, 1.0 / 255);
  target.convertTo(target_lab, CV_32FC3, 1.0 / 255);
  cv::cvtColor(source_lab, source_lab, cv::COLOR_BGR2Lab);
  cv::cvtColor(target_lab, target_lab, cv::COLOR_BGR2Lab);
  cv::Scalar source_mean, source_std, target_mean, target_std;
  cv::meanStdDev(source_lab, source_mean, source_std, source_mask > 127);
  cv::meanStdDev(target_lab, target_mean, target_std, target_mask > 127);
  std::vector<cv::Mat> channels;
  cv::split(source_lab, channels);
  for (int c = 0; c < 3; ++c) {
    const double gain = source_std[c] > 1e-6 ? target_std[c] / source_std[c] : 1.0;
    channels[static_cast<std::size_t>(c)] =
        (channels[static_cast<std::size_t>(c)] - source_mean[c]) * gain + target_mean[c];
  }
  cv::Mat out;
  cv::merge(channels, out);
  cv::cvtColor(out, out, cv::COLOR_Lab2BGR);
  out.convertTo(out, CV_8UC3, 255.0);
  return out;
}

// The cumulative histogram of one 8-bit channel inside a mask, normalised to 1.
std::array<double, 256> cumulative(const cv::Mat& channel, const cv::Mat& mask) {
  cv::Mat counts;
  const int size = 256, channels = 0;
  const float range[] = {0, 256};
  const float* ranges[] = {range};
  cv::calcHist(&channel, 1, &channels, mask > 127, counts, 1, &size, ranges);
  std::array<double, 256> cdf{};
  double total = 0;
  for (std::size_t i = 0; i < cdf.size(); ++i) cdf[i] = total += counts.at<float>(static_cast<int>(i));
  for (auto& v : cdf) v = total > 0 ? v / total : 0;
  return cdf;
}

cv::Mat histogram(const cv::Mat& source, const cv::Mat& source_mask, const cv::Mat& target,
                  const cv::Mat& target_mask) {
  std::vector<cv::Mat> source_channels, target_channels;
  cv::split(source, source_channels);
  cv::split(target, target_channels);
  for (std::size_t c = 0; c < 3; ++c) {
    const auto from = cumulative(source_channels[c], source_mask), to = cumulative(target_channels[c], target_mask);
    cv::Mat table(1, 256, CV_8U);
    int j = 0;
    for (int i = 0; i < 256; ++i) {
      while (j < 255 && to[static_cast<std::size_t>(j)] < from[static_cast<std::size_t>(i)]) ++j;
      table.at<uchar>(i) = static_cast<uchar>(j);
    }
    cv::LUT(source_channels[c], table, source_channels[c]);
  }
  cv::Mat out;
  cv::merge(source_channels, out);
  return out;
}

}  // namespace

std::string_view to_string(ColourMode mode) {
  return core::enum_to_string(kModes, mode);
}
ColourMode parse_colour_mode(std::string_view text) {
  return core::parse_enum(kModes, text, "colour mode");
}

cv::Mat match_colours(const cv::Mat& source, const cv::Mat& source_mask, const cv::Mat& target,
                      const cv::Mat& target_mask, ColourMode mode) {
  if (cv::countNonZero(source_mask > 127) == 0 || cv::countNonZero(target_mask > 127) == 0) return source.clone();
  switch (mode) {
    case ColourMode::lab_stats: return lab_stats(source, source_mask, target, target_mask);
    case ColourMode::histogram: return histogram(source, source_mask, target, target_mask);
    case ColourMode::none: break;
  }
  return source.clone();
}

}  // namespace wf::swap
