#include "synthetic_clip.h"

#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <stdexcept>

#include "media/image_io.h"
#include "support/face_media.h"

namespace wf::test {

cv::Mat PanningClip::scene() const {
  cv::Mat image = media::read_image(photo);
  cv::resize(image, image, {}, scale, scale, cv::INTER_AREA);
  return crop.empty() ? image : image(crop).clone();
}

cv::Mat PanningClip::frame(int index) const { return render(scene(), index); }

cv::Mat PanningClip::render(const cv::Mat& image, int index) const {
  const cv::Mat pan_matrix = (cv::Mat_<double>(2, 3) << 1, 0, -pan * index, 0, 1, 0);
  cv::Mat out;
  cv::warpAffine(image, out, pan_matrix, image.size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  out.convertTo(out, -1, 1.0 - 0.01 * index, 2 * index);  // the light changes
  out.setTo(cv::Scalar(40, 45, 50), bar_mask(index, out.size()));
  if (hidden(index)) {
    const cv::Rect2f region = hidden_region - cv::Point2f(float(pan * index), 0.f);
    cv::rectangle(out, cv::Rect(cv::Rect2f(region.x - 20, region.y - 20, region.width + 40, region.height + 40)),
                  cv::Scalar::all(120), cv::FILLED);
  }
  return out;
}

cv::Mat PanningClip::bar_mask(int frame) const { return bar_mask(frame, scene().size()); }

cv::Mat PanningClip::bar_mask(int frame, cv::Size size) const {
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
  const cv::Mat image = scene();
  cv::VideoWriter writer(path.string(), cv::CAP_FFMPEG, cv::VideoWriter::fourcc('F', 'F', 'V', '1'), fps, image.size());
  if (!writer.isOpened()) throw std::runtime_error("cannot write " + path.string());
  for (int i = 0; i < frames; ++i) writer.write(render(image, i));
}

PanningClip group_photo_clip(int frames) {
  PanningClip clip;
  clip.photo = face_photos()[2].path;  // sample3.jpg: three people, the woman in the middle the largest
  clip.frames = frames;
  return clip;
}

}  // namespace wf::test
