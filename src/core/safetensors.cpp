#include "core/safetensors.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>

#include "core/atomic_file.h"
#include "core/error.h"

namespace wf::core {

static_assert(std::endian::native == std::endian::little, "safetensors data is little-endian");

namespace {

struct DTypeEntry {
  DType dtype;
  std::string_view name;
  std::size_t size;
};

constexpr std::array<DTypeEntry, 15> kDTypes{{
    {DType::BOOL, "BOOL", 1}, {DType::U8, "U8", 1},     {DType::I8, "I8", 1},   {DType::F8_E5M2, "F8_E5M2", 1},
    {DType::F8_E4M3, "F8_E4M3", 1}, {DType::I16, "I16", 2}, {DType::U16, "U16", 2}, {DType::F16, "F16", 2},
    {DType::BF16, "BF16", 2}, {DType::I32, "I32", 4},   {DType::U32, "U32", 4}, {DType::F32, "F32", 4},
    {DType::F64, "F64", 8},   {DType::I64, "I64", 8},   {DType::U64, "U64", 8},
}};

const std::string kHint = "the file is damaged or not a safetensors file: download or export it again";

Error corrupt(const std::filesystem::path& source, const std::string& what) {
  return Error(ErrorCode::corrupt_file, "invalid safetensors file: " + what, source, kHint);
}

std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::string text = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) text += (i ? "," : "") + std::to_string(shape[i]);
  return text + "]";
}

// Element count x element size, or nullopt on overflow.
std::optional<std::uint64_t> byte_length(const std::vector<std::int64_t>& shape, DType dtype) {
  std::uint64_t count = 1;
  for (std::int64_t dim : shape) {
    if (dim < 0 || __builtin_mul_overflow(count, static_cast<std::uint64_t>(dim), &count)) return std::nullopt;
  }
  std::uint64_t bytes = 0;
  if (__builtin_mul_overflow(count, dtype_size(dtype), &bytes)) return std::nullopt;
  return bytes;
}

std::uint64_t read_u64_le(std::span<const std::byte> bytes) {
  std::uint64_t value = 0;
  std::memcpy(&value, bytes.data(), sizeof(value));
  return value;
}

// Parses the header JSON, refusing duplicate top-level keys (nlohmann would keep the last one silently).
nlohmann::json parse_header_json(std::string_view text, const std::filesystem::path& source) {
  std::set<std::string> seen;
  std::string duplicate;
  auto on_event = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    if (event == nlohmann::json::parse_event_t::key && depth == 1 && !seen.insert(parsed.get<std::string>()).second &&
        duplicate.empty()) {
      duplicate = parsed.get<std::string>();
    }
    return true;
  };
  nlohmann::json root;
  try {
    root = nlohmann::json::parse(text, on_event);
  } catch (const nlohmann::json::exception& e) {
    throw corrupt(source, std::string("header is not valid UTF-8 JSON (") + e.what() + ")");
  }
  if (!duplicate.empty()) throw corrupt(source, "header names '" + duplicate + "' twice");
  if (!root.is_object()) throw corrupt(source, "header is not a JSON object");
  return root;
}

std::uint64_t unsigned_field(const nlohmann::json& value, const std::string& tensor, const char* field,
                             const std::filesystem::path& source) {
  if (!value.is_number_unsigned()) {
    throw corrupt(source, "tensor '" + tensor + "': " + field + " must hold non-negative integers");
  }
  return value.get<std::uint64_t>();
}

