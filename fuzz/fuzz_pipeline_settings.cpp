// A job's settings as the browser app posts them (POST /api/v1/projects/NAME/jobs) and as `--set key=value`
// gives them: resolved over a preset, or refused with a wf::Error naming the setting.

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "core/error.h"
#include "jobs/pipeline_settings.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const nlohmann::json body = nlohmann::json::parse(text, nullptr, false);
  if (!body.is_discarded()) {
    for (const char* preset : {"standard", "quick"}) {
      try {
        const nlohmann::json settings = wf::jobs::resolve_pipeline_settings(preset, body);
        if (settings.at("preset") != preset) __builtin_trap();
      } catch (const wf::Error&) {
      }
    }
  }
  try {
    wf::jobs::resolve_pipeline_settings("quick", wf::jobs::setting_patch(text));
  } catch (const wf::Error&) {
  }
  return 0;
}
