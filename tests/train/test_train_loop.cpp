// The shared training loop on a small regression task whose every number is known: exact resume,
// gradient accumulation, the learning-rate curve, NaN and cancel handling, loss scaling.

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <limits>
#include <set>
#include <thread>

#include "core/error.h"
#include "core/events.h"
#include "core/json_io.h"
#include "core/state_dict.h"
#include "support/temp_dir.h"
#include "train/checkpoint_store.h"
#include "train/loss_scaler.h"
#include "train/lr_schedule.h"
#include "train/train_loop.h"

namespace wf::train {
namespace {

struct RegressionNetImpl : torch::nn::Module {
  RegressionNetImpl() {
    fc1 = register_module("fc1", torch::nn::Linear(4, 16));
    bn = register_module("bn", torch::nn::BatchNorm1d(16));
    fc2 = register_module("fc2", torch::nn::Linear(16, 1));
  }
  at::Tensor forward(const at::Tensor& x) {
    const at::Tensor hidden = fc1->forward(x);
    return fc2->forward(torch::tanh(plain ? hidden : bn->forward(hidden)));
  }
  bool plain = false;  // without batch norm, whose statistics depend on the micro-batch size
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};
  torch::nn::BatchNorm1d bn{nullptr};
};
TORCH_MODULE(RegressionNet);

// y = 0.3 x . w: each step sees 8 fresh samples drawn from the step number alone; micro-batches split them.
class RegressionTask : public TrainTask {
 public:
  explicit RegressionTask(std::uint64_t init_seed) {
    torch::manual_seed(init_seed);
    net = RegressionNet();
  }
  torch::nn::Module& model() override { return *net; }
  std::vector<at::Tensor> batch(std::int64_t step, std::int64_t micro, std::int64_t batch_size) override {
    loader_threads.insert(std::this_thread::get_id());
    auto generator = at::detail::createCPUGenerator(1000 + static_cast<std::uint64_t>(step));
    const at::Tensor x = at::randn({8, 4}, generator);
    const at::Tensor y = (0.3 * x.matmul(at::tensor({0.5f, -1.f, 0.25f, 2.f}))).unsqueeze(1);
    const auto rows = torch::indexing::Slice(micro * batch_size, (micro + 1) * batch_size);
    return {x.index({rows}), y.index({rows})};
  }
  at::Tensor loss(const Batch& batch) override {
    if (nan_at == batch.step) return torch::full({}, std::nan(""));
    if (cancel_after && batch.step == *cancel_after) cancel->store(true);
    const std::int64_t rows = batch.tensors[0].size(0);
    // From the loop's per-micro-batch seed; left out when comparing micro-batch splits.
    const at::Tensor noise = net->plain ? torch::zeros({rows, 1}) : 0.01 * torch::randn({rows, 1});
    return torch::mse_loss(net->forward(batch.tensors[0]), batch.tensors[1] + noise);
  }
  std::map<std::string, double> evaluate() override { return {{"calls", ++evaluations}}; }