TensorInfo parse_tensor_entry(const std::string& name, const nlohmann::json& entry, const std::filesystem::path& source) {
  if (!entry.is_object()) throw corrupt(source, "tensor '" + name + "' is not described by a JSON object");
  const auto dtype_it = entry.find("dtype");
  const auto shape_it = entry.find("shape");
  const auto offsets_it = entry.find("data_offsets");
  if (dtype_it == entry.end() || shape_it == entry.end() || offsets_it == entry.end()) {
    throw corrupt(source, "tensor '" + name + "' lacks one of dtype, shape, data_offsets");
  }
  if (!dtype_it->is_string()) throw corrupt(source, "tensor '" + name + "': dtype is not a string");
  const auto dtype = parse_dtype(dtype_it->get<std::string>());
  if (!dtype) {
    throw Error(ErrorCode::unsupported, "tensor '" + name + "' has dtype '" + dtype_it->get<std::string>() +
                                            "', which WatserFace cannot read", source,
                "convert the file to F32, F16 or BF16 with the tool that made it");
  }
  if (!shape_it->is_array()) throw corrupt(source, "tensor '" + name + "': shape is not an array");
  if (!offsets_it->is_array() || offsets_it->size() != 2) {
    throw corrupt(source, "tensor '" + name + "': data_offsets is not a pair [begin, end]");
  }
  TensorInfo info;
  info.dtype = *dtype;
  for (const auto& dim : *shape_it) {
    const std::uint64_t value = unsigned_field(dim, name, "shape", source);
    if (value > static_cast<std::uint64_t>(INT64_MAX)) throw corrupt(source, "tensor '" + name + "': shape is too large");
    info.shape.push_back(static_cast<std::int64_t>(value));
  }
  info.begin = unsigned_field((*offsets_it)[0], name, "data_offsets", source);
  info.end = unsigned_field((*offsets_it)[1], name, "data_offsets", source);
  if (info.end < info.begin) throw corrupt(source, "tensor '" + name + "': data_offsets end before they begin");
  const auto bytes = byte_length(info.shape, info.dtype);
  if (!bytes) throw corrupt(source, "tensor '" + name + "': shape " + shape_text(info.shape) + " overflows");
  if (*bytes != info.end - info.begin) {
    throw corrupt(source, "tensor '" + name + "': shape " + shape_text(info.shape) + " of " +
                              std::string(to_string(info.dtype)) + " needs " + std::to_string(*bytes) +
                              " bytes but data_offsets span " + std::to_string(info.end - info.begin));
  }
  return info;
}

SafetensorsMetadata parse_metadata(const nlohmann::json& value, const std::filesystem::path& source) {
  if (!value.is_object()) throw corrupt(source, "__metadata__ is not a JSON object");
  SafetensorsMetadata metadata;
  for (const auto& [key, item] : value.items()) {
    if (!item.is_string()) throw corrupt(source, "__metadata__ value for '" + key + "' is not a string");
    metadata[key] = item.get<std::string>();
  }
  return metadata;
}

}  // namespace

std::string_view to_string(DType dtype) { return kDTypes[static_cast<std::size_t>(dtype)].name; }

std::optional<DType> parse_dtype(std::string_view text) {
  for (const auto& entry : kDTypes) {
    if (entry.name == text) return entry.dtype;
  }
  return std::nullopt;
}

std::size_t dtype_size(DType dtype) { return kDTypes[static_cast<std::size_t>(dtype)].size; }

std::int64_t TensorInfo::numel() const {
  std::int64_t count = 1;
  for (std::int64_t dim : shape) count *= dim;
  return count;
}

SafetensorsHeader SafetensorsHeader::parse(std::span<const std::byte> file, const std::filesystem::path& source) {
  if (file.size() < 8) {
    throw corrupt(source, "the file is " + std::to_string(file.size()) + " bytes, too short for the 8-byte header length");
  }
  const std::uint64_t header_length = read_u64_le(file);
  if (header_length > kSafetensorsMaxHeaderBytes) {
    throw corrupt(source, "header length " + std::to_string(header_length) + " exceeds the 100 MB limit");
  }
  if (header_length > file.size() - 8) {
    throw corrupt(source, "header length " + std::to_string(header_length) + " runs past the end of the file (" +
                              std::to_string(file.size()) + " bytes; truncated?)");
  }
  const std::string_view text(reinterpret_cast<const char*>(file.data() + 8), header_length);
  if (text.empty() || text.front() != '{') throw corrupt(source, "header does not start with '{'");
  const nlohmann::json root = parse_header_json(text, source);

  SafetensorsHeader header;
  header.data_offset = 8 + header_length;
  std::vector<std::pair<std::uint64_t, std::string>> order;
  for (const auto& [key, value] : root.items()) {
    if (key == "__metadata__") {
      header.metadata = parse_metadata(value, source);
      continue;
    }
    TensorInfo info = parse_tensor_entry(key, value, source);
    order.emplace_back(info.begin, key);
    header.tensors.emplace(key, std::move(info));
  }
  // Sorting by (begin, end) puts empty tensors before a non-empty one at the same offset, as the writer does.
  std::sort(order.begin(), order.end(), [&](const auto& a, const auto& b) {
    const TensorInfo& left = header.tensors.at(a.second);
    const TensorInfo& right = header.tensors.at(b.second);
    return std::tie(left.begin, left.end, a.second) < std::tie(right.begin, right.end, b.second);
  });
  std::uint64_t expected_begin = 0;
  std::string previous;
  for (const auto& [begin, name] : order) {
    const TensorInfo& info = header.tensors.at(name);
    if (info.begin < expected_begin) throw corrupt(source, "tensors '" + previous + "' and '" + name + "' overlap");
    if (info.begin > expected_begin) {
      throw corrupt(source, "a gap of " + std::to_string(info.begin - expected_begin) + " bytes lies before tensor '" +
                                name + "'");
    }
    expected_begin = info.end;
    previous = name;
    header.names.push_back(name);
  }
  const std::uint64_t data_size = file.size() - header.data_offset;
  if (expected_begin != data_size) {
    throw corrupt(source, "tensors cover " + std::to_string(expected_begin) + " bytes but the data section holds " +
                              std::to_string(data_size) + (expected_begin > data_size ? " (truncated?)" : ""));
  }
  return header;
}

