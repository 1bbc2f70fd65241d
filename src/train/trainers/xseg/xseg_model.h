#pragma once
// The XSeg model folder: config.json (smp's constructor arguments plus our resolution) and
// model.safetensors with smp.Unet's keys.

#include <filesystem>

#include "nn/unet.h"

namespace wf::xseg {

void save_xseg_model(const std::filesystem::path& folder, nn::Unet& model, int resolution);
// Throws wf::Error naming the folder when config.json or the weights are missing or do not match.
nn::Unet load_xseg_model(const std::filesystem::path& folder, int& resolution);

}  // namespace wf::xseg