  RegressionNet net{nullptr};
  std::int64_t nan_at = -1;
  std::optional<std::int64_t> cancel_after;
  std::atomic<bool>* cancel = nullptr;
  int evaluations = 0;
  std::set<std::thread::id> loader_threads;  // where batch() ran
};

// Records every step event's loss by step number.
class LossLog : public core::EventSink {
 public:
  void emit(const core::Event& event) override {
    if (event.kind == core::EventKind::step) losses[*event.step] = *event.loss;
    kinds.push_back(event.kind);
  }
  std::map<std::int64_t, double> losses;
  std::vector<core::EventKind> kinds;
};

TrainSettings settings(std::int64_t steps) {
  TrainSettings s;
  s.steps = steps;
  s.batch_size = 8;
  s.lr = {.lr = 1e-2, .schedule = LrSchedule::cosine, .warmup_steps = 2};
  s.seed = 5;
  s.loader_ahead = 2;  // the loader thread, as on CUDA
  return s;
}

TEST(TrainLoop, StoppingAndResumingGivesTheSameLossesAsOneRun) {
  test::TempDir dir;
  RegressionTask whole_task(1);
  LossLog whole_log;
  TrainLoop(whole_task, settings(40), dir / "whole", &whole_log).run();

  LossLog resumed_log;
  {
    RegressionTask first(1);
    EXPECT_EQ(TrainLoop(first, settings(40), dir / "resumed", &resumed_log).run(nullptr, 17).step, 17);
  }
  RegressionTask second(99);  // another initialisation: the checkpoint must replace all of it
  const TrainResult result = TrainLoop(second, settings(40), dir / "resumed", &resumed_log).run();
  EXPECT_EQ(result.step, 40);
  ASSERT_EQ(resumed_log.losses.size(), 40u);
  for (const auto& [step, loss] : whole_log.losses) EXPECT_EQ(resumed_log.losses.at(step), loss) << "step " << step;
  EXPECT_EQ(whole_task.loader_threads.size(), 1u);  // one loader, not this thread
  EXPECT_EQ(whole_task.loader_threads.count(std::this_thread::get_id()), 0u);
  const auto a = core::module_state(*whole_task.net), b = core::module_state(*second.net);
  for (const auto& [name, tensor] : a) EXPECT_TRUE(tensor.equal(b.at(name))) << name;
  double first = 0, last = 0;  // and it learns
  for (int i = 1; i <= 5; ++i) first += whole_log.losses.at(i), last += whole_log.losses.at(35 + i);
  EXPECT_LT(last, 0.5 * first);
}

// A 40-step run stopped after step 10: the folder of its one checkpoint.
std::filesystem::path stopped_at_step_10(const std::filesystem::path& checkpoints) {
  RegressionTask first(1);
  TrainLoop(first, settings(40), checkpoints).run(nullptr, 10);
  return checkpoints / "step-000000010";
}

TEST(TrainLoop, ADamagedCheckpointIsRefusedByNameInsteadOfResumedFrom) {
  test::TempDir dir;
  const auto step = stopped_at_step_10(dir / "ckpt");
  const auto state = core::read_json_file(step / "trainer_state.json");
  EXPECT_EQ(state.at("files").at("model.safetensors").at("bytes").get<std::uintmax_t>(),
            std::filesystem::file_size(step / "model.safetensors"));

  for (const char* file : {"model.safetensors", "optimizer.safetensors"}) {
    const auto path = step / file;
    const std::string intact = test::read_text(path);
    std::string flipped = intact;
    flipped[flipped.size() - 3] ^= 0x10;  // one bit of the last tensor: the header still parses
    test::write_text(path, flipped);
    RegressionTask resumed(1);
    try {
      TrainLoop(resumed, settings(40), dir / "ckpt").run();
      ADD_FAILURE() << "resumed from a damaged " << file;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::corrupt_file);
      EXPECT_EQ(e.path(), path);
      EXPECT_NE(e.hint().find((dir / "ckpt").string()), std::string::npos) << e.hint();
    }
    test::write_text(path, intact.substr(0, intact.size() - 4));  // cut short
    EXPECT_THROW(CheckpointStore(dir / "ckpt").load_latest(), Error) << file;
    test::write_text(path, intact);
  }
  RegressionTask repaired(1);
  EXPECT_EQ(TrainLoop(repaired, settings(12), dir / "ckpt").run().step, 12);
}

TEST(TrainLoop, ADamagedTrainerStateIsRefusedByNameInsteadOfReadAsNonsense) {
  test::TempDir dir;
  const auto step = stopped_at_step_10(dir / "ckpt");
  const auto path = step / "trainer_state.json";
  const nlohmann::json intact = core::read_json_file(path);
  // Each damage, and the words the message must carry.
  const std::vector<std::pair<std::string, std::function<void(nlohmann::json&)>>> damages{
      {"its step is -5, below 0", [](auto& s) { s["step"] = -5; }},
      {"its step is 2.5", [](auto& s) { s["step"] = 2.5; }},
      {"its step is \"ten\"", [](auto& s) { s["step"] = "ten"; }},
      {"its files are []", [](auto& s) { s["files"] = nlohmann::json::array(); }},
      {"this checkpoint file is damaged", [](auto& s) { s["files"]["model.safetensors"] = "intact"; }},
      {"settings.batch_size is missing", [](auto& s) { s["settings"] = nullptr; }},
      {"settings.batch_size is 0, below 1", [](auto& s) { s["settings"]["batch_size"] = 0; }},
      {"settings.grad_accumulation is 1e+300", [](auto& s) { s["settings"]["grad_accumulation"] = 1e300; }},
  };
  for (const auto& [words, damage] : damages) {
    nlohmann::json state = intact;
    damage(state);
    test::write_text(path, state.dump());
    RegressionTask resumed(1);
    try {
      TrainLoop(resumed, settings(40), dir / "ckpt").run();
      ADD_FAILURE() << "resumed from " << state.dump();
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::corrupt_file) << words;
      EXPECT_NE(e.message().find(words), std::string::npos) << e.message();
      EXPECT_EQ(e.path().parent_path(), step) << e.what();
      EXPECT_NE(e.hint().find((dir / "ckpt").string()), std::string::npos) << e.hint();
    }
  }
  test::write_text(path, intact.dump());
  RegressionTask repaired(1);
  EXPECT_EQ(TrainLoop(repaired, settings(12), dir / "ckpt").run().step, 12);
}

