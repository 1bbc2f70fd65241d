#pragma once
// Loading a user-provided ONNX model into OpenCV DNN, with the missing/corrupt errors every ONNX backend gives.

#include <filesystem>
#include <opencv2/dnn/dnn.hpp>
#include <string_view>

namespace wf::face {

// Throws wf::Error: missing_model (with `missing_hint`) or corrupt_file, both naming the file and `what`.
cv::dnn::Net load_onnx_net(const std::filesystem::path& model, std::string_view what, std::string_view missing_hint);

}  // namespace wf::face
