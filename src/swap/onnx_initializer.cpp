#include "swap/onnx_initializer.h"

#include <cstring>
#include <fstream>
#include <iterator>

#include "core/error.h"

namespace wf::swap {
namespace {

// Protobuf wire format: a key varint (field << 3 | type), then a varint, 8 bytes, a length-delimited run or 4 bytes.
class Reader {
 public:
  Reader(const char* begin, const char* end, const std::filesystem::path& path) : at_(begin), end_(end), path_(path) {}
  bool done() const { return at_ >= end_; }
  std::uint64_t varint() {
    std::uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (at_ >= end_) fail();
      const auto byte = static_cast<std::uint8_t>(*at_++);
      value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
      if (!(byte & 0x80)) return value;
    }
    fail();
  }
  Reader nested() {
    const std::uint64_t size = varint();
    if (size > static_cast<std::uint64_t>(end_ - at_)) fail();
    Reader inner(at_, at_ + size, path_);
    at_ += size;
    return inner;
  }
  void skip(std::uint32_t type) {
    switch (type) {
      case 0: varint(); break;
      case 1: advance(8); break;
      case 2: nested(); break;
      case 5: advance(4); break;
      default: fail();
    }
  }
  const char* position() const { return at_; }
  const char* end() const { return end_; }

 private:
  void advance(std::size_t n) {
    if (n > static_cast<std::size_t>(end_ - at_)) fail();
    at_ += n;
  }
  [[noreturn]] void fail() const {
    throw Error(ErrorCode::corrupt_file, "not an ONNX model (its protobuf is cut short or malformed)", path_,
                "use the .onnx file as it was published");
  }
  const char* at_;
  const char* end_;
  const std::filesystem::path& path_;
};

constexpr int kFloat = 1;  // TensorProto.DataType.FLOAT

OnnxTensor read_tensor(Reader tensor) {
  OnnxTensor out;
  int type = 0;
  while (!tensor.done()) {
    const std::uint64_t key = tensor.varint();
    const auto field = static_cast<std::uint32_t>(key >> 3), wire = static_cast<std::uint32_t>(key & 7);
    if (field == 1 && wire == 0) {
      out.dims.push_back(static_cast<std::int64_t>(tensor.varint()));
    } else if (field == 1 && wire == 2) {  // packed dims
      Reader packed = tensor.nested();
      while (!packed.done()) out.dims.push_back(static_cast<std::int64_t>(packed.varint()));
    } else if (field == 2 && wire == 0) {
      type = static_cast<int>(tensor.varint());
    } else if (field == 8 && wire == 2) {
      const Reader name = tensor.nested();
      out.name.assign(name.position(), name.end());
    } else if (field == 9 && wire == 2) {  // raw_data, little-endian
      const Reader raw = tensor.nested();
      out.values.resize(static_cast<std::size_t>(raw.end() - raw.position()) / sizeof(float));
      std::memcpy(out.values.data(), raw.position(), out.values.size() * sizeof(float));
    } else if (field == 4 && wire == 2) {  // packed float_data
      const Reader floats = tensor.nested();
      const std::size_t n = static_cast<std::size_t>(floats.end() - floats.position()) / sizeof(float);
      const std::size_t old = out.values.size();
      out.values.resize(old + n);
      std::memcpy(out.values.data() + old, floats.position(), n * sizeof(float));
    } else {
      tensor.skip(wire);
    }
  }
  if (type != kFloat) out.values.clear();
  return out;
}

}  // namespace

std::vector<OnnxTensor> read_onnx_initializers(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw Error(ErrorCode::not_found, "model file not found", path, "check the path (watserface doctor lists it)");
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Reader model(bytes.data(), bytes.data() + bytes.size(), path);
  std::vector<OnnxTensor> out;
  bool graph_seen = false;
  while (!model.done()) {
    const std::uint64_t key = model.varint();
    const auto field = static_cast<std::uint32_t>(key >> 3), wire = static_cast<std::uint32_t>(key & 7);
    if (field != 7 || wire != 2) {  // ModelProto.graph
      model.skip(wire);
      continue;
    }
    graph_seen = true;
    Reader graph = model.nested();
    while (!graph.done()) {
      const std::uint64_t graph_key = graph.varint();
      const auto graph_field = static_cast<std::uint32_t>(graph_key >> 3),
                 graph_wire = static_cast<std::uint32_t>(graph_key & 7);
      if (graph_field == 5 && graph_wire == 2)
        out.push_back(read_tensor(graph.nested()));  // GraphProto.initializer
      else
        graph.skip(graph_wire);
    }
  }
  if (!graph_seen) {
    throw Error(ErrorCode::corrupt_file, "not an ONNX model (no graph)", path,
                "use the .onnx file as it was published");
  }
  return out;
}

}  // namespace wf::swap
