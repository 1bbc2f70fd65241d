#pragma once
// Still images in and out (OpenCV codecs: jpg, png, webp, bmp, tiff). 8-bit BGR in memory, as OpenCV has it.

#include <filesystem>
#include <map>
#include <opencv2/core/mat.hpp>
#include <string>

namespace wf::media {

// A file name's extension in lower case (".JPG" -> ".jpg").
std::string lowercase_extension(const std::filesystem::path& path);
// Named like a still image OpenCV writes and reads (.png, .jpg, .jpeg, .webp, .bmp).
bool is_image_file(const std::filesystem::path& path);

// Decodes an image, applying its EXIF orientation; grey and alpha images become 3-channel BGR.
// Throws wf::Error: not_found, invalid_input (not an image OpenCV can decode, or empty).
cv::Mat read_image(const std::filesystem::path& path);
// A mask: 8-bit single channel (colour files are converted to grey). Same errors.
cv::Mat read_mask(const std::filesystem::path& path);

// Encodes by the file's extension and writes atomically.
void write_image(const std::filesystem::path& path, const cv::Mat& image);
// The same with text metadata: a PNG tEXt chunk per key, one JPEG comment segment ("key: value" lines); other
// formats carry none.
void write_image(const std::filesystem::path& path, const cv::Mat& image,
                 const std::map<std::string, std::string>& text);

}  // namespace wf::media