TEST(TrainLoop, ACheckpointHoldingNanIsRefusedByTensorInsteadOfResumedFrom) {
  test::TempDir dir;
  // Weights a diverged run saved, with a manifest that matches them (as it would).
  const auto step = stopped_at_step_10(dir / "ckpt");
  core::StateDict model = core::load_safetensors(step / "model.safetensors");
  model.at("fc2.weight")[0][3] = std::numeric_limits<float>::infinity();
  core::save_safetensors(step / "model.safetensors", model);
  nlohmann::json state = core::read_json_file(step / "trainer_state.json");
  state.erase("files");  // a checkpoint from before the manifest: loaded unchecked
  test::write_text(step / "trainer_state.json", state.dump());
  RegressionTask resumed(1);
  try {
    TrainLoop(resumed, settings(40), dir / "ckpt").run();
    ADD_FAILURE() << "resumed from infinite weights";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::corrupt_file);
    EXPECT_EQ(e.path(), step / "model.safetensors");
    EXPECT_NE(e.message().find("'fc2.weight' holds NaN or infinite values"), std::string::npos) << e.message();
    EXPECT_NE(e.hint().find((dir / "ckpt").string()), std::string::npos) << e.hint();
  }
}

TEST(TrainLoop, AccumulatedMicroBatchesStepLikeOneBigBatch) {
  test::TempDir dir;
  auto run = [&](std::int64_t batch, std::int64_t accumulation, const char* name) {
    RegressionTask task(1);
    task.net->plain = true;
    TrainSettings s = settings(4);
    s.batch_size = batch;
    s.grad_accumulation = accumulation;
    s.seed = 0;
    TrainLoop loop(task, s, dir / name);
    loop.run();
    return core::module_state(*task.net);
  };
  // The loss is a mean, so the two halves' gradients averaged equal the whole batch's up to rounding.
  const auto big = run(8, 1, "big"), split = run(4, 2, "split");
  for (const auto& [name, tensor] : big) {
    if (tensor.is_floating_point()) {
      EXPECT_LT((tensor - split.at(name)).abs().max().item<double>(), 1e-5) << name;
    }
  }
}

// The next micro-batch's data is made while the current one trains, not after it.
TEST(TrainLoop, TheLoaderMakesTheNextBatchWhileOneTrains) {
  struct Overlap : RegressionTask {
    Overlap() : RegressionTask(1) {}
    std::vector<at::Tensor> batch(std::int64_t step, std::int64_t micro, std::int64_t batch_size) override {
      auto tensors = RegressionTask::batch(step, micro, batch_size);
      ++made;
      return tensors;
    }
    at::Tensor loss(const Batch& batch) override {
      const int ordinal = static_cast<int>(batch.step * 2 + batch.micro);
      for (int i = 0; i < 400 && made <= ordinal + 1 && ordinal + 1 < 6; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      if (made > ordinal + 1) ++ahead;
      return RegressionTask::loss(batch);
    }
    std::atomic<int> made = 0;
    int ahead = 0;
  } task;
  test::TempDir dir;
  TrainSettings s = settings(3);
  s.batch_size = 4;
  s.grad_accumulation = 2;
  TrainLoop(task, s, dir / "ckpt").run();
  EXPECT_EQ(task.made, 6);
  EXPECT_EQ(task.ahead, 5) << "every micro-batch but the last found the next one made";
}

TEST(TrainLoop, WithoutTheLoaderThreadTheRunIsTheSame) {
  test::TempDir dir;
  RegressionTask threaded(1), inline_task(1);
  LossLog threaded_log, inline_log;
  TrainSettings s = settings(10);
  TrainLoop(threaded, s, dir / "threaded", &threaded_log).run();
  s.loader_ahead = 0;
  TrainLoop(inline_task, s, dir / "inline", &inline_log).run();
  EXPECT_EQ(inline_log.losses, threaded_log.losses);
  EXPECT_EQ(inline_task.loader_threads, std::set<std::thread::id>{std::this_thread::get_id()});
}

TEST(TrainLoop, LearningRateWarmsUpThenFollowsTheCosine) {
  const LrSettings s{.lr = 1.0, .schedule = LrSchedule::cosine, .warmup_steps = 4, .total_steps = 104, .min_lr = 0.0};
  EXPECT_DOUBLE_EQ(learning_rate(s, 0), 0.25);
  EXPECT_DOUBLE_EQ(learning_rate(s, 3), 1.0);
  EXPECT_DOUBLE_EQ(learning_rate(s, 4), 1.0);
  EXPECT_NEAR(learning_rate(s, 54), 0.5, 1e-12);
  EXPECT_NEAR(learning_rate(s, 104), 0.0, 1e-12);
  EXPECT_DOUBLE_EQ(learning_rate({.lr = 0.3, .schedule = LrSchedule::constant}, 500), 0.3);
  EXPECT_EQ(parse_lr_schedule("cosine"), LrSchedule::cosine);
  EXPECT_THROW(parse_lr_schedule("linear-ish"), Error);
}

TEST(TrainLoop, ANanLossStopsWithAClearErrorAndKeepsTheLastCheckpoint) {
  test::TempDir dir;
  RegressionTask task(1);
  task.nan_at = 5;
  TrainSettings s = settings(10);
  s.checkpoint_every = 2;
  try {
    TrainLoop(task, s, dir / "ckpt").run();
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("step 6"), std::string::npos) << e.what();
    EXPECT_FALSE(e.hint().empty());
  }
  const auto kept = CheckpointStore(dir / "ckpt").load_latest();
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->step, 4);
  EXPECT_TRUE(std::isfinite(kept->state.at("loss").get<double>()));
}

