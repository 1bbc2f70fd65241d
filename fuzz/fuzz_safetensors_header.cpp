// A safetensors file as it arrives from a user: its header is parsed and validated before any tensor is touched.
// Whatever the bytes, the parser either accepts a header whose every tensor lies inside the data, or refuses the
// file with a wf::Error.

#include <cstddef>
#include <cstdint>
#include <span>

#include "core/error.h"
#include "core/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::byte> file(reinterpret_cast<const std::byte*>(data), size);
  try {
    const auto header = wf::core::SafetensorsHeader::parse(file, "fuzz.safetensors");
    for (const auto& [name, info] : header.tensors) {
      if (info.begin > info.end || header.data_offset + info.end > size) __builtin_trap();  // out of bounds
    }
  } catch (const wf::Error&) {
  }
  return 0;
}
