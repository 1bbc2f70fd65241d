#include "face/onnx_net.h"

#include "core/error.h"

namespace wf::face {

cv::dnn::Net load_onnx_net(const std::filesystem::path& model, std::string_view what, std::string_view missing_hint) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(model, ec)) {
    throw Error(ErrorCode::missing_model, "the " + std::string(what) + " is missing", model, std::string(missing_hint));
  }
  try {
    return cv::dnn::readNetFromONNX(model.string());
  } catch (const cv::Exception& e) {
    throw Error(ErrorCode::corrupt_file, "cannot load the " + std::string(what) + ": " + e.err, model,
                "download the model again; it may be truncated or not an ONNX file");
  }
}

}  // namespace wf::face
