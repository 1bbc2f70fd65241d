#pragma once
// A PNG of a few dozen bytes that declares width x height pixels and stores none: to a decoder that trusts its
// header, a decompression bomb.

#include <zlib.h>

#include <cstdint>
#include <string>

namespace wf::test {

inline std::string png_declaring(std::uint32_t width, std::uint32_t height) {
  auto be32 = [](std::uint32_t v) { return std::string{char(v >> 24), char(v >> 16), char(v >> 8), char(v)}; };
  auto chunk = [&](const std::string& type_and_data) {  // length, type, data, CRC of type and data
    const auto* bytes = reinterpret_cast<const Bytef*>(type_and_data.data());
    const auto crc = static_cast<std::uint32_t>(crc32(0, bytes, static_cast<uInt>(type_and_data.size())));
    return be32(static_cast<std::uint32_t>(type_and_data.size() - 4)) + type_and_data + be32(crc);
  };
  const std::string rgb8 = std::string("\x08\x02\x00\x00\x00", 5);  // depth, colour type, methods
  return std::string("\x89PNG\r\n\x1a\n", 8) + chunk("IHDR" + be32(width) + be32(height) + rgb8) + chunk("IEND");
}

}  // namespace wf::test
