#include <gtest/gtest.h>

#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <sstream>

#include "core/error.h"
#include "media/image_io.h"
#include "support/declared_png.h"
#include "support/temp_dir.h"

namespace wf::media {
namespace {

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
  test::write_text(dir / "huge.png", test::png_declaring(20000, 20000));  // 400 megapixels declared, none stored
  expect_read_error(dir / "huge.png", ErrorCode::invalid_input);
  test::write_text(dir / "absurd.png", test::png_declaring(200000, 200000));  // over OpenCV's pixel limit
  expect_read_error(dir / "absurd.png", ErrorCode::invalid_input);
  std::filesystem::create_directories(dir / "folder.png");
  expect_read_error(dir / "folder.png", ErrorCode::not_found);
}

TEST(ImageIo, UnknownExtensionCannotBeWritten) {
  test::TempDir dir;
  EXPECT_THROW(write_image(dir / "x.unknown", cv::Mat(4, 4, CV_8UC3)), Error);
  EXPECT_FALSE(std::filesystem::exists(dir / "x.unknown"));
}

// The process's peak resident memory (VmHWM), in bytes.
std::int64_t peak_rss() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("VmHWM:")) return std::stoll(line.substr(6)) * 1024;
  }
  return 0;
}

TEST(ImageIo, APhotoDeclaringGigapixelsIsRefusedFromItsHeaderBeforeAnyDecoding) {
  test::TempDir dir;
  test::write_text(dir / "big.png", test::png_declaring(32000, 32000));  // 3 GB of pixels declared in 57 bytes
  const std::int64_t before = peak_rss();
  try {
    read_image(dir / "big.png");
    FAIL() << "a 1024-megapixel PNG was decoded";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_input);
    EXPECT_EQ(e.message(), "'big.png' is 32000x32000 pixels (1024 megapixels), over the limit of 100") << e.what();
    EXPECT_EQ(e.hint(), "scale it down, or raise max_image_megapixels in the settings file");
    EXPECT_EQ(e.path(), dir / "big.png");
  }
  EXPECT_LT(peak_rss() - before, 64 << 20) << "the decoder allocated what the header declared";
  // The same check for an image held in memory (the painted mask the browser sends).
  std::istringstream mask(test::png_declaring(32000, 32000));
  try {
    check_image_pixels(mask, "the painted mask");
    FAIL() << "a 1024-megapixel mask passed";
  } catch (const Error& e) {
    EXPECT_EQ(e.message(), "the painted mask is 32000x32000 pixels (1024 megapixels), over the limit of 100");
  }
}

// Each format's header, as OpenCV's encoders write it, against a limit of one megapixel.
TEST(ImageIo, ThePixelLimitReadsEveryFormatsHeaderAndIsASetting) {
  test::TempDir dir;
  struct Default {
    ~Default() { set_max_image_megapixels(100); }
  } restored_after;
  set_max_image_megapixels(1);
  cv::Mat over(1000, 1001, CV_8UC3, cv::Scalar(20, 120, 220)), at_limit(1000, 1000, CV_8UC3, cv::Scalar(5, 6, 7));
  cv::Mat with_alpha(1000, 1001, CV_8UC4, cv::Scalar(20, 120, 220, 128));
  auto write = [&](const std::string& name, const cv::Mat& image, std::vector<int> params = {}) {
    std::vector<uchar> bytes;
    ASSERT_TRUE(cv::imencode(std::filesystem::path(name).extension().string(), image, bytes, params)) << name;
    test::write_text(dir / name, std::string(bytes.begin(), bytes.end()));
  };
  write("over.png", over);
  write("over.jpg", over);
  write_image(dir / "commented.jpg", over, {{"note", std::string(3000, 'x')}});  // a segment before the frame
  write("over.bmp", over);
  write("lossy.webp", over, {cv::IMWRITE_WEBP_QUALITY, 80});     // VP8
  write("lossless.webp", over, {cv::IMWRITE_WEBP_QUALITY, 101});  // VP8L
  write("alpha.webp", with_alpha, {cv::IMWRITE_WEBP_QUALITY, 80});  // VP8X
  for (const char* name : {"over.png", "over.jpg", "commented.jpg", "over.bmp", "lossy.webp", "lossless.webp",
                           "alpha.webp"}) {
    try {
      read_image(dir / name);
      ADD_FAILURE() << name << " was decoded over the limit";
    } catch (const Error& e) {
      EXPECT_EQ(e.message(), "'" + std::string(name) + "' is 1001x1000 pixels (1.1 megapixels), over the limit of 1")
          << e.what();
    }
  }
  write("at_limit.jpg", at_limit);
  write("at_limit.webp", at_limit);
  EXPECT_EQ(read_image(dir / "at_limit.jpg").size(), cv::Size(1000, 1000));
  EXPECT_EQ(read_image(dir / "at_limit.webp").size(), cv::Size(1000, 1000));
  set_max_image_megapixels(2);
  EXPECT_EQ(read_image(dir / "over.bmp").size(), cv::Size(1001, 1000));
}

}  // namespace
}  // namespace wf::media
