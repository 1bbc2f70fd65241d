#pragma once
// The initializers of an ONNX file, read straight from its protobuf wire format (ModelProto.graph.initializer),
// for the one thing OpenCV's DNN importer does not hand back: inswapper's embedding map, stored as the graph's
// last initializer (FaceFusion and InsightFace read it the same way).

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace wf::swap {

struct OnnxTensor {
  std::string name;
  std::vector<std::int64_t> dims;
  std::vector<float> values;  // FLOAT tensors (raw_data or float_data); empty for other types
};

// Every initializer in file order. Throws wf::Error(corrupt_file) naming the file when it is not an ONNX model.
std::vector<OnnxTensor> read_onnx_initializers(const std::filesystem::path& path);

}  // namespace wf::swap
