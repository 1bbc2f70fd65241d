// A line of a dataset's metadata.jsonl (from Python, edited, damaged): a face record is read or refused with a
// wf::Error naming the field, and a record read is written back to the same record.

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "dataset/face_record.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const nlohmann::json line = nlohmann::json::parse(data, data + size, nullptr, false);
  if (line.is_discarded()) return 0;
  try {
    const wf::dataset::FaceRecord record = wf::dataset::FaceRecord::from_json(line);
    const nlohmann::json written = record.to_json();
    if (wf::dataset::FaceRecord::from_json(written).to_json() != written) __builtin_trap();  // not the same record
  } catch (const wf::Error&) {
  }
  return 0;
}
