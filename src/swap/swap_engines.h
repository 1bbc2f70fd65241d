#pragma once
// The swap engines, one row each: everything the CLI, the pipeline, review, the doctor and the browser know of an
// engine. An engine is its own files (a SwapEngine, how it takes the swap's inputs, what review retries it with)
// plus one row in swap_engines.cpp, and its settings' schema when it has some; nothing else compares engine names.

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/option_schema.h"
#include "swap/swap_engine.h"

namespace wf::swap {

struct SwapOptions;
class SourceFaces;
class RepairLadder;

enum class EngineKind { offline, generative, onnx };

// What a swap offers an engine, gathered the same way whichever engine runs; each takes what it uses.
struct EngineInputs {
  std::filesystem::path base_model{};  // SD 1.5
  std::filesystem::path tokenizer{};
  std::filesystem::path identity{};  // an identity adapter folder
  std::filesystem::path lora{};      // a LoRA folder or file; empty: none
  std::map<std::string, std::filesystem::path> model_files{};  // a model role (models/registry.h) -> its file
  std::string device = "cpu";
};

struct EngineSpec {
  EngineKind kind;
  std::string_view name;     // as settings, flags and reports spell it
  std::string_view label;    // the browser's choice
  std::string_view summary;  // one line: what it does and what it needs
  std::vector<std::string> model_roles;  // the registry's roles it cannot run without
  bool needs_identity_adapter;           // the pipeline trains one for it when identity is "auto"
  const core::OptionSchema& (*options)();  // its own settings (options/swap_options.h), a SwapOptions member
  void (*configure)(SwapOptions& options, const EngineInputs& inputs);
  std::unique_ptr<SwapEngine> (*make)(const SourceFaces& source, const SwapOptions& options);
  void (*repairs)(RepairLadder& ladder);  // review's steps after the swap's own settings fail (repair_ladder.h)
};

const std::vector<EngineSpec>& swap_engines();
const EngineSpec& engine_spec(EngineKind kind);
std::string_view to_string(EngineKind kind);
// Throws wf::Error(invalid_input) naming the engines there are.
EngineKind parse_engine(std::string_view name);

}  // namespace wf::swap
