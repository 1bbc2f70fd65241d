#pragma once
// The typed options LoRA training takes, made from JSON checked against the LoRA schema (options/lora_options.h),
// which the CLI's flags, the HTTP API and job settings all read.

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "core/device.h"
#include "diffusion/lora.h"
#include "diffusion/lora_prompt.h"
#include "train/trainers/denoising/denoising_task.h"

namespace wf::lora {

// Defaults and ranges are options/lora_options.h's (lora_train_options fills these).
struct LoraTrainOptions : denoising::DiffusionTrainOptions {
  std::filesystem::path dataset;   // watserface extract --target
  std::filesystem::path identity;  // optional: an identity adapter folder, frozen but active in the forward pass
  diffusion::LoraConfig lora;      // rank 16, alpha 16 on the UNet's attention projections
  std::int64_t steps = 800;
  // A face's caption unless the dataset gives one (its `text`); [identity] becomes the identity word.
  diffusion::LoraPrompt prompt;
};

// The options as options::resolve_lora_options completed them (from the CLI's flags, an HTTP body or a job's
// settings), typed, on the device and at the precision `compute` chose.
LoraTrainOptions lora_train_options(const nlohmann::json& resolved, const core::ComputeChoice& compute);

}  // namespace wf::lora
