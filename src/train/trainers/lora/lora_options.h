#pragma once
// The typed options LoRA training takes, made from JSON checked against the LoRA schema (options/lora_options.h),
// which the CLI's flags, the HTTP API and job settings all read.

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "diffusion/lora.h"
#include "diffusion/lora_prompt.h"
#include "train/trainers/denoising/denoising_task.h"

namespace wf::lora {

struct LoraTrainOptions : denoising::DiffusionTrainOptions {
  LoraTrainOptions() {
    snr_gamma = 5;
    sample_every = 200;
  }
  std::filesystem::path dataset;   // watserface extract --target
  std::filesystem::path identity;  // optional: an identity adapter folder, frozen but active in the forward pass
  diffusion::LoraConfig lora;      // rank 16, alpha 16 on the UNet's attention projections
  std::int64_t steps = 800;
  // A face's caption unless the dataset gives one (its `text`); [identity] becomes the identity word.
  diffusion::LoraPrompt prompt;
};

// Options from JSON (an HTTP body, a job's settings, the CLI's flags) through options::resolve_lora_options.
LoraTrainOptions lora_options_from_json(const nlohmann::json& values);
nlohmann::json to_json(const LoraTrainOptions& options);

}  // namespace wf::lora
