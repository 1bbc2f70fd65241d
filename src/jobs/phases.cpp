#include "jobs/phases.h"

#include "core/device.h"
#include "core/error.h"
#include "core/file_checksum.h"
#include "core/utf8.h"
#include "dataset/imagefolder.h"
#include "extract/source_extraction.h"
#include "extract/target_extraction.h"
#include "jobs/pipeline_settings.h"
#include "models/registry.h"
#include "review/review.h"
#include "swap/swap_driver.h"
#include "train/trainers/identity/identity_adapter.h"
#include "train/trainers/identity/identity_trainer.h"
#include "train/trainers/lora/lora_trainer.h"
#include "train/trainers/xseg/xseg_apply.h"
#include "train/trainers/xseg/xseg_trainer.h"

namespace wf::jobs {
namespace fs = std::filesystem;
namespace {

// Runs `work`; a wf::Error(cancelled) from it (extraction stops that way) is a stop, not a failure.
template <typename Work>
bool unless_cancelled(Work work) {
  try {
    return work();
  } catch (const Error& e) {
    if (e.code() == ErrorCode::cancelled) return false;
    throw;
  }
}

struct Compute {
  std::string device;
  core::Precision precision;
  bool cuda;
};

Compute compute_of(const core::AppConfig& config) {
  const core::ComputeChoice choice = core::choose_compute(config.device, config.precision, config.threads);
  const bool cuda = choice.device == core::DeviceKind::cuda;
  return {cuda ? "cuda" : "cpu", choice.precision, cuda};
}

// The loop settings a training phase's object gives: the batch ("auto": from the free RAM at `per_sample_gib` a
// sample, at most `most`, and probed down on CUDA), checkpoints, learning rate, seed; the precision of the device.
train::TrainSettings loop_settings(const nlohmann::json& s, const Compute& compute, double per_sample_gib,
                                   std::int64_t most, train::LrSchedule schedule) {
  train::TrainSettings t;
  t.batch_size = auto_batch(s.at("batch"), per_sample_gib, most);
  t.auto_batch = compute.cuda && s.at("batch") == "auto";
  t.checkpoint_every = s.at("checkpoint_every").get<std::int64_t>();
  t.lr = {.lr = s.at("lr").get<double>(), .schedule = schedule, .warmup_steps = 0};
  t.seed = s.at("seed").get<std::uint64_t>();
  t.precision = compute.precision;
  return t;
}

// The SD 1.5 model the settings name ("": the one in the models folder).
fs::path base_model(const nlohmann::json& settings, const core::AppConfig& config) {
  return models::base_diffusion_path(config, settings.value("base_model", ""));
}

// The media a phase reads, by name and size: other media, other results.
nlohmann::json manifest(const std::vector<fs::path>& files) {
  nlohmann::json out = nlohmann::json::array();
  std::error_code ec;
  // Names as the stamp's JSON holds them (U+FFFD for bytes that are not UTF-8), so a stamp read back compares equal.
  for (const auto& file : files) {
    out.push_back({core::printable_excerpt(file.filename().string(), std::string::npos), fs::file_size(file, ec)});
  }
  return out;
}

// The LoRA trainer's options: the job's `lora` settings through the trainer's schema, on the project's files.
lora::LoraTrainOptions lora_options(const ProjectPaths& project, const nlohmann::json& settings,
                                    const core::AppConfig& config) {
  nlohmann::json values = settings.at("lora");
  values.erase("enabled");
  values["dataset"] = project.target_dataset().string();
  values["output"] = project.lora_model().string();
  values["model"] = base_model(settings, config).string();
  if (fs::exists(project.identity_model())) values["identity"] = project.identity_model().string();
  return lora::lora_options_from_json(values);
}

// The contents of files a user edits through the browser app (the source faces kept, the target's painted masks),
// as a CRC-32 per file: a phase that reads them runs again when they change.
nlohmann::json digest(const std::vector<fs::path>& files) {
  nlohmann::json out = nlohmann::json::array();
  std::error_code ec;
  for (const auto& file : files) {
    out.push_back({file.filename().string(), fs::exists(file, ec) ? nlohmann::json(core::file_crc32(file)) : nullptr});
  }
  return out;
}

nlohmann::json source_faces(const ProjectPaths& p) {
  return digest({p.source_dataset() / "metadata.jsonl"});
}

nlohmann::json painted_masks(const ProjectPaths& p) {
  std::vector<fs::path> masks;
  std::error_code ec;
  if (!fs::exists(p.target_dataset() / "metadata.jsonl", ec)) return digest(masks);
  for (const auto& record : dataset::read_records(p.target_dataset())) {
    if (record.mask_origin == dataset::MaskOrigin::painted)
      masks.push_back(p.target_dataset() / record.mask_file_name());
  }
  return digest(masks);
}

nlohmann::json models_of(const nlohmann::json& all) {
  return {{"base_model", all.value("base_model", "")}, {"tokenizer", all.value("tokenizer", "")}};
}

class ExtractPhase final : public Phase {
 public:
  std::string name() const override { return "extract"; }
  std::string title() const override { return "Extracting Faces"; }
  double weight() const override { return 1; }
  nlohmann::json settings(const nlohmann::json& all, const ProjectPaths& p) const override {
    return {
        {"extract", all.at("extract")}, {"source", manifest(source_media(p))}, {"target", manifest({target_media(p)})}};
  }
  std::vector<fs::path> outputs(const ProjectPaths& p) const override {
    return {p.source_dataset(), p.target_dataset()};
  }
  bool run(PhaseContext& c) override {
    const int crop = c.settings.at("extract").at("crop").get<int>();
    return unless_cancelled([&] {
      extract::SourceOptions source;
      source.inputs = source_media(c.project);
      source.output = c.project.source_dataset();
      source.crop_size = crop;
      c.pass(1, 2);
      if (extract::extract_source(source, c.face_analysers(), &c.events, &c.cancel).faces == 0) {
        throw Error(ErrorCode::invalid_input, "no face was found in the source photos", c.project.source_media(),
                    "add photos where the face is clear and at least 100 pixels wide");
      }
      c.pass(2, 2);
      extract::TargetOptions target;
      target.video = target_media(c.project);
      target.output = c.project.target_dataset();
      target.crop_size = crop;
      if (extract::extract_target(target, c.face_analysers(), &c.events, &c.cancel).faces == 0) {
        throw Error(ErrorCode::invalid_input, "no face was found in the target video", target.video,
                    "choose a video where the face is visible and at least 100 pixels wide");
      }
      return true;
    });
  }
};

class IdentityPhase final : public Phase {
 public:
  std::string name() const override { return "identity"; }
  std::string title() const override { return "Training Identity Adapter"; }
  double weight() const override { return 4; }
  nlohmann::json settings(const nlohmann::json& all, const ProjectPaths& p) const override {
    return {{"identity", all.at("identity")}, {"models", models_of(all)}, {"source_faces", source_faces(p)}};
  }
  std::vector<fs::path> outputs(const ProjectPaths& p) const override { return {p.identity_model()}; }
  bool run(PhaseContext& c) override {
    const nlohmann::json& s = c.settings.at("identity");
    const Compute compute = compute_of(c.config);
    identity::IdentityTrainOptions o;
    o.dataset = c.project.source_dataset();
    o.output = c.project.identity_model();
    o.base_model = base_model(c.settings, c.config);
    o.tokenizer = c.settings.value("tokenizer", "");
    o.epochs = s.at("epochs").get<int>();
    o.resolution = s.at("resolution").get<int>();
    o.sample_every = s.at("sample_every").get<std::int64_t>();
    o.snr_gamma = 5;
    o.device = compute.device;
    if (s.contains("resampler") && !s.at("resampler").is_null()) {
      o.resampler = identity::resampler_from_json(s.at("resampler"));
    }
    o.train = loop_settings(s, compute, 6.0, 2, train::LrSchedule::constant);
    o.train.max_grad_norm = 1.0;
    return !identity::train_identity(o, &c.events, &c.cancel).train.cancelled;
  }
};

class XSegPhase final : public Phase {
 public:
  std::string name() const override { return "xseg"; }
  std::string title() const override { return "Training XSeg Occlusion Mask"; }
  double weight() const override { return 2; }
  nlohmann::json settings(const nlohmann::json& all, const ProjectPaths& p) const override {
    return {{"xseg", all.at("xseg")}, {"painted", painted_masks(p)}};
  }
  std::vector<fs::path> outputs(const ProjectPaths& p) const override { return {p.xseg_model()}; }
  bool run(PhaseContext& c) override {
    const nlohmann::json& s = c.settings.at("xseg");
    const Compute compute = compute_of(c.config);
    xseg::XSegTrainOptions o;
    o.dataset = c.project.target_dataset();
    o.output = c.project.xseg_model();
    o.epochs = s.at("epochs").get<int>();
    o.resolution = s.at("resolution").get<int>();
    o.device = compute.device;
    o.train = loop_settings(s, compute, 0.5, 8, train::LrSchedule::cosine);
    c.pass(1, 2);
    if (xseg::train_xseg(o, &c.events, &c.cancel).train.cancelled) return false;
    c.pass(2, 2);
    xseg::apply_xseg({.dataset = o.dataset, .model = o.output, .device = compute.device}, &c.events);
    return true;
  }
};

class LoraPhase final : public Phase {
 public:
  std::string name() const override { return "lora"; }
  std::string title() const override { return "Training Style LoRA"; }
  double weight() const override { return 3; }
  nlohmann::json settings(const nlohmann::json& all, const ProjectPaths&) const override {
    return {{"lora", all.at("lora")}, {"models", models_of(all)}};
  }
  std::vector<fs::path> outputs(const ProjectPaths& p) const override { return {p.lora_model()}; }
  bool run(PhaseContext& c) override {
    lora::LoraTrainOptions o = lora_options(c.project, c.settings, c.config);
    const Compute compute = compute_of(c.config);
    o.device = compute.device;
    o.train.precision = compute.precision;
    return !lora::train_lora(o, &c.events, &c.cancel).train.cancelled;
  }
};

class SwapPhase final : public Phase {
 public:
  explicit SwapPhase(bool lora) : lora_(lora) {}
  std::string name() const override { return "swap"; }
  std::string title() const override { return "Swapping Faces"; }
  double weight() const override { return 2; }
  nlohmann::json settings(const nlohmann::json& all, const ProjectPaths& p) const override {
    return {{"swap", all.at("swap")}, {"lora", lora_}, {"models", models_of(all)}, {"source_faces", source_faces(p)}};
  }
  std::vector<fs::path> outputs(const ProjectPaths&) const override { return {}; }  // rewritten whole
  bool run(PhaseContext& c) override {
    const swap::SwapOptions o = pipeline_swap_options(c.project, c.settings, c.config);
    return unless_cancelled([&] {
      swap::swap_video(o, &c.events, &c.cancel);
      return true;
    });
  }

