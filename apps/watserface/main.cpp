// watserface: the command line. Each verb lives in its own cmd_<verb>.cpp; this file only wires them
// and turns errors into one clear message and an exit status.

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <exception>

#include "cli_context.h"
#include "core/error.h"
#include "usage_error.h"
#include "wf/build_info.h"

int main(int argc, char** argv) {
  // A file-size limit (ulimit -f, a quota) makes a write fail with EFBIG, said as "disk full" naming the file,
  // instead of killing the process mid-checkpoint.
  std::signal(SIGXFSZ, SIG_IGN);
  CLI::App app{"WatserFace: a face-swap studio. Start with `watserface ui` and open http://127.0.0.1:7860",
               "watserface"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("watserface ") + wf::build::version);

  wf::app::GlobalOptions global;
  int status = 0;
  wf::app::add_global_options(app, global);
  wf::app::add_ui_command(app, global, status);
  wf::app::add_extract_command(app, global, status);
  wf::app::add_doctor_command(app, global, status);
  wf::app::add_models_command(app, global, status);
  wf::app::add_version_command(app, status);
  wf::app::add_settings_command(app, status);
  wf::app::add_train_commands(app, global, status);
  wf::app::add_swap_command(app, global, status);
  wf::app::add_review_command(app, global, status);
  wf::app::add_run_command(app, global, status);
  wf::app::add_jobs_command(app, global, status);
  wf::app::add_generate_command(app, global, status);
  wf::app::add_bench_command(app, global, status);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return wf::app::usage_error(app, e);
  } catch (const wf::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.message().c_str());
    if (!e.path().empty()) std::fprintf(stderr, "  file: %s\n", e.path().c_str());
    if (!e.hint().empty()) std::fprintf(stderr, "  fix:  %s\n", e.hint().c_str());
    return wf::exit_code(e.code());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n  this is a WatserFace bug; please report it with the command you ran\n",
                 e.what());
    return wf::exit_code(wf::ErrorCode::internal);
  }
  return status;
}
