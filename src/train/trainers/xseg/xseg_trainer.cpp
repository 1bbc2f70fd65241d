#include "train/trainers/xseg/xseg_trainer.h"

#include <torch/torch.h>

#include <numeric>

#include "core/error.h"
#include "train/batch_size.h"
#include "train/sample_order.h"
#include "train/trainers/xseg/xseg_data.h"
#include "train/trainers/xseg/xseg_model.h"

namespace wf::xseg {

at::Tensor dice_loss(const at::Tensor& logits, const at::Tensor& target) {
  const at::Tensor p = logits.sigmoid().flatten(1), t = target.flatten(1);
  const at::Tensor dice = (2 * (p * t).sum(1) + 1) / (p.sum(1) + t.sum(1) + 1);
  return 1 - dice.mean();
}

at::Tensor mask_loss(const at::Tensor& logits, const at::Tensor& target) {
  return torch::binary_cross_entropy_with_logits(logits, target) + dice_loss(logits, target);
}

std::map<std::string, double> mask_metrics(const at::Tensor& logits, const at::Tensor& target) {
  const at::Tensor p = logits.gt(0), t = target.gt(0.5);
  const double overlap = (p & t).sum().item<double>(), predicted = p.sum().item<double>(),
               truth = t.sum().item<double>();
  const double uni = predicted + truth - overlap;
  return {{"iou", uni > 0 ? overlap / uni : 1.0},
          {"dice", predicted + truth > 0 ? 2 * overlap / (predicted + truth) : 1.0}};
}

namespace {

class XSegTask : public train::TrainTask {
 public:
  XSegTask(const XSegData& data, std::uint64_t seed, torch::Device device)
      : data_(data), seed_(seed), device_(device), order_(data.train_size(), seed) {
    torch::manual_seed(train::step_seed(seed, -1, -1));  // the same initial weights in every run with this seed
    model_ = nn::Unet();
    model_->to(device_);
  }
  torch::nn::Module& model() override { return *model_; }
  nn::Unet& unet() { return model_; }

  std::vector<at::Tensor> batch(std::int64_t step, std::int64_t micro, std::int64_t batch_size) override {
    const std::vector<std::size_t> indices = order_.batch(step * effective_batch_ + micro * batch_size, batch_size);
    std::mt19937_64 rng(train::step_seed(seed_, step, micro));
    const XSegImages batch = data_.augmented(indices, rng);
    return {to_input(batch.images), to_target(batch.labels)};
  }

  at::Tensor loss(const train::Batch& batch) override {
    const at::Tensor logits = model_->forward(batch.tensors[0].to(device_, /*non_blocking=*/true));
    const at::Tensor target = batch.tensors[1].to(device_, /*non_blocking=*/true);
    return mask_loss(logits, target);
  }

  std::map<std::string, double> evaluate() override { return metrics(data_.held_out()); }

  std::map<std::string, double> metrics(const XSegImages& set) {
    std::vector<at::Tensor> logits;
    for (std::size_t i = 0; i < set.images.size(); i += 8) {
      const std::size_t end = std::min(set.images.size(), i + 8);
      const std::vector<cv::Mat> images(set.images.begin() + static_cast<std::ptrdiff_t>(i),
                                        set.images.begin() + static_cast<std::ptrdiff_t>(end));
      logits.push_back(model_->forward(to_input(images).to(device_)).cpu());
    }
    return mask_metrics(at::cat(logits), to_target(set.labels));
  }

  // Samples per optimizer step; fixed even when the loop splits it into more, smaller micro-batches.
  void set_effective_batch(std::int64_t samples) { effective_batch_ = samples; }

 private:
  const XSegData& data_;
  std::uint64_t seed_;
  torch::Device device_;
  nn::Unet model_{nullptr};
  std::int64_t effective_batch_ = 1;
  train::SampleOrder order_;
};

}  // namespace

XSegTrainResult train_xseg(const XSegTrainOptions& options, core::EventSink* events, const std::atomic<bool>* cancel,
                           std::optional<std::int64_t> stop_at) {
  if (options.epochs < 1 || options.epochs > options::kXSegMaxEpochs) {
    throw Error(ErrorCode::invalid_input,
                "XSeg training cannot run " + std::to_string(options.epochs) + " epochs: use 1 to " +
                    std::to_string(options::kXSegMaxEpochs),
                {}, "50 (the default) suits most clips");
  }
  const XSegData data(options.dataset, options.resolution, options.held_out_fraction);
  train::TrainSettings settings = options.train;
  const auto per_step = train::samples_per_step(settings);
  settings.steps_per_epoch = (static_cast<std::int64_t>(data.train_size()) + per_step - 1) / per_step;
  settings.steps = settings.steps_per_epoch * options.epochs;
  settings.phase = {"xseg", settings.phase.index, settings.phase.count};
  XSegTask task(data, settings.seed, torch::Device(options.device));
  task.set_effective_batch(per_step);
  XSegTrainResult result;
  result.train_faces = data.train_size();
  result.held_out_faces = data.held_out().images.size();
  result.train = train::TrainLoop(task, settings, options.output / "checkpoints", events).run(cancel, stop_at);
  if (!result.train.primary) return result;  // rank 0 of a distributed run writes the model
  {
    task.unet()->eval();
    const torch::NoGradGuard no_grad;
    const auto metrics = task.metrics(data.held_out());
    result.held_out_iou = metrics.at("iou");
    result.held_out_dice = metrics.at("dice");
    task.unet()->to(torch::kCPU);
  }
  save_xseg_model(options.output, task.unet(), options.resolution);
  return result;
}

XSegTrainOptions xseg_train_options(const nlohmann::json& v, const core::ComputeChoice& compute) {
  XSegTrainOptions o;
  o.dataset = v.at("dataset").get<std::string>();
  o.output = v.at("output").get<std::string>();
  o.epochs = v.at("epochs");
  o.resolution = v.at("resolution");
  o.device = compute.device == core::DeviceKind::cuda ? "cuda" : "cpu";
  train::set_batch(o.train, v.at("batch"), 0.5, 8, compute);
  o.train.grad_accumulation = v.at("accumulation");
  o.train.lr = {.lr = v.at("lr"),
                .schedule = train::parse_lr_schedule(v.at("schedule").get<std::string>()),
                .warmup_steps = v.at("warmup")};
  o.train.weight_decay = v.at("weight_decay");
  o.train.checkpoint_every = v.at("checkpoint_every");
  o.train.seed = v.at("seed");
  o.train.precision = compute.precision;
  return o;
}

}  // namespace wf::xseg
