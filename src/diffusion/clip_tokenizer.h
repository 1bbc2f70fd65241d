#pragma once
// OpenAI CLIP's byte-level BPE tokenizer (clip/simple_tokenizer.py), run as transformers' CLIPTokenizer
// runs it for Stable Diffusion, from a diffusers model's `tokenizer/` folder.
// Text cleaning is CLIP's minus ftfy: HTML entities unescaped twice (common named ones and all numeric
// ones), NFC, whitespace collapsed, full Unicode lower-case. ftfy's other repairs (mojibake, curly quotes,
// ligatures, full-width forms) are not done; prompts typed as UTF-8 do not need them.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace wf::diffusion {

class CLIPTokenizer {
 public:
  // Reads vocab.json and merges.txt, and if present tokenizer_config.json then special_tokens_map.json
  // (model_max_length, bos/eos/unk/pad token names; defaults 77, <|startoftext|>, <|endoftext|> x3).
  // Throws wf::Error naming the file at fault.
  static CLIPTokenizer load(const std::filesystem::path& tokenizer_dir);

  // The prompt's token ids, without start/end tokens or padding. Invalid UTF-8 throws invalid_input.
  std::vector<int64_t> encode(std::string_view text) const;
  // model_max_length ids: start, the prompt's ids cut to model_max_length - 2, end, then pad ids
  // (transformers' padding="max_length", truncation=True, as diffusers calls it).
  std::vector<int64_t> encode_padded(std::string_view text) const;
  // How many of encode(text)'s ids encode_padded drops. diffusers warns about them; the caller decides.
  int64_t dropped_tokens(std::string_view text) const;
  // Ids back to text: "</w>" becomes a space, bytes that are not UTF-8 become U+FFFD, the ends are trimmed.
  // Unknown ids throw invalid_input.
  std::string decode(std::span<const int64_t> ids, bool skip_special_tokens = false) const;

  int64_t bos_token_id() const { return bos_id_; }
  int64_t eos_token_id() const { return eos_id_; }
  int64_t pad_token_id() const { return pad_id_; }
  int64_t unk_token_id() const { return unk_id_; }
  int64_t model_max_length() const { return model_max_length_; }
  int64_t vocab_size() const { return static_cast<int64_t>(encoder_.size()); }

 private:
  struct Cache;
  CLIPTokenizer();
  std::vector<int64_t> bpe(const std::string& piece) const;

  std::unordered_map<std::string, int64_t> encoder_;
  std::unordered_map<int64_t, std::string> decoder_;
  std::unordered_map<std::string, int64_t> merge_ranks_;  // "first second" -> rank, lowest merges first
  int64_t bos_id_ = 0, eos_id_ = 0, pad_id_ = 0, unk_id_ = 0, model_max_length_ = 77;
  std::shared_ptr<Cache> cache_;  // BPE ids per pre-token, behind a mutex; copies share it
};

}  // namespace wf::diffusion
