#pragma once
// The prompt a LoRA was trained with, which the swap must use again: a template in which [identity] stands for a
// rare word the LoRA learnt the target's look under. The trainer writes it to the LoRA folder's lora.json.

#include <filesystem>
#include <string>

#include "options/lora_options.h"

namespace wf::diffusion {

struct LoraPrompt {
  std::string prompt_template = options::kLoraPromptTemplate;
  std::string identity_word = options::kLoraIdentityWord;

  // `text` (a dataset face's own caption) or, when empty, the template; [identity] replaced in either.
  std::string caption(const std::string& text = "") const;
};

// The prompt in `lora`'s lora.json; the defaults for a LoRA file, or a folder without lora.json (another tool's).
LoraPrompt read_lora_prompt(const std::filesystem::path& lora);

}  // namespace wf::diffusion
