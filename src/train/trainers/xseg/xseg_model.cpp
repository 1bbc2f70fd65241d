#include "train/trainers/xseg/xseg_model.h"

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/json_io.h"
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

nn::Unet load_xseg_model(const std::filesystem::path& folder, int& resolution) {
  if (!std::filesystem::exists(folder / "model.safetensors")) {
    throw Error(ErrorCode::missing_model, "no XSeg model here", folder, "train one first: watserface train xseg");
  }
  const auto config = core::read_json_file(folder / "config.json");
  if (config.value("encoder_name", "") != "resnet34" || config.value("classes", 0) != 1) {
    throw Error(ErrorCode::unsupported, "this XSeg model is not a one-class U-Net on resnet34", folder / "config.json",
                "train the model with encoder resnet34 and classes=1");
  }
  resolution = config.value("resolution", 256);
  nn::Unet model;
  core::load_state_dict(*model, core::load_safetensors(folder / "model.safetensors"), true, folder / "model.safetensors");
  model->eval();
  return model;
}

}  // namespace wf::xseg
