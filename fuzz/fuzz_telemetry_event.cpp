// A line of a job's events.jsonl (written by another version, edited, damaged): an event is read or refused with
// a wf::Error, and an event read is written back to the same event.

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/events.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const nlohmann::json line = nlohmann::json::parse(data, data + size, nullptr, false);
  if (line.is_discarded()) return 0;
  try {
    const wf::core::Event event = wf::core::Event::from_json(line);
    const nlohmann::json written = event.to_json();
    if (wf::core::Event::from_json(written).to_json() != written) __builtin_trap();  // not the same event
  } catch (const wf::Error&) {
  }
  return 0;
}
