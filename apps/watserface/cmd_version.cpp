// watserface version: what was built, against which libtorch.

#include <CLI/CLI.hpp>
#include <cstdio>

#include "cli_context.h"
#include "core/device.h"
#include "wf/build_info.h"

namespace wf::app {

void add_version_command(CLI::App& app, int& status) {
  auto* command = app.add_subcommand("version", "Print the version and the libraries it runs on");
  command->callback([&status] {
    const core::TorchInfo torch = core::read_torch_info();
    std::printf("watserface %s (%s build)\nlibtorch %s, %s\n", build::version, build::build_type, torch.version.c_str(),
                torch.cuda_available ? "CUDA" : "CPU");
    status = 0;
  });
}

}  // namespace wf::app
