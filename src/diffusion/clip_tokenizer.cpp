#include "diffusion/clip_tokenizer.h"

#include <unicode/locid.h>
#include <unicode/normalizer2.h>
#include <unicode/regex.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <fstream>
#include <limits>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.h"

namespace wf::diffusion {

struct CLIPTokenizer::Cache {
  std::mutex mutex;
  std::unordered_map<std::string, std::vector<int64_t>> ids;
};

namespace {

namespace fs = std::filesystem;

constexpr const char* kFolderHint =
    "pass the tokenizer/ folder of a diffusers Stable Diffusion model (it holds vocab.json and merges.txt)";
constexpr const char* kRefetchHint = "download the model's tokenizer/ folder again";
// transformers' CLIPTokenizer reads merges.txt lines [1 : 49152 - 256 - 2 + 1]: CLIP's vocabulary less the
// 256 byte tokens and the 2 specials. Longer files (CLIP's own bpe_simple_vocab_16e6) are cut the same way.
constexpr size_t kMaxMerges = 49152 - 256 - 2;
constexpr size_t kMaxCachedWords = 1 << 16;

// GPT-2's bytes_to_unicode: printable Latin-1 bytes stand for themselves, the others move to U+0100 and up,
// so every byte is a visible character and no token holds a space.
struct ByteTable {
  std::array<std::string, 256> symbol;  // byte -> UTF-8 of its character
  std::array<int, 0x144> byte_of{};     // character -> byte, -1 outside the table