SafetensorsFile::SafetensorsFile(const std::filesystem::path& path)
    : file_(path), header_(SafetensorsHeader::parse(file_.bytes(), path)) {}

const TensorInfo& SafetensorsFile::info(const std::string& name) const {
  const auto it = header_.tensors.find(name);
  if (it == header_.tensors.end()) {
    throw Error(ErrorCode::not_found, "tensor '" + name + "' is not in this file", path(),
                "check that the file holds the model you meant to load");
  }
  return it->second;
}

std::span<const std::byte> SafetensorsFile::data(const std::string& name) const {
  const TensorInfo& tensor = info(name);
  return file_.bytes().subspan(header_.data_offset + tensor.begin, tensor.end - tensor.begin);
}

std::string make_safetensors_header(std::vector<TensorBytes>& tensors, const SafetensorsMetadata& metadata) {
  std::sort(tensors.begin(), tensors.end(), [](const TensorBytes& a, const TensorBytes& b) {
    if (a.dtype != b.dtype) return a.dtype > b.dtype;
    return a.name < b.name;
  });
  nlohmann::ordered_json root = nlohmann::ordered_json::object();
  if (!metadata.empty()) root["__metadata__"] = metadata;
  std::uint64_t offset = 0;
  for (const TensorBytes& tensor : tensors) {
    if (tensor.name.empty() || tensor.name == "__metadata__") {
      throw Error(ErrorCode::invalid_input, "a tensor cannot be named '" + tensor.name + "' in a safetensors file");
    }
    if (root.contains(tensor.name)) {
      throw Error(ErrorCode::invalid_input, "tensor '" + tensor.name + "' is given twice");
    }
    const auto bytes = byte_length(tensor.shape, tensor.dtype);
    if (!bytes || *bytes != tensor.data.size()) {
      throw Error(ErrorCode::internal, "tensor '" + tensor.name + "': " + std::to_string(tensor.data.size()) +
                                           " bytes do not match shape " + shape_text(tensor.shape) + " of " +
                                           std::string(to_string(tensor.dtype)));
    }
    root[tensor.name] = {{"dtype", std::string(to_string(tensor.dtype))},
                         {"shape", tensor.shape},
                         {"data_offsets", {offset, offset + *bytes}}};
    offset += *bytes;
  }
  std::string header;
  try {
    header = root.dump();
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCode::invalid_input, std::string("tensor names and metadata must be UTF-8 (") + e.what() + ")");
  }
  header.append((8 - header.size() % 8) % 8, ' ');
  return header;
}

namespace {
std::array<std::byte, 8> length_prefix(std::uint64_t length) {
  std::array<std::byte, 8> bytes{};
  std::memcpy(bytes.data(), &length, sizeof(length));
  return bytes;
}
}  // namespace

std::vector<std::byte> serialize_safetensors(std::vector<TensorBytes> tensors, const SafetensorsMetadata& metadata) {
  const std::string header = make_safetensors_header(tensors, metadata);
  std::vector<std::byte> out;
  const auto prefix = length_prefix(header.size());
  out.insert(out.end(), prefix.begin(), prefix.end());
  const auto header_bytes = std::as_bytes(std::span(header.data(), header.size()));
  out.insert(out.end(), header_bytes.begin(), header_bytes.end());
  for (const TensorBytes& tensor : tensors) out.insert(out.end(), tensor.data.begin(), tensor.data.end());
  return out;
}

void write_safetensors(const std::filesystem::path& path, std::vector<TensorBytes> tensors,
                       const SafetensorsMetadata& metadata) {
  const std::string header = make_safetensors_header(tensors, metadata);
  AtomicFile file(path);
  file.write(length_prefix(header.size()));
  file.write(header);
  for (const TensorBytes& tensor : tensors) file.write(tensor.data);
  file.commit();
}

}  // namespace wf::core
