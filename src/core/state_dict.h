#pragma once
// State dicts: named tensors as Python's `module.state_dict()` has them, to and from safetensors,
// and strict loading into a libtorch module with one report of everything that does not match.

#include <ATen/core/Tensor.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/safetensors.h"

namespace torch::nn {
class Module;
}

namespace wf::core {

using StateDict = std::map<std::string, at::Tensor>;

// Copies every tensor out of the file (the map is released on return). Dtypes libtorch 1.13 cannot
// hold (U16, U32, U64, F8) throw wf::Error(unsupported) naming the tensor and the file; a float tensor holding NaN
// or infinity throws wf::Error(corrupt_file) naming the first such tensor and the file.
StateDict load_safetensors(const std::filesystem::path& path);
// Writes CPU copies of the tensors, contiguous, atomically; the bytes equal Python's save_file output.
void save_safetensors(const std::filesystem::path& path, const StateDict& tensors,
                      const SafetensorsMetadata& metadata = {});

// "[4,32,3,3]": a shape as load reports and other messages name it.
std::string shape_text(at::IntArrayRef shape);

// named_parameters() + named_buffers(), the C++ counterpart of Python's state_dict().
StateDict module_state(const torch::nn::Module& module);

struct LoadReport {
  std::vector<std::string> missing;     // in the module, not in the dict
  std::vector<std::string> unexpected;  // in the dict, not in the module
  std::vector<std::string> mismatched;  // "key: expected [..], got [..]"
  bool clean() const { return missing.empty() && unexpected.empty() && mismatched.empty(); }
};

// Copies matching tensors into the module (converting dtype and device). With strict, any missing,
// unexpected or wrong-shape key throws one wf::Error listing the first ten of each, naming `source`.
LoadReport load_state_dict(torch::nn::Module& module, const StateDict& tensors, bool strict,
                           const std::filesystem::path& source);

}  // namespace wf::core
