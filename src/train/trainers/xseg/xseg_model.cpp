#include "train/trainers/xseg/xseg_model.h"

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/json_io.h"
#include "core/json_number.h"
#include "core/state_dict.h"

namespace wf::xseg {

void save_xseg_model(const std::filesystem::path& folder, nn::Unet& model, int resolution) {
  core::save_safetensors(folder / "model.safetensors", core::module_state(*model), {{"format", "pt"}});
  core::write_json_file(folder / "config.json", {{"architecture", "Unet"},
                                                 {"encoder_name", "resnet34"},
                                                 {"encoder_weights", nullptr},
                                                 {"in_channels", 3},
                                                 {"classes", 1},
                                                 {"decoder_channels", {256, 128, 64, 32, 16}},
                                                 {"resolution", resolution},
                                                 {"input_normalisation", "imagenet"}});
}

namespace {

// config.json's resolution; throws wf::Error(corrupt_file) naming the file for one the network cannot take, and
// unsupported for a model of another architecture.
int read_config(const std::filesystem::path& path) {
  const auto config = core::read_json_file(path);
  const auto refuse = [&](const std::string& what) {
    return Error(ErrorCode::corrupt_file, what, path,
                 "train the model again (watserface train xseg), or restore its config.json");
  };
  if (!config.is_object()) throw refuse("the XSeg config is not a JSON object");
  // json::value with a json default compares without a type error when the file holds another type.
  if (config.value("encoder_name", nlohmann::json()) != "resnet34" || config.value("classes", nlohmann::json()) != 1) {
    throw Error(ErrorCode::unsupported, "this XSeg model is not a one-class U-Net on resnet34", path,
                "train the model with encoder resnet34 and classes=1");
  }
  int resolution = 0;
  try {
    resolution = core::json_number<int>(config.value("resolution", nlohmann::json(256)), "its resolution");
  } catch (const Error& e) {
    throw refuse(e.message());
  }
  if (resolution < options::kXSegMinResolution || resolution > options::kXSegMaxResolution || resolution % 32 != 0) {
    throw refuse("its resolution is " + std::to_string(resolution) + ", not a multiple of 32 from " +
                 std::to_string(options::kXSegMinResolution) + " to " + std::to_string(options::kXSegMaxResolution));
  }
  return resolution;
}

}  // namespace

nn::Unet load_xseg_model(const std::filesystem::path& folder, int& resolution) {
  if (!std::filesystem::exists(folder / "model.safetensors")) {
    throw Error(ErrorCode::missing_model, "no XSeg model here", folder, "train one first: watserface train xseg");
  }
  resolution = read_config(folder / "config.json");
  nn::Unet model;
  core::load_state_dict(*model, core::load_safetensors(folder / "model.safetensors"), true, folder / "model.safetensors");
  model->eval();
  return model;
}

}  // namespace wf::xseg
