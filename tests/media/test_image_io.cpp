#include <gtest/gtest.h>
#include <zlib.h>

#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "media/image_io.h"
#include "support/temp_dir.h"

namespace wf::media {
namespace {

// A PNG that declares width x height pixels but carries no pixel data.
std::string png_header_only(std::uint32_t width, std::uint32_t height) {
  auto be32 = [](std::uint32_t v) {
    return std::string{char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
  };
  std::string ihdr = "IHDR" + be32(width) + be32(height) + std::string("\x08\x02\x00\x00\x00", 5);
  const auto crc = crc32(0, reinterpret_cast<const Bytef*>(ihdr.data()), static_cast<uInt>(ihdr.size()));
  std::string iend = "IEND";
  const auto iend_crc = crc32(0, reinterpret_cast<const Bytef*>(iend.data()), 4);
  return std::string("\x89PNG\r\n\x1a\n", 8) + be32(13) + ihdr + be32(static_cast<std::uint32_t>(crc)) + be32(0) +
         iend + be32(static_cast<std::uint32_t>(iend_crc));
}

void expect_read_error(const std::filesystem::path& path, ErrorCode code) {
  try {
    read_image(path);
    FAIL() << path << " was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    EXPECT_EQ(e.path(), path);
    EXPECT_FALSE(e.hint().empty());
  }
}

TEST(ImageIo, RoundTripsLosslessPng) {
  test::TempDir dir;
  cv::Mat image(37, 53, CV_8UC3);
  cv::randu(image, 0, 255);
  write_image(dir / "x.png", image);
  const cv::Mat back = read_image(dir / "x.png");
  EXPECT_EQ(cv::norm(image, back, cv::NORM_INF), 0);
}

TEST(ImageIo, GreyImagesBecomeColour) {
  test::TempDir dir;
  write_image(dir / "grey.png", cv::Mat(8, 8, CV_8UC1, cv::Scalar(77)));
  const cv::Mat back = read_image(dir / "grey.png");
  EXPECT_EQ(back.type(), CV_8UC3);
  EXPECT_EQ(back.at<cv::Vec3b>(3, 3), cv::Vec3b(77, 77, 77));
}

TEST(ImageIo, BadFilesGiveOneClearError) {
  test::TempDir dir;
  expect_read_error(dir / "absent.jpg", ErrorCode::not_found);
  test::write_text(dir / "empty.jpg", "");
  expect_read_error(dir / "empty.jpg", ErrorCode::invalid_input);
  test::write_text(dir / "text.png", "this is not a picture");
  expect_read_error(dir / "text.png", ErrorCode::invalid_input);
  test::write_text(dir / "huge.png", png_header_only(20000, 20000));  // 400 megapixels declared, none stored
  expect_read_error(dir / "huge.png", ErrorCode::invalid_input);
  test::write_text(dir / "absurd.png", png_header_only(200000, 200000));  // over OpenCV's pixel limit
  expect_read_error(dir / "absurd.png", ErrorCode::invalid_input);
  std::filesystem::create_directories(dir / "folder.png");
  expect_read_error(dir / "folder.png", ErrorCode::not_found);
}

TEST(ImageIo, UnknownExtensionCannotBeWritten) {
  test::TempDir dir;
  EXPECT_THROW(write_image(dir / "x.unknown", cv::Mat(4, 4, CV_8UC3)), Error);
  EXPECT_FALSE(std::filesystem::exists(dir / "x.unknown"));
}

}  // namespace
}  // namespace wf::media