 private:
  bool lora_;
};

class ReviewPhase final : public Phase {
 public:
  std::string name() const override { return "review"; }
  std::string title() const override { return "Reviewing and Repairing"; }
  double weight() const override { return 1; }
  nlohmann::json settings(const nlohmann::json& all, const ProjectPaths&) const override {
    return {{"review", all.at("review")}};
  }
  std::vector<fs::path> outputs(const ProjectPaths&) const override { return {}; }
  bool run(PhaseContext& c) override {
    const nlohmann::json& s = c.settings.at("review");
    review::ReviewOptions o;
    o.input = c.project.swapped();
    o.output = c.project.final_video();
    o.thresholds = {.min_confidence = s.at("min_confidence").get<double>(),
                    .min_similarity = s.at("min_similarity").get<double>(),
                    .max_jump = s.at("max_jump").get<double>()};
    o.attempts = s.at("attempts").get<int>();
    for (const auto& frame : s.value("frames", nlohmann::json::array())) {
      if (!frame.is_number_integer()) {
        throw Error(ErrorCode::invalid_input, "review.frames holds " + frame.dump() + ", not a frame number", {},
                    "list frame numbers, e.g. [12, 40]");
      }
      o.frames.push_back(frame.get<std::int64_t>());
    }
    // Review scans, then repairs while it writes: two passes, each counting its frames.
    class Passes final : public core::EventSink {
     public:
      explicit Passes(PhaseContext& context) : c_(context) {}
      void emit(const core::Event& event) override {
        if (event.kind == core::EventKind::step && event.message == "repair" && !repairing_) {
          c_.pass(2, 2);
          repairing_ = true;
        }
        c_.events.emit(event);
      }

     private:
      PhaseContext& c_;
      bool repairing_ = false;
    } passes(c);
    c.pass(1, 2);
    return unless_cancelled([&] {
      review::review_video(o, c.face_analysers(), &passes, &c.cancel);
      return true;
    });
  }
};

bool enabled(const nlohmann::json& value) {
  return value == true;
}

}  // namespace

extract::FaceAnalysers& PhaseContext::face_analysers() {
  if (!analysers) analysers.emplace(extract::load_face_analysers(config));
  return *analysers;
}

void check_phase_options(const ProjectPaths& project, const nlohmann::json& settings, const core::AppConfig& config) {
  if (enabled(settings.at("lora").at("enabled"))) lora_options(project, settings, config);
}

swap::SwapOptions pipeline_swap_options(const ProjectPaths& project, const nlohmann::json& settings,
                                        const core::AppConfig& config) {
  const nlohmann::json& s = settings.at("swap");
  swap::SwapOptions o;
  o.source = project.source_dataset();
  o.target = project.target_dataset();
  o.output = project.swapped();
  o.lossless = true;  // review makes the one lossy encode
  o.engine = s.at("engine").get<std::string>();
  o.warp.landmarks = s.at("landmarks").get<int>();
  o.warp.colour = swap::parse_colour_mode(s.at("colour").get<std::string>());
  if (o.engine == "generative") {
    o.generative.base_model = base_model(settings, config);
    o.generative.tokenizer = settings.value("tokenizer", "");
    o.generative.identity = project.identity_model();
    if (enabled(settings.at("lora").at("enabled"))) o.generative.lora = project.lora_model();
    o.generative.device = compute_of(config).device;
  }
  return o;
}

nlohmann::json settle_pipeline(const nlohmann::json& settings, const core::AppConfig& config) {
  nlohmann::json out = settings;
  const bool generative = settings.at("swap").at("engine") == "generative";
  nlohmann::json& identity = out.at("identity").at("enabled");
  if (identity == "auto") identity = generative;
  if (generative && identity != true) {
    throw Error(ErrorCode::invalid_input, "the generative engine needs the identity phase", {},
                "turn identity training on, or swap with the offline engine");
  }
  if (identity == true || out.at("lora").at("enabled") == true || generative) {
    const fs::path model = base_model(settings, config);
    if (!fs::exists(model)) {
      throw Error(ErrorCode::missing_model, "the Stable Diffusion 1.5 model named is not there", model,
                  "check the path (base_model), or leave it empty for the one in the models folder");
    }
    out["base_model"] = fs::absolute(model).string();
  }
  return out;
}

std::vector<std::unique_ptr<Phase>> plan_pipeline(const nlohmann::json& settings, const core::AppConfig& config) {
  const nlohmann::json settled = settle_pipeline(settings, config);
  const bool lora = enabled(settled.at("lora").at("enabled"));
  std::vector<std::unique_ptr<Phase>> phases;
  phases.push_back(std::make_unique<ExtractPhase>());
  if (enabled(settled.at("identity").at("enabled"))) phases.push_back(std::make_unique<IdentityPhase>());
  if (enabled(settled.at("xseg").at("enabled"))) phases.push_back(std::make_unique<XSegPhase>());
  if (lora) phases.push_back(std::make_unique<LoraPhase>());
  phases.push_back(std::make_unique<SwapPhase>(lora));
  phases.push_back(std::make_unique<ReviewPhase>());
  const std::string last = settled.value("stop_after", "");
  if (!last.empty()) {
    const auto it = std::find_if(phases.begin(), phases.end(), [&](const auto& p) { return p->name() == last; });
    if (it == phases.end()) {
      throw Error(ErrorCode::invalid_input, "stop_after names '" + last + "', which is not a phase of this pipeline",
                  {}, "use extract, identity, xseg, lora, swap or review (one that is enabled)");
    }
    phases.erase(std::next(it), phases.end());
  }
  return phases;
}

}  // namespace wf::jobs
