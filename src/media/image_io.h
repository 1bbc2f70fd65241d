#pragma once
// Still images in and out (OpenCV codecs: jpg, png, webp, bmp, tiff). 8-bit BGR in memory, as OpenCV has it.

#include <filesystem>
#include <istream>
#include <map>
#include <opencv2/core/mat.hpp>
#include <string>

namespace wf::media {

// A file name's extension in lower case (".JPG" -> ".jpg").
std::string lowercase_extension(const std::filesystem::path& path);
// Named like a still image OpenCV writes and reads (.png, .jpg, .jpeg, .webp, .bmp).
bool is_image_file(const std::filesystem::path& path);

// The most pixels a user's image may declare, in millions: the max_image_megapixels setting, for the whole process
// (100 until set).
void set_max_image_megapixels(int megapixels);
// Throws wf::Error(invalid_input) when the image whose header `in` starts at declares more pixels than that, before
// anything decodes it. `name` says what it is in the message ("'big.png'"); `path` is the file named, if any.
// False for a header that is not a JPEG, PNG, WebP or BMP one (its size unknown: a caller refuses it, or lets a
// decoder with limits of its own say what is wrong).
bool check_image_pixels(std::istream& in, const std::string& name, const std::filesystem::path& path = {});

// Decodes an image, applying its EXIF orientation; grey and alpha images become 3-channel BGR.
// Throws wf::Error: not_found, invalid_input (not a JPEG, PNG, WebP or BMP OpenCV can decode, empty, or more
// pixels than the limit).
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
