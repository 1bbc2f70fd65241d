#include "train/trainers/lora/lora_trainer.h"

#include <torch/torch.h>

#include <set>

#include "core/error.h"
#include "core/json_io.h"
#include "dataset/imagefolder.h"
#include "train/trainers/lora/lora_task.h"

namespace wf::lora {
namespace fs = std::filesystem;
namespace {

// The target's faces; with an identity adapter, the control images it was trained on and the embeddings.
denoising::FaceTrainingData read_data(const LoraTrainOptions& options) {
  denoising::FaceDataRequest request{.kind = "target",
                                     .purpose = "LoRA training learns the target video's light and style",
                                     .fix = "give the dataset of watserface extract --target",
                                     .resolution = options.resolution};
  if (!options.identity.empty()) {
    request.control = face::parse_control_image(diffusion::read_identity_adapter_info(options.identity).control);
    request.embeddings = true;
  }
  return denoising::FaceTrainingData(options.dataset, request);
}

train::TrainSettings settings_for(const LoraTrainOptions& options, std::size_t faces) {
  train::TrainSettings settings = options.train;
  const auto per_step = train::samples_per_step(settings);
  settings.steps = options.steps;
  settings.steps_per_epoch =
      std::min<std::int64_t>((static_cast<std::int64_t>(faces) + per_step - 1) / per_step, options.steps);
  settings.phase = {"lora", settings.phase.index, settings.phase.count};
  return settings;
}

std::int64_t count_parameters(torch::nn::Module& module) {
  std::int64_t n = 0;
  for (const auto& p : module.parameters()) n += p.numel();
  return n;
}

}  // namespace

LoraTrainResult train_lora(const LoraTrainOptions& options, core::EventSink* events, const std::atomic<bool>* cancel,
                           std::optional<std::int64_t> stop_at) {
  const denoising::FaceTrainingData data = read_data(options);  // fails before any model loads
  diffusion::StableDiffusion sd = denoising::load_base_model(options, "LoRA training");
  const train::TrainSettings settings = settings_for(options, data.size());
  LoraTask task(options, data, sd, settings.seed);
  task.set_effective_batch(train::samples_per_step(settings));
  task.set_events(events, settings.phase);
  LoraTrainResult result;
  result.faces = data.size();
  result.layers = task.lora().size();
  result.trainable_parameters = count_parameters(task.model());
  result.train = train::TrainLoop(task, settings, options.output / "checkpoints", events).run(cancel, stop_at);
  result.samples = task.samples();
  // A stopped run leaves its checkpoint only, so no half-trained LoRA is taken for a finished one.
  if (result.train.cancelled || !result.train.primary) return result;  // rank 0 of a distributed run writes it
  task.lora().save(options.output / "pytorch_lora_weights.safetensors");
  core::write_json_file(
      options.output / "lora.json",
      {{"prompt_template", options.prompt.prompt_template},
       {"identity_word", options.prompt.identity_word},
       {"resolution", options.resolution},
       {"identity_adapter",
        options.identity.empty() ? nlohmann::json(nullptr) : nlohmann::json(fs::absolute(options.identity).string())},
       {"base_model", options.base_model.string()},
       {"step", result.train.step},
       {"steps", options.steps},
       {"captions", task.captions()}});
  return result;
}

LoraPlan plan_lora(const LoraTrainOptions& options) {
  const denoising::FaceTrainingData data = read_data(options);
  LoraTrainOptions on_cpu = options;
  on_cpu.device = "cpu";
  on_cpu.train.precision = core::Precision::fp32;
  diffusion::StableDiffusion sd = denoising::load_base_model(on_cpu, "LoRA training");
  const bool text = !options.lora.text_encoder_target_modules.empty();
  diffusion::LoraSet lora = diffusion::LoraSet::inject(*sd.unet, options.lora, text ? sd.text_encoder.get() : nullptr);
  const train::TrainSettings settings = settings_for(options, data.size());
  LoraPlan plan;
  plan.layers = lora.layer_names();
  plan.trainable_parameters = count_parameters(lora.module());
  plan.faces = data.size();
  plan.steps = settings.steps;
  plan.steps_per_epoch = settings.steps_per_epoch;
  for (std::size_t i = 0; i < data.size(); ++i)
    plan.captions.emplace_back(data.ids()[i], options.prompt.caption(data.captions()[i]));
  return plan;
}

nlohmann::json to_json(const LoraPlan& plan) {
  nlohmann::json captions = nlohmann::json::array();
  for (const auto& [id, caption] : plan.captions) captions.push_back({{"id", id}, {"caption", caption}});
  return {{"layers", plan.layers}, {"trainable_parameters", plan.trainable_parameters}, {"faces", plan.faces},
          {"steps", plan.steps},   {"steps_per_epoch", plan.steps_per_epoch},           {"captions", captions}};
}

void set_captions(const fs::path& dataset, const std::map<std::string, std::string>& captions) {
  std::vector<dataset::FaceRecord> records = dataset::read_records(dataset);
  std::set<std::string> ids;
  for (const auto& record : records) ids.insert(record.id);
  for (const auto& [id, text] : captions) {
    if (!ids.count(id))
      throw Error(ErrorCode::invalid_input, "the dataset has no face " + id, dataset, "name faces by their id");
  }
  for (auto& record : records) {
    if (const auto it = captions.find(record.id); it != captions.end()) record.text = it->second;
  }
  dataset::rewrite_records(dataset, records);
}

}  // namespace wf::lora