TEST(TrainLoop, CancelStopsAtTheNextStepWithACheckpointAndEpochsCarryMetrics) {
  test::TempDir dir;
  std::atomic<bool> cancel{false};
  RegressionTask task(1);
  task.cancel = &cancel;
  task.cancel_after = 6;
  TrainSettings s = settings(20);
  s.steps_per_epoch = 3;
  LossLog log;
  const TrainResult result = TrainLoop(task, s, dir / "ckpt", &log).run(&cancel);
  EXPECT_TRUE(result.cancelled);
  EXPECT_EQ(result.step, 7);  // the step that saw the cancel finishes
  EXPECT_EQ(CheckpointStore(dir / "ckpt").load_latest()->step, 7);
  EXPECT_EQ(task.evaluations, 2);  // after steps 3 and 6
  EXPECT_EQ(log.kinds.front(), core::EventKind::phase_start);
  EXPECT_EQ(log.kinds.back(), core::EventKind::phase_end);
  EXPECT_EQ(std::count(log.kinds.begin(), log.kinds.end(), core::EventKind::epoch), 2);
}

// A task whose steps run out of memory above a micro-batch of two, as a small GPU would.
class SmallMemoryTask : public RegressionTask {
 public:
  SmallMemoryTask() : RegressionTask(1) { net->plain = true; }
  at::Tensor loss(const Batch& batch) override {
    TORCH_CHECK_WITH(OutOfMemoryError, batch.tensors[0].size(0) <= 2, "CUDA out of memory (simulated)");
    return RegressionTask::loss(batch);
  }
};

TEST(TrainLoop, AutoBatchHalvesUntilAStepFitsAndAccumulatesTheRest) {
  SmallMemoryTask task;
  TrainSettings s = settings(3);
  s.batch_size = 8;
  const TrainSettings fitted = fit_batch_to_memory(task, s);
  EXPECT_EQ(fitted.batch_size, 2);
  EXPECT_EQ(fitted.grad_accumulation, 4);
  for (const auto& p : task.net->parameters())
    EXPECT_FALSE(p.grad().defined() && p.grad().abs().sum().item<double>() > 0);

  test::TempDir dir;
  s.auto_batch = true;
  EXPECT_EQ(TrainLoop(task, s, dir / "ckpt").run().step, 3);
  const auto saved = CheckpointStore(dir / "ckpt").load_latest()->state.at("settings");
  EXPECT_EQ(saved.at("batch_size"), 2);
  EXPECT_EQ(saved.at("grad_accumulation"), 4);

  class NoMemoryTask : public SmallMemoryTask {
    at::Tensor loss(const Batch&) override {
      TORCH_CHECK_WITH(OutOfMemoryError, false, "CUDA out of memory (simulated)");
    }
  } hopeless;
  try {
    fit_batch_to_memory(hopeless, s);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::out_of_memory);
  }
}

TEST(LossScaler, SkipsNonFiniteStepsHalvingTheScaleAndGrowsAfterGoodOnes) {
  LossScaler scaler(true, 1024.0, 2);
  at::Tensor p = torch::zeros({3}, torch::requires_grad());
  scaler.scale(p.sum() * 2).backward();
  EXPECT_TRUE(scaler.unscale({p}));
  EXPECT_TRUE(p.grad().allclose(torch::full({3}, 2.0)));
  scaler.update(true);
  p.mutable_grad() = torch::tensor({1.f, INFINITY, 0.f});
  EXPECT_FALSE(scaler.unscale({p}));
  scaler.update(false);
  EXPECT_EQ(scaler.scale_value(), 512.0);
  scaler.update(true);
  scaler.update(true);
  EXPECT_EQ(scaler.scale_value(), 1024.0);
  EXPECT_EQ(LossScaler(false).scale(torch::ones({})).item<float>(), 1.f);
}

}  // namespace
}  // namespace wf::train
