#pragma once
// The options of LoRA training, declared once as a schema (core/option_schema.h) that the CLI's flags, the HTTP
// API's modeler page and job settings all read, and the typed struct the trainer takes.

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "core/option_schema.h"
#include "diffusion/lora.h"
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
  // A face's caption unless the dataset gives one (its `text`); [identity] becomes identity_word.
  std::string prompt_template = "a high quality photo of [identity] person";
  std::string identity_word = "ohwx";
};

const core::OptionSchema& lora_option_schema();

// Options from JSON (an HTTP body, a job's settings, the CLI's flags) through the schema: defaults filled in,
// names, types and ranges checked (wf::Error invalid_input naming the option).
LoraTrainOptions lora_options_from_json(const nlohmann::json& values);
nlohmann::json to_json(const LoraTrainOptions& options);

// The caption a face is trained with: the dataset's `text` if it has one, else the template, with [identity]
// replaced in either.
std::string caption_of(const LoraTrainOptions& options, const std::string& dataset_text);

}  // namespace wf::lora
