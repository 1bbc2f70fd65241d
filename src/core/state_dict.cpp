#include "core/state_dict.h"

#include <torch/torch.h>

#include <cstring>

#include "core/error.h"

namespace wf::core {
namespace {

std::optional<at::ScalarType> to_scalar_type(DType dtype) {
  switch (dtype) {
    case DType::BOOL: return at::kBool;
    case DType::U8: return at::kByte;
    case DType::I8: return at::kChar;
    case DType::I16: return at::kShort;
    case DType::F16: return at::kHalf;
    case DType::BF16: return at::kBFloat16;
    case DType::I32: return at::kInt;
    case DType::F32: return at::kFloat;
    case DType::F64: return at::kDouble;
    case DType::I64: return at::kLong;
    default: return std::nullopt;
  }
}

DType to_dtype(at::ScalarType type, const std::string& name) {
  switch (type) {
    case at::kBool: return DType::BOOL;
    case at::kByte: return DType::U8;
    case at::kChar: return DType::I8;
    case at::kShort: return DType::I16;
    case at::kHalf: return DType::F16;
    case at::kBFloat16: return DType::BF16;
    case at::kInt: return DType::I32;
    case at::kFloat: return DType::F32;
    case at::kDouble: return DType::F64;
    case at::kLong: return DType::I64;
    default:
      throw Error(ErrorCode::unsupported,
                  "tensor '" + name + "' has dtype " + std::string(c10::toString(type)) + ", which safetensors cannot store");
  }
}

template <typename Names>
std::string first_ten(const char* label, const Names& names) {
  if (names.empty()) return {};
  std::string text = std::string("\n  ") + label + " (" + std::to_string(names.size()) + "):";
  for (std::size_t i = 0; i < names.size() && i < 10; ++i) text += " " + names[i] + (i + 1 < names.size() ? "," : "");
  if (names.size() > 10) text += " ...";
  return text;
}

}  // namespace

std::string shape_text(at::IntArrayRef shape) {
  std::string text = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) text += (i ? "," : "") + std::to_string(shape[i]);
  return text + "]";
}

StateDict load_safetensors(const std::filesystem::path& path) {
  const SafetensorsFile file(path);
  StateDict tensors;
  for (const std::string& name : file.names()) {
    const TensorInfo& info = file.info(name);
    const auto type = to_scalar_type(info.dtype);
    if (!type) {
      throw Error(ErrorCode::unsupported,
                  "tensor '" + name + "' is stored as " + std::string(to_string(info.dtype)) +
                      ", which libtorch cannot hold",
                  path, "convert that tensor to a signed integer or float type with the tool that made the file");
    }
    at::Tensor tensor = at::empty(info.shape, at::TensorOptions().dtype(*type));
    const auto bytes = file.data(name);
    if (!bytes.empty()) std::memcpy(tensor.data_ptr(), bytes.data(), bytes.size());
    // A model that diverged in training saves NaN or infinity, and runs without an error: to black masks, or an
    // output identical to its input.
    if (tensor.is_floating_point() && !at::isfinite(tensor).all().item<bool>()) {
      throw Error(ErrorCode::corrupt_file, "tensor '" + name + "' holds NaN or infinite values: the weights are broken",
                  path, "train the model again (a lower learning rate if its loss diverged), or use an intact copy");
    }
    tensors.emplace(name, std::move(tensor));
  }
  return tensors;
}

void save_safetensors(const std::filesystem::path& path, const StateDict& tensors, const SafetensorsMetadata& metadata) {
  std::vector<at::Tensor> keep_alive;  // CPU contiguous copies the byte spans point into
  std::vector<TensorBytes> entries;
  keep_alive.reserve(tensors.size());
  for (const auto& [name, tensor] : tensors) {
    const at::Tensor cpu = tensor.detach().to(at::kCPU).contiguous();
    keep_alive.push_back(cpu);
    entries.push_back({name, to_dtype(cpu.scalar_type(), name), cpu.sizes().vec(),
                       {static_cast<const std::byte*>(cpu.data_ptr()), cpu.nbytes()}});
  }
  write_safetensors(path, std::move(entries), metadata);
}

StateDict module_state(const torch::nn::Module& module) {
  StateDict state;
  for (const auto& item : module.named_parameters(/*recurse=*/true)) state.emplace(item.key(), item.value());
  for (const auto& item : module.named_buffers(/*recurse=*/true)) state.emplace(item.key(), item.value());
  return state;
}

LoadReport load_state_dict(torch::nn::Module& module, const StateDict& tensors, bool strict,
                           const std::filesystem::path& source) {
  const StateDict targets = module_state(module);
  LoadReport report;
  for (const auto& [name, target] : targets) {
    const auto it = tensors.find(name);
    if (it == tensors.end()) {
      report.missing.push_back(name);
    } else if (it->second.sizes() != target.sizes()) {
      report.mismatched.push_back(name + ": expected " + shape_text(target.sizes()) + ", got " +
                                  shape_text(it->second.sizes()));
    }
  }
  for (const auto& [name, tensor] : tensors) {
    if (!targets.count(name)) report.unexpected.push_back(name);
  }
  if (strict && !report.clean()) {
    throw Error(ErrorCode::corrupt_file,
                "the weights do not match the model" + first_ten("missing", report.missing) +
                    first_ten("unexpected", report.unexpected) + first_ten("wrong shape", report.mismatched),
                source, "check that the file was saved from the same model and configuration");
  }
  torch::NoGradGuard no_grad;
  for (const auto& [name, target] : targets) {
    const auto it = tensors.find(name);
    if (it == tensors.end() || it->second.sizes() != target.sizes()) continue;
    target.copy_(it->second);
  }
  return report;
}

}  // namespace wf::core
