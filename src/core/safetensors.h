#pragma once
// The safetensors format (https://huggingface.co/docs/safetensors), read and written byte for byte as
// the reference implementation does: 8-byte little-endian header length, a compact JSON header
// (`__metadata__` first, then tensors in data order), space padding to 8 bytes, then the data.
// Writers sort tensors by dtype (largest alignment first) then name, like the reference, so a file
// we write is identical to the one Python's `safetensors.torch.save_file` writes for the same tensors.
// This layer knows bytes, not torch: core/state_dict.h converts to and from libtorch tensors.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/mapped_file.h"

namespace wf::core {

// In the format's own order, which the writer's sort follows (lower = smaller alignment).
enum class DType { BOOL, U8, I8, F8_E5M2, F8_E4M3, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64 };

std::string_view to_string(DType dtype);
std::optional<DType> parse_dtype(std::string_view text);
std::size_t dtype_size(DType dtype);

using SafetensorsMetadata = std::map<std::string, std::string>;

inline constexpr std::uint64_t kSafetensorsMaxHeaderBytes = 100'000'000;  // the reference's limit

struct TensorInfo {
  DType dtype = DType::F32;
  std::vector<std::int64_t> shape;
  std::uint64_t begin = 0;  // offsets into the data section
  std::uint64_t end = 0;
  std::int64_t numel() const;
};

// A validated header. Every check that guards memory access happens here, before any tensor is touched:
// sizes, UTF-8 JSON, duplicate keys, dtype names, shape x dtype = byte length, offsets in bounds,
// sorted without gaps or overlap and covering the whole data section.
struct SafetensorsHeader {
  SafetensorsMetadata metadata;
  std::vector<std::string> names;             // in data order
  std::map<std::string, TensorInfo> tensors;  // by name
  std::uint64_t data_offset = 0;              // 8 + header length

  // Throws wf::Error(corrupt_file / unsupported) naming `source` and what is wrong.
  static SafetensorsHeader parse(std::span<const std::byte> file, const std::filesystem::path& source);
};

// A memory-mapped safetensors file; tensors are views into the map.
class SafetensorsFile {
 public:
  explicit SafetensorsFile(const std::filesystem::path& path);

  const SafetensorsHeader& header() const { return header_; }
  const std::vector<std::string>& names() const { return header_.names; }
  const SafetensorsMetadata& metadata() const { return header_.metadata; }
  bool contains(const std::string& name) const { return header_.tensors.count(name) > 0; }
  const TensorInfo& info(const std::string& name) const;  // throws not_found naming the file
  std::span<const std::byte> data(const std::string& name) const;
  const std::filesystem::path& path() const { return file_.path(); }

 private:
  MappedFile file_;
  SafetensorsHeader header_;
};

// One tensor to write: its bytes, little-endian, C order.
struct TensorBytes {
  std::string name;
  DType dtype = DType::F32;
  std::vector<std::int64_t> shape;
  std::span<const std::byte> data;
};

// The padded header for these tensors (sorted in place into the reference's order).
std::string make_safetensors_header(std::vector<TensorBytes>& tensors, const SafetensorsMetadata& metadata);
std::vector<std::byte> serialize_safetensors(std::vector<TensorBytes> tensors, const SafetensorsMetadata& metadata = {});
// Atomic: the previous file at `path` survives any failure.
void write_safetensors(const std::filesystem::path& path, std::vector<TensorBytes> tensors,
                       const SafetensorsMetadata& metadata = {});

}  // namespace wf::core
