// A prompt as a user types it (CLI --prompt, the browser's prompt field) through the CLIP tokenizer of the
// tests' vocabulary: only wf::Error(invalid_input) may come out of encoding (text that is not UTF-8), the
// padded ids always have the model's length between start and end tokens, and every id decodes.

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.h"
#include "diffusion/clip_tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const wf::diffusion::CLIPTokenizer tokenizer = wf::diffusion::CLIPTokenizer::load(WF_CLIP_VOCAB_DIR);
  const std::string prompt(reinterpret_cast<const char*>(data), size);
  std::vector<std::int64_t> ids, padded;
  try {
    ids = tokenizer.encode(prompt);
    padded = tokenizer.encode_padded(prompt);
  } catch (const wf::Error& e) {
    if (e.code() != wf::ErrorCode::invalid_input) __builtin_trap();
    return 0;
  }
  if (static_cast<std::int64_t>(padded.size()) != tokenizer.model_max_length()) __builtin_trap();
  if (padded.front() != tokenizer.bos_token_id()) __builtin_trap();
  const std::int64_t kept = static_cast<std::int64_t>(ids.size()) - tokenizer.dropped_tokens(prompt);
  if (kept < 0 || padded[static_cast<std::size_t>(kept) + 1] != tokenizer.eos_token_id()) __builtin_trap();
  tokenizer.decode(ids);
  tokenizer.decode(padded, true);
  return 0;
}
