#include "models/doctor.h"

#include <nlohmann/json.hpp>
#include <sstream>

#include "core/device.h"
#include "core/enum_names.h"
#include "core/machine.h"

namespace wf::models {
namespace {

constexpr std::uint64_t kGiB = 1024ull * 1024 * 1024;

const char* marker(CheckStatus status) {
  switch (status) {
    case CheckStatus::ok: return "[ok]     ";
    case CheckStatus::note: return "[note]   ";
    case CheckStatus::problem: return "[problem]";
  }
  return "";
}

constexpr std::array<core::EnumName<CheckStatus>, 3> kStatusNames{
    {{CheckStatus::ok, "ok"}, {CheckStatus::note, "note"}, {CheckStatus::problem, "problem"}}};

std::vector<MachineCheck> check_machine(const core::AppConfig& config) {
  const core::MachineInfo machine = core::read_machine_info();
  const core::TorchInfo torch = core::read_torch_info();
  std::vector<MachineCheck> checks;

  const int threads = core::set_torch_threads(config.threads);
  checks.push_back({"cpu", CheckStatus::ok,
                    machine.cpu_model + ", " + std::to_string(machine.cores) + " cores, libtorch uses " +
                        std::to_string(threads) + " threads",
                    ""});

  if (torch.cuda_available) {
    checks.push_back({"cuda", CheckStatus::ok,
                      std::to_string(torch.cuda_devices) + " device(s), libtorch " + torch.version +
                          (torch.cuda_bf16 ? ", bf16" : ", fp16"),
                      ""});
  } else {
    checks.push_back({"cuda", CheckStatus::note, "none (libtorch " + torch.version + " runs on the CPU)",
                      "everything works on the CPU; training is faster with the cuda preset on an NVIDIA GPU"});
  }

  const bool low_memory = machine.available_memory < 2 * kGiB;
  checks.push_back({"memory", low_memory ? CheckStatus::note : CheckStatus::ok,
                    core::format_bytes(machine.available_memory) + " free of " +
                        core::format_bytes(machine.total_memory),
                    low_memory ? "close other programs; training picks a smaller batch when memory is short" : ""});

  const std::uint64_t free_disk = core::free_disk_bytes(config.workspace_dir);
  const CheckStatus disk_status =
      free_disk < kGiB ? CheckStatus::problem : (free_disk < 10 * kGiB ? CheckStatus::note : CheckStatus::ok);
  checks.push_back({"disk", disk_status,
                    core::format_bytes(free_disk) + " free for the workspace (" + config.workspace_dir.string() + ")",
                    disk_status == CheckStatus::ok ? ""
                                                   : "free space there or set workspace_dir in " +
                                                         core::default_config_file().string() +
                                                         "; a project with video frames needs 10 GiB or more"});
  return checks;
}

void describe_role(std::ostringstream& out, const RoleStatus& role) {
  const RoleSpec& spec = *role.spec;
  std::vector<std::string> ready;
  for (const auto& backend : role.backends) {
    if (backend.available) ready.push_back(backend.spec->title);
  }
  const char* head = role.ready() ? "[ok]     " : (spec.has_default ? "[problem]" : "[missing]");
  out << "  " << head << " " << spec.title << " (for " << spec.needed_for << ")\n";
  if (!ready.empty()) {
    out << "            installed: ";
    for (std::size_t i = 0; i < ready.size(); ++i) out << (i ? ", " : "") << ready[i];
    out << "\n";
  }
  for (const auto& backend : role.backends) {
    if (backend.available) continue;
    if (backend.spec->source == Source::package) {
      out << "            not installed: " << backend.spec->title << " from " << backend.spec->origin
          << " (run scripts/setup)\n";
      continue;
    }
    out << "            " << (spec.has_default ? "optional" : "to enable") << ": " << backend.spec->title << ", from "
        << backend.spec->origin << "\n";
    for (std::size_t i = 0; i < backend.missing.size(); ++i) {
      const auto& alternatives = backend.spec->files[i].alternatives;
      out << "              put " << backend.missing[i].string();
      if (alternatives.size() > 1) {
        out << "  (or:";
        for (std::size_t a = 1; a < alternatives.size(); ++a) out << " " << alternatives[a];
        out << ")";
      }
      out << "\n";
    }
  }
}

}  // namespace

bool DoctorReport::has_problems() const {
  for (const auto& check : machine) {
    if (check.status == CheckStatus::problem) return true;
  }
  for (const auto& role : models) {
    if (role.spec->has_default && !role.ready()) return true;
  }
  return false;
}

std::string DoctorReport::to_text() const {
  std::ostringstream out;
  out << "WatserFace doctor\n\nMachine\n";
  for (const auto& check : machine) {
    out << "  " << marker(check.status) << " " << check.name << ": " << check.detail << "\n";
    if (!check.hint.empty()) out << "            " << check.hint << "\n";
  }
  out << "\nModels (your files go under " << models_dir.string() << ")\n";
  for (const auto& role : models) describe_role(out, role);
  out << "\n"
      << (has_problems() ? "Some checks failed: follow the lines marked [problem] above.\n"
                         : "Ready: every embedded model is installed; [missing] roles are needed only for the generative path.\n");
  return out.str();
}

nlohmann::json DoctorReport::to_json() const {
  nlohmann::json out = {{"ok", !has_problems()}, {"models_dir", models_dir.string()}};
  out["machine"] = nlohmann::json::array();
  for (const auto& check : machine) {
    out["machine"].push_back(
        {{"name", check.name}, {"status", core::enum_to_string(kStatusNames, check.status)}, {"detail", check.detail}, {"hint", check.hint}});
  }
  out["models"] = nlohmann::json::array();
  for (const auto& role : models) {
    nlohmann::json backends = nlohmann::json::array();
    for (const auto& backend : role.backends) {
      nlohmann::json missing = nlohmann::json::array();
      for (const auto& path : backend.missing) missing.push_back(path.string());
      nlohmann::json found = nlohmann::json::array();
      for (const auto& path : backend.found) {
        std::error_code ec;
        const auto bytes = std::filesystem::file_size(path, ec);
        found.push_back({{"path", path.string()}, {"bytes", ec ? 0 : bytes}});
      }
      backends.push_back({{"id", backend.spec->id},
                          {"title", backend.spec->title},
                          {"source", std::string(to_string(backend.spec->source))},
                          {"available", backend.available},
                          {"found", found},
                          {"missing", missing},
                          {"origin", backend.spec->origin}});
    }
    out["models"].push_back({{"role", role.spec->id},
                             {"title", role.spec->title},
                             {"needed_for", role.spec->needed_for},
                             {"ready", role.ready()},
                             {"has_default", role.spec->has_default},
                             {"backends", backends}});
  }
  return out;
}

DoctorReport run_doctor(const core::AppConfig& config) {
  return {check_machine(config), check_models(config), config.models_dir};
}

}  // namespace wf::models