  ByteTable() {
    byte_of.fill(-1);
    for (int b = 0, shifted = 0; b < 256; ++b) {
      const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
      const UChar32 c = printable ? b : 256 + shifted++;
      byte_of[c] = b;
      icu::UnicodeString(c).toUTF8String(symbol[b]);
    }
  }
};

const ByteTable& byte_table() {
  static const ByteTable table;
  return table;
}

void append_utf8(std::string& out, UChar32 c) {
  icu::UnicodeString(c).toUTF8String(out);
}

// Python's html.unescape for the entities prompts carry: every numeric reference (with its rules for
// invalid code points) and the named ones below. Legacy names (HTML 4) also match without ';' and as a
// prefix ("&ampx" -> "&x"), as in Python; other named entities stay as written.
struct Entity {
  std::string_view name;
  UChar32 code;
  bool legacy;
};
constexpr Entity kEntities[] = {
    {"amp", '&', true},       {"AMP", '&', true},        {"lt", '<', true},        {"LT", '<', true},
    {"gt", '>', true},        {"GT", '>', true},         {"quot", '"', true},      {"QUOT", '"', true},
    {"nbsp", 0xA0, true},     {"copy", 0xA9, true},      {"COPY", 0xA9, true},     {"reg", 0xAE, true},
    {"REG", 0xAE, true},      {"deg", 0xB0, true},       {"middot", 0xB7, true},   {"laquo", 0xAB, true},
    {"raquo", 0xBB, true},    {"times", 0xD7, true},     {"apos", '\'', false},    {"ndash", 0x2013, false},
    {"mdash", 0x2014, false}, {"lsquo", 0x2018, false},  {"rsquo", 0x2019, false}, {"ldquo", 0x201C, false},
    {"rdquo", 0x201D, false}, {"hellip", 0x2026, false}, {"trade", 0x2122, false},
};
// Python maps numeric references to 0x80..0x9F through Windows-1252, as browsers do.
constexpr UChar32 kCp1252[32] = {0x20AC, 0x81,   0x201A, 0x192,  0x201E, 0x2026, 0x2020, 0x2021, 0x2C6,  0x2030, 0x160,
                                 0x2039, 0x152,  0x8D,   0x17D,  0x8F,   0x90,   0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
                                 0x2013, 0x2014, 0x2DC,  0x2122, 0x161,  0x203A, 0x153,  0x9D,   0x17E,  0x178};

void append_char_ref(std::string& out, uint32_t num) {
  if (num == 0 || (num >= 0xD800 && num <= 0xDFFF) || num > 0x10FFFF) return append_utf8(out, 0xFFFD);
  if (num >= 0x80 && num <= 0x9F) return append_utf8(out, kCp1252[num - 0x80]);
  const bool dropped = (num >= 0x1 && num <= 0x8) || num == 0xB || (num >= 0xE && num <= 0x1F) || num == 0x7F ||
                       (num >= 0xFDD0 && num <= 0xFDEF) || (num & 0xFFFE) == 0xFFFE;
  if (!dropped) append_utf8(out, static_cast<UChar32>(num));
}

std::string unescape_html(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    if (s[i] != '&') {
      out += s[i++];
      continue;
    }
    size_t k = i + 1;
    if (k < s.size() && s[k] == '#') {
      const bool hex = k + 1 < s.size() && (s[k + 1] == 'x' || s[k + 1] == 'X');
      const size_t start = k + (hex ? 2 : 1);
      uint32_t num = 0;
      for (k = start; k < s.size(); ++k) {
        const auto c = static_cast<unsigned char>(s[k]);
        if (!(hex ? std::isxdigit(c) : std::isdigit(c))) break;
        const uint32_t digit = std::isdigit(c) ? c - '0' : (c | 0x20) - 'a' + 10;
        num = std::min<uint32_t>(num * (hex ? 16 : 10) + digit, 0x110000);  // saturates past the last code point
      }
      if (k == start) {
        out += s[i++];
        continue;
      }
      append_char_ref(out, num);
      i = k < s.size() && s[k] == ';' ? k + 1 : k;
      continue;
    }
    while (k < s.size() && std::string_view("\t\n\f <&#;").find(s[k]) == std::string_view::npos) ++k;
    const std::string_view name = s.substr(i + 1, k - i - 1);
    const bool semicolon = k < s.size() && s[k] == ';';
    const Entity *exact = nullptr, *prefix = nullptr;
    for (const Entity& e : kEntities) {
      if (semicolon && e.name == name) exact = &e;
      if (e.legacy && name.starts_with(e.name) && (!prefix || e.name.size() > prefix->name.size())) prefix = &e;
    }
    if (exact) {
      append_utf8(out, exact->code);
      i = k + 1;
    } else if (prefix) {
      append_utf8(out, prefix->code);
      i += 1 + prefix->name.size();
    } else {
      out += s[i++];
    }
  }
  return out;
}

// Python's str.isspace: the White_Space property plus the separators U+001C..U+001F.
bool is_python_space(UChar c) {
  return u_isUWhiteSpace(c) || (c >= 0x1C && c <= 0x1F);
}

void check_utf8(std::string_view text) {
  const auto length = static_cast<int32_t>(text.size());
  for (int32_t i = 0; i < length;) {
    const int32_t at = i;
    UChar32 c;
    U8_NEXT(text.data(), i, length, c);
    if (c < 0) {
      throw Error(ErrorCode::invalid_input, "the prompt is not valid UTF-8 (byte " + std::to_string(at) + ")", {},
                  "pass the prompt as UTF-8 text");
    }
  }
}

// CLIP's basic_clean + whitespace_clean + lower, ftfy aside: unescape, NFC, collapse whitespace, lower-case.
icu::UnicodeString clean(std::string_view text) {
  const icu::UnicodeString unescaped = icu::UnicodeString::fromUTF8(unescape_html(unescape_html(text)));
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
  const icu::UnicodeString normal = U_SUCCESS(status) ? nfc->normalize(unescaped, status) : unescaped;
  WF_CHECK(U_SUCCESS(status), std::string("ICU NFC normalisation failed: ") + u_errorName(status));
  icu::UnicodeString collapsed;
  bool space = false;
  for (int32_t i = 0; i < normal.length(); ++i) {
    const UChar c = normal.charAt(i);
    if (is_python_space(c)) {
      space = true;
      continue;
    }
    if (space && !collapsed.isEmpty()) collapsed.append(static_cast<UChar>(' '));
    space = false;
    collapsed.append(c);
  }
  return collapsed.toLower(icu::Locale::getRoot());
}

// CLIP's pattern. The one difference from Python's `regex` found by a differential fuzz: Python drops U+0345
// (a combining mark whose case fold is a letter), ICU's case-insensitive [^...] keeps it as a symbol.
const icu::RegexPattern& pre_tokenizer() {
  static const std::unique_ptr<icu::RegexPattern> pattern = [] {
    const char* source =
        R"(<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+)";
    UErrorCode status = U_ZERO_ERROR;
    UParseError where{};
    std::unique_ptr<icu::RegexPattern> compiled(
        icu::RegexPattern::compile(icu::UnicodeString::fromUTF8(source), UREGEX_CASE_INSENSITIVE, where, status));
    WF_CHECK(U_SUCCESS(status), std::string("the CLIP pre-tokenizer pattern does not compile: ") + u_errorName(status));
    return compiled;
  }();
  return *pattern;
}

std::string read_file(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    throw Error(ErrorCode::missing_model, path.filename().string() + " is missing", path, kFolderHint);
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorCode::invalid_input, "cannot read file", path, "check its permissions");
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

nlohmann::json read_json(const fs::path& path) {
  try {
    return nlohmann::json::parse(read_file(path));
  } catch (const nlohmann::json::exception& e) {  // parse_error, or out_of_range for a number too large
    throw Error(ErrorCode::corrupt_file, std::string("not valid JSON: ") + e.what(), path, kRefetchHint);
  }
}

// transformers writes a special token either as its text or as an AddedToken object {"content": ...}.
std::string token_name(const nlohmann::json& value, const char* key, const fs::path& path) {
  const nlohmann::json& content = value.is_object() && value.contains("content") ? value.at("content") : value;
  if (!content.is_string()) {
    throw Error(ErrorCode::corrupt_file, std::string(key) + " is neither a token nor {\"content\": token}", path,
                kRefetchHint);
  }
  return content.get<std::string>();
}

}  // namespace

