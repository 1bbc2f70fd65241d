#include "synthetic_clip.h"

#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <stdexcept>

#include "media/image_io.h"

namespace wf::test {

cv::Mat PanningClip::frame(int index) const {
  cv::Mat image = media::read_image(photo);
  cv::resize(image, image, {}, scale, scale, cv::INTER_AREA);
  if (!crop.empty()) image = image(crop).clone();
  const cv::Mat pan_matrix = (cv::Mat_<double>(2, 3) << 1, 0, -pan * index, 0, 1, 0);
  cv::Mat out;
  cv::warpAffine(image, out, pan_matrix, image.size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  out.convertTo(out, -1, 1.0 - 0.01 * index, 2 * index);  // the light changes
  out.setTo(cv::Scalar(40, 45, 50), bar_mask(index));
  if (hidden(index)) {
    const cv::Rect2f region = hidden_region - cv::Point2f(float(pan * index), 0.f);
    cv::rectangle(out, cv::Rect(cv::Rect2f(region.x - 20, region.y - 20, region.width + 40, region.height + 40)),
                  cv::Scalar::all(120), cv::FILLED);
  }
  return out;
}

cv::Mat PanningClip::bar_mask(int frame) const {
  cv::Mat image = media::read_image(photo);
  const cv::Size size = crop.empty() ? cv::Size(cvRound(image.cols * scale), cvRound(image.rows * scale)) : crop.size();
  cv::Mat mask = cv::Mat::zeros(size, CV_8U);
  if (frame < bar_from || frame > bar_to) return mask;
  const cv::Point2f corner = moved(bar_start + bar_velocity * float(frame - bar_from), frame);
  const cv::Point2f centre = corner + cv::Point2f(bar_size.width / 2, bar_size.height / 2);
  cv::ellipse(mask, cv::RotatedRect(centre, bar_size, 0.f), cv::Scalar(255), cv::FILLED);  // rounded ends
  cv::rectangle(mask, cv::Rect(cv::Rect2f(corner.x + bar_size.height / 2, corner.y, bar_size.width - bar_size.height, bar_size.height)),
                cv::Scalar(255), cv::FILLED);
  return mask;
}

void PanningClip::write(const std::filesystem::path& path) const {
  const cv::Mat first = frame(0);
  cv::VideoWriter writer(path.string(), cv::CAP_FFMPEG, cv::VideoWriter::fourcc('F', 'F', 'V', '1'), fps, first.size());
  if (!writer.isOpened()) throw std::runtime_error("cannot write " + path.string());
  writer.write(first);
  for (int i = 1; i < frames; ++i) writer.write(frame(i));
}

}  // namespace wf::test
