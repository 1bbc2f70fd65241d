#pragma once
// The XSeg model folder: config.json (smp's constructor arguments plus our resolution) and
// model.safetensors with smp.Unet's keys.

#include <filesystem>

#include "nn/unet.h"
#include "options/xseg_options.h"

namespace wf::xseg {

void save_xseg_model(const std::filesystem::path& folder, nn::Unet& model, int resolution);
// Throws wf::Error naming the file: missing_model without weights; corrupt_file for a config.json with a value of
// the wrong type or out of range, and for weights that do not match or hold NaN or infinity; unsupported for
// another architecture.
nn::Unet load_xseg_model(const std::filesystem::path& folder, int& resolution);

}  // namespace wf::xseg
