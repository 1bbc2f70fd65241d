#include "media/image_io.h"

#include <zlib.h>

#include <cctype>
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

namespace {

std::vector<unsigned char> encode(const std::filesystem::path& path, const cv::Mat& image) {
  std::vector<unsigned char> bytes;
  try {
    if (!cv::imencode(path.extension().string(), image, bytes)) {
      throw Error(ErrorCode::invalid_input, "cannot encode an image as " + path.extension().string(), path,
                  "use .png or .jpg");
    }
  } catch (const cv::Exception& e) {
    throw Error(ErrorCode::invalid_input, std::string("cannot encode the image: ") + e.err, path, "use .png or .jpg");
  }
  return bytes;
}

void put_u32(std::vector<unsigned char>& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<unsigned char>(v >> shift));
}

// PNG: tEXt chunks right after IHDR (8-byte signature + 25-byte IHDR chunk).
void add_png_text(std::vector<unsigned char>& png, const std::map<std::string, std::string>& text) {
  std::vector<unsigned char> chunks;
  for (const auto& [key, value] : text) {
    std::vector<unsigned char> chunk{'t', 'E', 'X', 't'};
    chunk.insert(chunk.end(), key.begin(), key.end());
    chunk.push_back(0);
    chunk.insert(chunk.end(), value.begin(), value.end());
    put_u32(chunks, static_cast<std::uint32_t>(chunk.size() - 4));
    chunks.insert(chunks.end(), chunk.begin(), chunk.end());
    put_u32(chunks, static_cast<std::uint32_t>(crc32(0L, chunk.data(), static_cast<uInt>(chunk.size()))));
  }
  png.insert(png.begin() + 33, chunks.begin(), chunks.end());
}

// JPEG: one COM segment right after SOI.
void add_jpeg_comment(std::vector<unsigned char>& jpeg, const std::map<std::string, std::string>& text) {
  std::string comment;
  for (const auto& [key, value] : text) comment += key + ": " + value + "\n";
  comment.resize(std::min<std::size_t>(comment.size(), 65533));
  std::vector<unsigned char> segment{0xFF, 0xFE, static_cast<unsigned char>((comment.size() + 2) >> 8),
                                     static_cast<unsigned char>((comment.size() + 2) & 0xFF)};
  segment.insert(segment.end(), comment.begin(), comment.end());
  jpeg.insert(jpeg.begin() + 2, segment.begin(), segment.end());
}

void write_bytes(const std::filesystem::path& path, const std::vector<unsigned char>& bytes) {
  core::AtomicFile file(path);
  file.write(std::as_bytes(std::span(bytes.data(), bytes.size())));
  file.commit();
}

}  // namespace

std::string lowercase_extension(const std::filesystem::path& path) {
  std::string extension = path.extension().string();
  for (auto& c : extension) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return extension;
}

bool is_image_file(const std::filesystem::path& path) {
  const std::string e = lowercase_extension(path);
  return e == ".png" || e == ".jpg" || e == ".jpeg" || e == ".webp" || e == ".bmp";
}

void write_image(const std::filesystem::path& path, const cv::Mat& image) { write_bytes(path, encode(path, image)); }

void write_image(const std::filesystem::path& path, const cv::Mat& image, const std::map<std::string, std::string>& text) {
  std::vector<unsigned char> bytes = encode(path, image);
  const bool png = bytes.size() > 33 && bytes[1] == 'P' && bytes[2] == 'N' && bytes[3] == 'G';
  const bool jpeg = bytes.size() > 2 && bytes[0] == 0xFF && bytes[1] == 0xD8;
  if (png) add_png_text(bytes, text);
  if (jpeg) add_jpeg_comment(bytes, text);
  write_bytes(path, bytes);
}

}  // namespace wf::media
