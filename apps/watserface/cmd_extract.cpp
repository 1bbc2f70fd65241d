// watserface extract --source / --target: steps 1 and 2 of the wizard from the command line.

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <memory>

#include "cli_context.h"
#include "core/events.h"
#include "extract/source_extraction.h"
#include "extract/target_extraction.h"
#include "options/extract_options.h"
#include "progress_line.h"
#include "schema_flags.h"

namespace wf::app {
namespace {

struct ExtractOptions {
  std::vector<std::string> source;
  std::string target;
  std::string output;
  std::string reference;
  int every = 1;
  double per_second = 0;
  double start = 0;
  double end = -1;
  std::string events;
  std::unique_ptr<SchemaFlags> settings;  // options/extract_options.h
};

// The extraction options given (crop, person), completed with their defaults.
nlohmann::json extract_settings(const ExtractOptions& options) {
  return core::resolve_options(options::extract_option_schema(), options.settings->values());
}

void print_times(const models::StageTimes& t) {
  const double total = std::max(t.total(), 1e-9);
  std::printf("time: decode %.0f%%, detect %.0f%%, landmarks %.0f%%, embed %.0f%%, write %.0f%% of %.1f s\n",
              100 * t.decode / total, 100 * t.detect / total, 100 * t.landmarks / total, 100 * t.embed / total,
              100 * t.write / total, t.total());
}

int run_target(const ExtractOptions& options, models::FaceAnalysers& analysers) {
  extract::TargetOptions target;
  target.video = options.target;
  target.output = options.output;
  target.sampling = {options.every, options.per_second, options.start, options.end};
  if (!options.reference.empty()) target.reference = std::filesystem::path(options.reference);
  const nlohmann::json settings = extract_settings(options);
  target.crop_size = settings.at("crop").get<int>();
  if (settings.at("person") != "auto") target.person = settings.at("person").get<int>();
  extract::TargetSummary summary;
  {
    ProgressLine progress("extracting", "frames", options.events);
    summary = extract::extract_target(target, analysers, &progress);
  }
  if (summary.people == 0) {
    std::printf(
        "target dataset %s: 0 faces from %d frames; %zu frames without the face (no face in the video; "
        "listed in skipped.jsonl)\n",
        options.output.c_str(), summary.frames, summary.frames_without_face.size());
  } else {
    std::printf(
        "target dataset %s: %d faces from %d frames in %zu shots, of person %d of the %d found "
        "(people.json); %zu frames without them (listed in skipped.jsonl)\n",
        options.output.c_str(), summary.faces, summary.frames, summary.cuts.size() + 1, summary.person, summary.people,
        summary.frames_without_face.size());
  }
  print_times(summary.times);
  return summary.faces > 0 ? 0 : 1;
}

int run_extract(const GlobalOptions& global, const ExtractOptions& options) {
  const core::AppConfig config = resolve_config(global);
  if (!options.target.empty()) {
    auto analysers = models::load_face_analysers(config);
    return run_target(options, analysers);
  }
  extract::SourceOptions source;
  for (const auto& input : options.source) source.inputs.emplace_back(input);
  source.output = options.output;
  source.sampling = {options.every, options.per_second, options.start, options.end};
  if (!options.reference.empty()) source.reference = std::filesystem::path(options.reference);
  source.crop_size = extract_settings(options).at("crop").get<int>();
  auto analysers = models::load_face_analysers(config);
  extract::SourceSummary summary;
  {
    ProgressLine progress("extracting", "frames", options.events);
    summary = extract::extract_source(source, analysers, &progress);
  }
  for (const auto& message : summary.unreadable) std::printf("left out: %s\n", message.c_str());
  std::printf("source dataset %s: %d faces from %d frames; %d repeats skipped, %d frames without the face\n",
              options.output.c_str(), summary.faces, summary.frames, summary.duplicates, summary.without_face);
  std::printf("identity: mean of %zu faces", static_cast<std::size_t>(summary.faces) - summary.outliers.size());
  if (!summary.outliers.empty()) {
    std::printf(", %zu left out as not the same person:", summary.outliers.size());
    for (const auto& id : summary.outliers) std::printf(" %s", id.c_str());
  }
  std::printf("\n");
  print_times(summary.times);
  return summary.faces > 0 ? 0 : 1;
}

}  // namespace

void add_extract_command(CLI::App& app, const GlobalOptions& global, int& status) {
  auto options = std::make_shared<ExtractOptions>();
  auto* command = app.add_subcommand("extract", "Extract faces, landmarks, embeddings and masks into a dataset");
  auto* source = command->add_option("--source", options->source, "photos, folders of photos or videos of the person");
  auto* target = command->add_option("--target", options->target, "the target video: the face to replace, frame by frame");
  source->excludes(target);
  command->add_option("--output", options->output, "the dataset folder to write (resumes if it exists)")->required();
  command->add_option("--reference", options->reference,
                      "a photo of the person to keep (default: the largest face; for --target, see --person)");
  command->add_option("--every", options->every, "videos: keep every Nth frame")->check(CLI::PositiveNumber);
  command->add_option("--per-second", options->per_second, "videos: keep about this many frames per second");
  command->add_option("--start", options->start, "videos: start at this second");
  command->add_option("--end", options->end, "videos: stop at this second");
  command->add_option("--events", options->events, "also append progress as telemetry events to this events.jsonl");
  options->settings = std::make_unique<SchemaFlags>(*command, options::extract_option_schema());
  command->callback([&global, &status, options] {
    if (options->source.empty() && options->target.empty()) throw CLI::RequiredError("--source or --target");
    status = run_extract(global, *options);
  });
}

}  // namespace wf::app
