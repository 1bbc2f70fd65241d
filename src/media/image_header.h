#pragma once
// The pixel size an image file declares, read from its header without decoding it. OpenCV 4.6 has no public way to
// ask, and a file of a few kilobytes may declare a picture of gigabytes that its decoder allocates before failing.

#include <cstdint>
#include <istream>
#include <optional>

namespace wf::media {

struct DeclaredSize {
  std::uint32_t width = 0, height = 0;
  std::uint64_t pixels() const { return std::uint64_t{width} * height; }
};

// PNG (IHDR), JPEG (its first SOFn frame header), WebP (VP8, VP8L or VP8X) and BMP, read from the stream's start;
// nullopt for any other format, or a header cut short.
std::optional<DeclaredSize> read_declared_size(std::istream& in);

}  // namespace wf::media
