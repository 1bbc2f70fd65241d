#include "media/image_header.h"

#include <cstdlib>
#include <string>
#include <string_view>

namespace wf::media {
namespace {

// The first bytes of the file: enough for every header but JPEG's, whose frame header may follow metadata.
class Head {
 public:
  explicit Head(std::istream& in) {
    in.read(bytes_.data(), static_cast<std::streamsize>(bytes_.size()));
    size_ = static_cast<std::size_t>(in.gcount());
  }
  bool has(std::size_t count) const { return size_ >= count; }
  bool at(std::size_t offset, std::string_view text) const {
    return has(offset + text.size()) && std::string_view(bytes_.data() + offset, text.size()) == text;
  }
  std::uint32_t u8(std::size_t i) const { return static_cast<unsigned char>(bytes_[i]); }
  std::uint32_t be32(std::size_t i) const { return u8(i) << 24 | u8(i + 1) << 16 | u8(i + 2) << 8 | u8(i + 3); }
  std::uint32_t le16(std::size_t i) const { return u8(i) | u8(i + 1) << 8; }
  std::uint32_t le24(std::size_t i) const { return le16(i) | u8(i + 2) << 16; }
  std::uint32_t le32(std::size_t i) const { return le24(i) | u8(i + 3) << 24; }

 private:
  std::string bytes_ = std::string(30, '\0');
  std::size_t size_ = 0;
};

// Segments from just after SOI until the first frame header (SOF0-SOF15 but DHT, JPG and DAC).
std::optional<DeclaredSize> jpeg_frame(std::istream& in) {
  in.clear();
  in.seekg(2);
  while (in) {
    if (in.get() != 0xFF) return std::nullopt;
    int marker = in.get();
    while (marker == 0xFF) marker = in.get();                                 // fill bytes
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) continue;       // markers without a length
    if (marker < 0 || marker == 0xD9 || marker == 0xDA) return std::nullopt;  // the end, or scan data first
    const int high = in.get(), low = in.get();
    const int length = high << 8 | low;
    if (high < 0 || low < 0 || length < 2) return std::nullopt;
    if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC) {
      unsigned char frame[5];  // precision, height, width
      if (!in.read(reinterpret_cast<char*>(frame), 5)) return std::nullopt;
      return DeclaredSize{std::uint32_t{frame[3]} << 8 | frame[4], std::uint32_t{frame[1]} << 8 | frame[2]};
    }
    in.seekg(length - 2, std::ios::cur);
  }
  return std::nullopt;
}

}  // namespace

std::optional<DeclaredSize> read_declared_size(std::istream& in) {
  const Head head(in);
  if (head.at(0, "\x89PNG\r\n\x1a\n") && head.at(12, "IHDR") && head.has(24)) {
    return DeclaredSize{head.be32(16), head.be32(20)};
  }
  if (head.at(0, "\xFF\xD8")) return jpeg_frame(in);
  if (head.at(0, "RIFF") && head.at(8, "WEBP")) {
    if (head.at(12, "VP8X") && head.has(30)) return DeclaredSize{head.le24(24) + 1, head.le24(27) + 1};
    if (head.at(12, "VP8 ") && head.at(23, "\x9D\x01\x2A") && head.has(30)) {
      return DeclaredSize{head.le16(26) & 0x3FFF, head.le16(28) & 0x3FFF};
    }
    if (head.at(12, "VP8L") && head.at(20, "\x2F") && head.has(25)) {
      const std::uint32_t bits = head.le32(21);
      return DeclaredSize{(bits & 0x3FFF) + 1, (bits >> 14 & 0x3FFF) + 1};
    }
    return std::nullopt;
  }
  if (head.at(0, "BM") && head.has(26)) {
    if (head.le32(14) == 12) return DeclaredSize{head.le16(18), head.le16(20)};  // OS/2 BITMAPCOREHEADER
    // BITMAPINFOHEADER and later: signed, a negative height for rows stored top-down.
    const auto width = static_cast<std::int32_t>(head.le32(18)), height = static_cast<std::int32_t>(head.le32(22));
    return DeclaredSize{static_cast<std::uint32_t>(std::abs(static_cast<std::int64_t>(width))),
                        static_cast<std::uint32_t>(std::abs(static_cast<std::int64_t>(height)))};
  }
  return std::nullopt;
}

}  // namespace wf::media
