#include "jobs/phases.h"

#include <algorithm>

#include "core/error.h"
#include "core/file_checksum.h"
#include "core/utf8.h"
#include "dataset/imagefolder.h"
#include "extract/source_extraction.h"
#include "extract/target_extraction.h"
#include "jobs/pipeline_options.h"
#include "jobs/pipeline_settings.h"
#include "review/review.h"
#include "diffusion/identity_adapter.h"
#include "swap/swap_driver.h"
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
  using Phase::Phase;
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
      if (const nlohmann::json& person = c.settings.at("extract").at("person"); person != "auto") {
        target.person = person.get<int>();
      }
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
  using Phase::Phase;
  nlohmann::json settings(const nlohmann::json& all, const ProjectPaths& p) const override {
    return {{"identity", all.at("identity")}, {"models", models_of(all)}, {"source_faces", source_faces(p)}};
  }
  std::vector<fs::path> outputs(const ProjectPaths& p) const override { return {p.identity_model()}; }
  bool run(PhaseContext& c) override {
    const identity::IdentityTrainOptions o = identity::identity_train_options(
        identity_options_of(c.project, c.settings, c.config), pipeline_compute(c.config));
    return !identity::train_identity(o, &c.events, &c.cancel).train.cancelled;
  }
};

class XSegPhase final : public Phase {
 public:
  using Phase::Phase;
  nlohmann::json settings(const nlohmann::json& all, const ProjectPaths& p) const override {
    return {{"xseg", all.at("xseg")}, {"painted", painted_masks(p)}};
  }
  std::vector<fs::path> outputs(const ProjectPaths& p) const override { return {p.xseg_model()}; }
  bool run(PhaseContext& c) override {
    const core::ComputeChoice compute = pipeline_compute(c.config);
    const xseg::XSegTrainOptions o = xseg::xseg_train_options(xseg_options_of(c.project, c.settings), compute);
    c.pass(1, 2);
    if (xseg::train_xseg(o, &c.events, &c.cancel).train.cancelled) return false;
    c.pass(2, 2);
    xseg::apply_xseg({.dataset = o.dataset, .model = o.output, .device = o.device}, &c.events);
    return true;
  }
};

class LoraPhase final : public Phase {
 public:
  using Phase::Phase;
  nlohmann::json settings(const nlohmann::json& all, const ProjectPaths&) const override {
    return {{"lora", all.at("lora")}, {"models", models_of(all)}};
  }
  std::vector<fs::path> outputs(const ProjectPaths& p) const override { return {p.lora_model()}; }
  bool run(PhaseContext& c) override {
    const lora::LoraTrainOptions o =
        lora::lora_train_options(lora_options_of(c.project, c.settings, c.config), pipeline_compute(c.config));
    return !lora::train_lora(o, &c.events, &c.cancel).train.cancelled;
  }
};

class SwapPhase final : public Phase {
 public:
  SwapPhase(PlannedPhase plan, bool lora) : Phase(std::move(plan)), lora_(lora) {}
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
  using Phase::Phase;
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
    o.frames = s.at("frames").get<std::vector<std::int64_t>>();  // whole numbers from 0 (review_options.h)
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

}  // namespace

models::FaceAnalysers& PhaseContext::face_analysers() {
  if (!analysers) analysers.emplace(models::load_face_analysers(config));
  return *analysers;
}

std::vector<std::unique_ptr<Phase>> plan_pipeline(const nlohmann::json& settled) {
  std::vector<std::unique_ptr<Phase>> phases;
  for (PlannedPhase& plan : plan_phases(settled)) {
    const std::string name = plan.name;
    if (name == "extract") phases.push_back(std::make_unique<ExtractPhase>(std::move(plan)));
    if (name == "identity") phases.push_back(std::make_unique<IdentityPhase>(std::move(plan)));
    if (name == "xseg") phases.push_back(std::make_unique<XSegPhase>(std::move(plan)));
    if (name == "lora") phases.push_back(std::make_unique<LoraPhase>(std::move(plan)));
    if (name == "swap") {
      phases.push_back(std::make_unique<SwapPhase>(std::move(plan), enabled(settled.at("lora").at("enabled"))));
    }
    if (name == "review") phases.push_back(std::make_unique<ReviewPhase>(std::move(plan)));
  }
  return phases;
}

}  // namespace wf::jobs
