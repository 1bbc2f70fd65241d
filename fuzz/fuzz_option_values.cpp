// Option values as a request or a job's settings carry them, checked against a schema with every kind of option:
// completed with the defaults and accepted, or refused with a wf::Error naming the option. The same for each
// option's text as a CLI flag gives it.

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "core/error.h"
#include "core/option_schema.h"

namespace {

const wf::core::OptionSchema& schema() {
  using wf::core::OptionKind;
  static const wf::core::OptionSchema options = {
      {.name = "rank", .kind = OptionKind::integer, .default_value = 16, .min = 1, .max = 256},
      {.name = "lr", .kind = OptionKind::number, .default_value = 1e-4, .min = 0},
      {.name = "sampler", .kind = OptionKind::choice, .default_value = "ddim", .choices = {"ddim", "euler"}},
      {.name = "modules", .kind = OptionKind::list, .default_value = nlohmann::json::array({"to_q"}), .max = 8},
      {.name = "fast", .kind = OptionKind::flag, .default_value = false},
      {.name = "dataset", .kind = OptionKind::path, .required = true},
      {.name = "prompt", .kind = OptionKind::text, .default_value = "a photo"},
  };
  return options;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const nlohmann::json values = nlohmann::json::parse(data, data + size, nullptr, false);
  if (!values.is_discarded()) {
    try {
      const nlohmann::json resolved = wf::core::resolve_options(schema(), values);
      if (!resolved.contains("rank") || !resolved.contains("dataset")) __builtin_trap();  // a default or a required one lost
    } catch (const wf::Error&) {
    }
  }
  const std::string text(reinterpret_cast<const char*>(data), size);
  for (const auto& spec : schema()) {
    try {
      wf::core::parse_option_text(spec, text);
    } catch (const wf::Error&) {
    }
  }
  return 0;
}
