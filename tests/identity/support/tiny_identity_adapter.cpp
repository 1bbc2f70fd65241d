#include "support/tiny_identity_adapter.h"

#include "dataset/imagefolder.h"
#include "train/trainers/identity/identity_trainer.h"

namespace wf::test {

diffusion::ResamplerConfig tiny_resampler() {
  return {.dim = 32, .depth = 1, .dim_head = 8, .heads = 4, .num_queries = 4, .ff_mult = 2};
}

void train_tiny_identity_adapter(const std::filesystem::path& source, const std::filesystem::path& model,
                                 const std::filesystem::path& output, int steps) {
  identity::IdentityTrainOptions adapter;
  adapter.dataset = source;
  adapter.base_model = model;
  adapter.output = output;
  adapter.resolution = 64;
  adapter.epochs = steps;
  adapter.resampler = tiny_resampler();
  adapter.train.batch_size = static_cast<std::int64_t>(dataset::read_records(source).size());
  adapter.train.lr = {.lr = 1e-3, .schedule = train::LrSchedule::constant, .warmup_steps = 0};
  identity::train_identity(adapter);
}

}  // namespace wf::test