CLIPTokenizer::CLIPTokenizer() : cache_(std::make_shared<Cache>()) {}

CLIPTokenizer CLIPTokenizer::load(const fs::path& tokenizer_dir) {
  CLIPTokenizer t;
  const fs::path vocab_path = tokenizer_dir / "vocab.json";
  const nlohmann::json vocab = read_json(vocab_path);
  if (!vocab.is_object())
    throw Error(ErrorCode::corrupt_file, "vocab.json is not a token -> id object", vocab_path, kRefetchHint);
  for (const auto& [token, id] : vocab.items()) {
    if (!id.is_number_integer() || id.get<int64_t>() < 0) {
      throw Error(ErrorCode::corrupt_file, "the id of '" + token + "' is not a non-negative integer", vocab_path,
                  kRefetchHint);
    }
    const auto [it, fresh] = t.decoder_.emplace(id.get<int64_t>(), token);
    if (!fresh) {
      throw Error(ErrorCode::corrupt_file,
                  "'" + it->second + "' and '" + token + "' share id " + std::to_string(it->first), vocab_path,
                  kRefetchHint);
    }
    t.encoder_.emplace(token, id.get<int64_t>());
  }

  const fs::path merges_path = tokenizer_dir / "merges.txt";
  std::istringstream merges(read_file(merges_path));
  std::string line;
  for (size_t number = 1, rank = 0; rank < kMaxMerges && std::getline(merges, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if ((number == 1 && line.starts_with("#version")) || line.find_first_not_of(" \t") == std::string::npos) continue;
    std::istringstream fields(line);
    std::string first, second, extra;
    if (!(fields >> first >> second) || (fields >> extra)) {
      throw Error(ErrorCode::corrupt_file, "line " + std::to_string(number) + " is not two tokens: '" + line + "'",
                  merges_path, kRefetchHint);
    }
    if (!t.encoder_.contains(first + second)) {
      throw Error(ErrorCode::corrupt_file,
                  "line " + std::to_string(number) + " merges '" + first + "' and '" + second + "' into '" + first +
                      second + "', which vocab.json does not have",
                  merges_path, "vocab.json and merges.txt must come from the same tokenizer/ folder");
    }
    // A repeated merge takes its later rank, as Python's dict does.
    t.merge_ranks_.insert_or_assign(first + " " + second, static_cast<int64_t>(rank++));
  }

  struct Special {
    const char* key;
    int64_t* id;
    std::string name;
    fs::path named_in;
  };
  Special specials[] = {{"bos_token", &t.bos_id_, "<|startoftext|>", vocab_path},
                        {"eos_token", &t.eos_id_, "<|endoftext|>", vocab_path},
                        {"unk_token", &t.unk_id_, "<|endoftext|>", vocab_path},
                        {"pad_token", &t.pad_id_, "<|endoftext|>", vocab_path}};
  for (const char* name : {"tokenizer_config.json", "special_tokens_map.json"}) {  // the second one wins
    const fs::path path = tokenizer_dir / name;
    std::error_code ec;
    if (!fs::exists(path, ec)) continue;
    const nlohmann::json config = read_json(path);
    if (!config.is_object()) throw Error(ErrorCode::corrupt_file, "not a JSON object", path, kRefetchHint);
    for (Special& special : specials) {
      if (!config.contains(special.key) || config.at(special.key).is_null()) continue;
      special.name = token_name(config.at(special.key), special.key, path);
      special.named_in = path;
    }
    if (!config.contains("model_max_length")) continue;
    const nlohmann::json& length = config.at("model_max_length");
    // transformers writes 1e30 when a tokenizer has no limit; CLIP's text encoder has 77 positions.
    if (!length.is_number_integer() || length.get<int64_t>() < 2 || length.get<int64_t>() > (1 << 20)) {
      throw Error(ErrorCode::corrupt_file, "model_max_length " + length.dump() + " is not a usable prompt length", path,
                  "Stable Diffusion's tokenizer_config.json has \"model_max_length\": 77");
    }
    t.model_max_length_ = length.get<int64_t>();
  }
  for (const Special& special : specials) {
    const auto it = t.encoder_.find(special.name);
    if (it == t.encoder_.end()) {
      throw Error(ErrorCode::corrupt_file, std::string(special.key) + " '" + special.name + "' is not in vocab.json",
                  special.named_in, "vocab.json and the token names must come from the same tokenizer/ folder");
    }
    *special.id = it->second;
  }
  return t;
}

std::vector<int64_t> CLIPTokenizer::bpe(const std::string& piece) const {
  {
    const std::lock_guard lock(cache_->mutex);
    if (const auto it = cache_->ids.find(piece); it != cache_->ids.end()) return it->second;
  }
  std::vector<std::string> word;
  for (const unsigned char b : piece) word.push_back(byte_table().symbol[b]);
  word.back() += "</w>";
  while (word.size() > 1) {
    int64_t best_rank = std::numeric_limits<int64_t>::max();
    size_t best = 0;
    for (size_t i = 0; i + 1 < word.size(); ++i) {
      const auto it = merge_ranks_.find(word[i] + " " + word[i + 1]);
      if (it != merge_ranks_.end() && it->second < best_rank) {
        best_rank = it->second;
        best = i;
      }
    }
    if (best_rank == std::numeric_limits<int64_t>::max()) break;
    const std::string first = word[best], second = word[best + 1];
    std::vector<std::string> merged;
    for (size_t i = 0; i < word.size();) {
      if (i + 1 < word.size() && word[i] == first && word[i + 1] == second) {
        merged.push_back(first + second);
        i += 2;
      } else {
        merged.push_back(word[i++]);
      }
    }
    word = std::move(merged);
  }
  std::vector<int64_t> ids;
  for (const std::string& symbol : word) {
    const auto it = encoder_.find(symbol);
    ids.push_back(it == encoder_.end() ? unk_id_ : it->second);  // transformers' fallback; a full vocab never needs it
  }
  const std::lock_guard lock(cache_->mutex);
  if (cache_->ids.size() >= kMaxCachedWords) cache_->ids.clear();
  cache_->ids.emplace(piece, ids);
  return ids;
}

std::vector<int64_t> CLIPTokenizer::encode(std::string_view text) const {
  check_utf8(text);
  const icu::UnicodeString cleaned = clean(text);
  UErrorCode status = U_ZERO_ERROR;
  const std::unique_ptr<icu::RegexMatcher> matcher(pre_tokenizer().matcher(cleaned, status));
  WF_CHECK(U_SUCCESS(status), std::string("ICU regex matcher: ") + u_errorName(status));
  std::vector<int64_t> ids;
  while (matcher->find(status)) {
    std::string piece;
    matcher->group(status).toUTF8String(piece);
    if (piece == "<|startoftext|>" || piece == "<|endoftext|>") {
      if (const auto special = encoder_.find(piece); special != encoder_.end()) {
        ids.push_back(special->second);
        continue;
      }
    }
    const std::vector<int64_t> word = bpe(piece);
    ids.insert(ids.end(), word.begin(), word.end());
  }
  WF_CHECK(U_SUCCESS(status), std::string("ICU regex search: ") + u_errorName(status));
  return ids;
}

std::vector<int64_t> CLIPTokenizer::encode_padded(std::string_view text) const {
  std::vector<int64_t> tokens = encode(text);
  tokens.resize(std::min<size_t>(tokens.size(), static_cast<size_t>(model_max_length_ - 2)));
  std::vector<int64_t> ids{bos_id_};
  ids.insert(ids.end(), tokens.begin(), tokens.end());
  ids.push_back(eos_id_);
  ids.resize(static_cast<size_t>(model_max_length_), pad_id_);
  return ids;
}

int64_t CLIPTokenizer::dropped_tokens(std::string_view text) const {
  return std::max<int64_t>(0, static_cast<int64_t>(encode(text).size()) - (model_max_length_ - 2));
}

std::string CLIPTokenizer::decode(std::span<const int64_t> ids, bool skip_special_tokens) const {
  std::string symbols;
  for (const int64_t id : ids) {
    if (skip_special_tokens && (id == bos_id_ || id == eos_id_ || id == pad_id_ || id == unk_id_)) continue;
    const auto it = decoder_.find(id);
    if (it == decoder_.end()) {
      throw Error(ErrorCode::invalid_input, "token id " + std::to_string(id) + " is not in the vocabulary", {},
                  "decode ids that this tokenizer produced");
    }
    symbols += it->second;
  }
  std::string bytes;
  const auto length = static_cast<int32_t>(symbols.size());
  for (int32_t i = 0; i < length;) {
    UChar32 c;
    U8_NEXT(symbols.data(), i, length, c);
    const int byte = c >= 0 && c < static_cast<UChar32>(byte_table().byte_of.size()) ? byte_table().byte_of[c] : -1;
    if (byte >= 0)
      bytes += static_cast<char>(byte);
    else if (c >= 0)
      append_utf8(bytes, c);  // a character outside the byte table (an added token) stays itself
  }
  for (size_t at = bytes.find("</w>"); at != std::string::npos; at = bytes.find("</w>", at + 1))
    bytes.replace(at, 4, " ");
  std::string text;
  icu::UnicodeString::fromUTF8(bytes).toUTF8String(text);  // ill-formed sequences become U+FFFD
  const size_t begin = text.find_first_not_of(" \t\n\r\f\v");
  if (begin == std::string::npos) return {};
  return text.substr(begin, text.find_last_not_of(" \t\n\r\f\v") - begin + 1);
}

}  // namespace wf::diffusion
