#include "media/image_io.h"

#include <zlib.h>

#include <atomic>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/atomic_file.h"
#include "core/error.h"
#include "media/image_header.h"

namespace wf::media {

namespace {

std::atomic<std::uint64_t> max_pixels{100'000'000};

// "1024", "100.1": millions of pixels, rounded up to a tenth so a size just over the limit does not read as equal.
std::string megapixels_text(std::uint64_t pixels) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f", std::ceil(static_cast<double>(pixels) / 1e5) / 10);
  std::string out = text;
  if (out.ends_with(".0")) out.resize(out.size() - 2);
  return out;
}

void refuse_over_limit(const DeclaredSize& size, const std::string& name, const std::filesystem::path& path) {
  if (size.pixels() <= max_pixels) return;
  throw Error(ErrorCode::invalid_input,
              name + " is " + std::to_string(size.width) + "x" + std::to_string(size.height) + " pixels (" +
                  megapixels_text(size.pixels()) + " megapixels), over the limit of " + megapixels_text(max_pixels),
              path, "scale it down, or raise max_image_megapixels in the settings file");
}

Error unreadable(const std::filesystem::path& path) {
  return Error(ErrorCode::invalid_input, "not an image WatserFace can read (or the file is damaged)", path,
               "use a JPEG, PNG, WebP or BMP file");
}

cv::Mat decode(const std::filesystem::path& path, int flags) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    throw Error(ErrorCode::not_found, "image not found", path, "check the path");
  }
  std::ifstream header(path, std::ios::binary);
  // No other format reaches a decoder, whose allocation nothing would bound.
  if (!check_image_pixels(header, "'" + path.filename().string() + "'", path)) throw unreadable(path);
  cv::Mat image;
  try {
    image = cv::imread(path.string(), flags);
  } catch (const cv::Exception& e) {
    throw Error(ErrorCode::invalid_input, std::string("cannot decode the image: ") + e.err, path,
                "convert it to PNG or JPEG");
  }
  if (image.empty()) throw unreadable(path);
  return image;
}

}  // namespace

void set_max_image_megapixels(int megapixels) {
  max_pixels = std::uint64_t{1'000'000} * static_cast<std::uint64_t>(megapixels);
}

bool check_image_pixels(std::istream& in, const std::string& name, const std::filesystem::path& path) {
  const std::optional<DeclaredSize> size = read_declared_size(in);
  if (size) refuse_over_limit(*size, name, path);
  return size.has_value();
}

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
