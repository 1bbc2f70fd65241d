#include "media/image_io.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/atomic_file.h"
#include "core/error.h"

namespace wf::media {

namespace {

cv::Mat decode(const std::filesystem::path& path, int flags) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    throw Error(ErrorCode::not_found, "image not found", path, "check the path");
  }
  cv::Mat image;
  try {
    image = cv::imread(path.string(), flags);
  } catch (const cv::Exception& e) {
    throw Error(ErrorCode::invalid_input, std::string("cannot decode the image: ") + e.err, path,
                "convert it to PNG or JPEG");
  }
  if (image.empty()) {
    throw Error(ErrorCode::invalid_input, "not an image WatserFace can read (or the file is damaged)", path,
                "use a JPEG, PNG, WebP or BMP file");
  }
  return image;
}

}  // namespace

cv::Mat read_image(const std::filesystem::path& path) { return decode(path, cv::IMREAD_COLOR); }

cv::Mat read_mask(const std::filesystem::path& path) { return decode(path, cv::IMREAD_GRAYSCALE); }

void write_image(const std::filesystem::path& path, const cv::Mat& image) {
  std::vector<unsigned char> bytes;
  try {
    if (!cv::imencode(path.extension().string(), image, bytes)) {
      throw Error(ErrorCode::invalid_input, "cannot encode an image as " + path.extension().string(), path,
                  "use .png or .jpg");
    }
  } catch (const cv::Exception& e) {
    throw Error(ErrorCode::invalid_input, std::string("cannot encode the image: ") + e.err, path, "use .png or .jpg");
  }
  core::AtomicFile file(path);
  file.write(std::as_bytes(std::span(bytes.data(), bytes.size())));
  file.commit();
}

}  // namespace wf::media
