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

int CutClip::frames() const {
  return first_frame(shots.size());
}

int CutClip::first_frame(std::size_t shot) const {
  int first = 0;
  for (std::size_t i = 0; i < shot && i < shots.size(); ++i) first += shots[i].clip.frames;
  return first;
}

std::size_t CutClip::shot_of(int frame) const {
  std::size_t shot = 0;
  while (shot + 1 < shots.size() && frame >= first_frame(shot + 1)) ++shot;
  return shot;
}

cv::Mat CutClip::frame(int index) const {
  const std::size_t shot = shot_of(index);
  return shots[shot].clip.frame(index - first_frame(shot));
}

std::optional<cv::Point2f> CutClip::centre(int frame, const std::string& person) const {
  const std::size_t shot = shot_of(frame);
  const auto face = shots[shot].faces.find(person);
  if (face == shots[shot].faces.end()) return std::nullopt;
  return shots[shot].clip.moved(face->second, frame - first_frame(shot));
}

void CutClip::write(const std::filesystem::path& path) const {
  const cv::Mat first = frame(0);
  cv::VideoWriter writer(path.string(), cv::CAP_FFMPEG, cv::VideoWriter::fourcc('F', 'F', 'V', '1'), fps, first.size());
  if (!writer.isOpened()) throw std::runtime_error("cannot write " + path.string());
  for (int i = 0; i < frames(); ++i) writer.write(frame(i));
}

CutClip two_people_cut_clip() {
  // sample3.jpg's faces (full size, measured in tests/face/test_detect_embed.cpp): "left" centred at (675, 477),
  // "middle" at (1168, 365); each shot is 480x360.
  const cv::Point2f left(675, 477), middle(1168, 365);
  const auto shot = [&](double scale, cv::Rect crop, int frames, std::vector<std::string> people) {
    PanningClip clip;
    clip.photo = face_photos()[2].path;
    clip.scale = scale;
    clip.crop = crop;
    clip.frames = frames;
    clip.pan = 2;
    std::map<std::string, cv::Point2f> faces;
    for (const std::string& person : people) {
      faces[person] = (person == "left" ? left : middle) * static_cast<float>(scale) - cv::Point2f(crop.tl());
    }
    return CutClip::Shot{clip, faces};
  };
  CutClip clip;
  clip.shots = {shot(0.5, {260, 40, 480, 360}, 10, {"middle", "left"}), shot(0.75, {183, 216, 480, 360}, 6, {"left"}),
                shot(0.75, {636, 94, 480, 360}, 14, {"middle"}), shot(0.75, {200, 190, 480, 360}, 5, {"left"})};
  return clip;
}

}  // namespace wf::test
