// watserface bench: how fast this machine extracts faces, trains and runs XSeg and steps the UNet, with the
// peak memory of each; a machine line and the results as text or JSON so runs can be compared.

#include <CLI/CLI.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli_context.h"
#include "jobs/machine_bench.h"

namespace wf::app {

void add_bench_command(CLI::App& app, const GlobalOptions& global, int& status) {
  auto options = std::make_shared<jobs::MachineBenchOptions>();
  auto json = std::make_shared<bool>(false);
  auto image = std::make_shared<std::string>();
  auto* command = app.add_subcommand(
      "bench", "Measure face analysis, XSeg training and inference and UNet steps on this machine (random weights)");
  command
      ->add_option("--only", options->only, "measure only these: faces, xseg_train, xseg_infer, unet_tiny, unet_sd15")
      ->delimiter(',');
  command->add_option("--runs", options->runs, "timed runs of each after a warm-up; the median is reported")
      ->capture_default_str();
  command->add_option("--xseg-size", options->xseg_size, "XSeg crop size in pixels")->capture_default_str();
  command->add_option("--image", *image, "the photo for face analysis (default: the offline engine's sample)");
  command->add_flag("--json", *json, "print the machine and the results as JSON");
  command->callback([&global, &status, options, json, image] {
    const core::AppConfig config = resolve_config(global);
    options->image = *image;
    const jobs::MachineBenchReport report = jobs::run_machine_bench(
        config, *options, [](const std::string& name) { std::fprintf(stderr, "measuring %s...\n", name.c_str()); });
    const std::string text = *json ? report.to_json().dump(2) + "\n" : report.to_text();
    std::fputs(text.c_str(), stdout);
    status = 0;
  });
}

}  // namespace wf::app
