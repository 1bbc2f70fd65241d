#pragma once
// An identity adapter trained a few steps on a source dataset over a tiny SD folder: what the LoRA and swap tests
// need as "the identity adapter the user trained", small enough for a unit test.

#include <filesystem>

#include "diffusion/ip_adapter.h"

namespace wf::test {

// The Resampler the tests train: 4 tokens of the tiny UNet's 32-wide context.
diffusion::ResamplerConfig tiny_resampler();

// Trains `steps` full-batch steps (resolution 64) on `source` with the SD folder `model`; writes `output`.
void train_tiny_identity_adapter(const std::filesystem::path& source, const std::filesystem::path& model,
                                 const std::filesystem::path& output, int steps);

}  // namespace wf::test
