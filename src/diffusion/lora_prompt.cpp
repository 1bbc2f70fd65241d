#include "diffusion/lora_prompt.h"

#include <nlohmann/json.hpp>

#include "core/json_io.h"

namespace wf::diffusion {

std::string LoraPrompt::caption(const std::string& text) const {
  std::string caption = text.empty() ? prompt_template : text;
  const std::string placeholder = "[identity]";
  for (auto at = caption.find(placeholder); at != std::string::npos;
       at = caption.find(placeholder, at + identity_word.size())) {
    caption.replace(at, placeholder.size(), identity_word);
  }
  return caption;
}

LoraPrompt read_lora_prompt(const std::filesystem::path& lora) {
  LoraPrompt prompt;
  if (!std::filesystem::is_regular_file(lora / "lora.json")) return prompt;
  const nlohmann::json info = core::read_json_file(lora / "lora.json");
  prompt.prompt_template = info.value("prompt_template", prompt.prompt_template);
  prompt.identity_word = info.value("identity_word", prompt.identity_word);
  return prompt;
}

}  // namespace wf::diffusion
