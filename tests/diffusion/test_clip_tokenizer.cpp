// CLIPTokenizer against a small vocabulary learned in CLIP's layout and the ids an independent Python
// implementation of CLIP's published tokenizer gives. Fixtures and expected ids were produced by
//   python3 tests/diffusion/clip_tokenizer_reference.py
// (128 merges over its corpus: ids 0..511 bytes and bytes + "</w>", 512..639 merges, 640/641 the specials).

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/error.h"
#include "diffusion/clip_tokenizer.h"
#include "support/temp_dir.h"

namespace wf::diffusion {
namespace {

namespace fs = std::filesystem;
using Ids = std::vector<int64_t>;

const fs::path kVocabDir = WF_CLIP_VOCAB_DIR;

const CLIPTokenizer& tokenizer() {
  static const CLIPTokenizer loaded = CLIPTokenizer::load(kVocabDir);
  return loaded;
}

// A tokenizer/ folder with the fixture's vocab.json and the given other files.
void write_folder(const test::TempDir& dir, const std::string& merges, const std::string& config = {}) {
  test::write_text(dir / "vocab.json", test::read_text(kVocabDir / "vocab.json"));
  test::write_text(dir / "merges.txt", merges);
  if (!config.empty()) test::write_text(dir / "tokenizer_config.json", config);
}

template <typename F>
Error error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "no wf::Error thrown";
  return Error(ErrorCode::internal, "none");
}

TEST(CLIPTokenizer, LoadsSd15LayoutFolder) {
  const CLIPTokenizer& t = tokenizer();
  EXPECT_EQ(t.vocab_size(), 642);
  EXPECT_EQ(t.bos_token_id(), 640);  // looked up in vocab.json, as 49406 is in the real one
  EXPECT_EQ(t.eos_token_id(), 641);
  EXPECT_EQ(t.pad_token_id(), 641);  // SD 1.5 pads with <|endoftext|>
  EXPECT_EQ(t.unk_token_id(), 641);
  EXPECT_EQ(t.model_max_length(), 77);
}

TEST(CLIPTokenizer, MatchesReferenceIds) {
  struct Case {
    const char* name;
    std::string prompt;
    Ids expected;
  };
  const std::vector<Case> cases = {
      {"plain", "a photo of an astronaut riding a horse on mars", {320, 519, 522, 576, 577, 81, 78,  614, 84, 339,
                                                                   81,  72,  586, 320, 512, 81, 569, 515, 76, 581}},
      // hello | !!! | world | ...: a punctuation run is one pre-token
      {"punctuation", "hello!!! world...", {71, 68, 75, 75, 334, 573, 86, 617, 75, 323, 13, 13, 269}},
      // it 's don 't they 'll we 're i 'm: contractions split off whatever their case
      {"contractions",
       "it's don't they'LL we'Re I'M",
       {562, 551, 587, 574, 513, 68, 344, 6, 75, 331, 86, 324, 6, 549, 328, 6, 332}},
      {"digits", "1234 photos", {272, 273, 274, 275, 518, 78, 338}},  // one token per digit
      {"lower_case", "\u00c9COLE Stra\u00dfe", {570, 537, 605, 630, 127, 253, 324}},
      {"accents",
       "na\u00efve Zo\u00eb at a caf\u00e9",
       {614, 127, 107, 631, 89, 78, 127, 360, 531, 320, 66, 64, 69, 127, 358}},
      {"emoji", "\U0001F525\U0001F431 fire cat", {639, 98, 571, 238, 365, 597, 555}},  // byte tokens
      {"cjk", "東京の夜景", {638, 223, 106, 161, 97, 250, 162, 247, 363}},
      {"entities",
       "rock &amp; roll &lt;3 &quot;cat&quot; &#39;dog&#39; caf&#233; caf&#xE9;",
       {81, 615, 330, 261, 81, 616, 331, 283, 274, 257, 555, 257, 6,  323,
        78, 326, 262, 66,  64, 69,  127, 358, 66,  64,  69,  127, 358}},
      {"whitespace", "  a\tphoto\n\nof   a \u00a0 cat  ", {320, 519, 522, 320, 555}},
      {"specials", "a <|endoftext|> b", {320, 641, 321}},
      {"empty", "", {}},
  };
  for (const Case& c : cases) EXPECT_EQ(tokenizer().encode(c.prompt), c.expected) << c.name << ": " << c.prompt;
}

TEST(CLIPTokenizer, NormalisesBeforeSplitting) {
  const CLIPTokenizer& t = tokenizer();
  const Ids cafe = {66, 64, 69, 127, 358};  // c a f Ã ©</w>: é's two bytes
  EXPECT_EQ(t.encode("caf\u00e9"), cafe);   // NFC input
  EXPECT_EQ(t.encode("cafe\u0301"), cafe);  // NFD input composes to the same text
  EXPECT_EQ(t.encode("CAF\u00c9"), cafe);
  EXPECT_EQ(t.encode("\u00c9COLE"), t.encode("\u00e9cole"));
  EXPECT_EQ(t.encode("STRASSE"), t.encode("strasse"));
  EXPECT_EQ(t.encode("THEY'LL"), t.encode("they'll"));
  EXPECT_EQ(t.encode("A  PHOTO\r\n\tOF\u3000A CAT"), t.encode("a photo of a cat"));
  EXPECT_EQ(t.encode("1234").size(), 4u);
  EXPECT_EQ(t.encode("<|STARTOFTEXT|>"), Ids{640});
}

TEST(CLIPTokenizer, UnescapesHtmlAsPython) {
  // Each left side is what Python's html.unescape(html.unescape(...)) turns into the right side.
  const CLIPTokenizer& t = tokenizer();
  EXPECT_EQ(t.encode("&ampx"), t.encode("&x"));
  EXPECT_EQ(t.encode("&amp;amp;"), t.encode("&"));
  EXPECT_EQ(t.encode("&lt3 &QUOT;"), t.encode("<3 \""));
  EXPECT_EQ(t.encode("&ampere;"), t.encode("&ere;"));
  EXPECT_EQ(t.encode("&#x1F525;&#128293"), t.encode("\U0001F525\U0001F525"));
  EXPECT_EQ(t.encode("&#150;"), t.encode("\u2013"));  // Windows-1252, as browsers read it
  EXPECT_EQ(t.encode("&#0; &#99999999999;"), t.encode("\uFFFD \uFFFD"));
  EXPECT_EQ(t.encode("a&#1;b"), t.encode("ab"));
  EXPECT_EQ(t.encode("a&nbsp;&nbsp;cat"), t.encode("a cat"));
  EXPECT_EQ(t.encode("AT&T &#x; &unknown;"), t.encode("at&t &#x; &unknown;"));
}

TEST(CLIPTokenizer, PadsAndTruncatesToModelMaxLength) {
  const CLIPTokenizer& t = tokenizer();
  const Ids empty = t.encode_padded("");
  ASSERT_EQ(empty.size(), 77u);
  EXPECT_EQ(empty[0], 640);
  for (size_t i = 1; i < empty.size(); ++i) EXPECT_EQ(empty[i], 641) << i;
  EXPECT_EQ(t.dropped_tokens(""), 0);

  const Ids short_ids = t.encode_padded("a photo of a cat");
  EXPECT_EQ(Ids(short_ids.begin(), short_ids.begin() + 7), (Ids{640, 320, 519, 522, 320, 555, 641}));

  std::string long_prompt;
  for (int i = 0; i < 20; ++i) long_prompt += "a photo of a cat, ";
  const Ids all = t.encode(long_prompt);
  ASSERT_EQ(all.size(), 120u);  // 20 x (a photo of a cat ,)
  EXPECT_EQ(Ids(all.begin(), all.begin() + 8), (Ids{320, 519, 522, 320, 555, 267, 320, 519}));
  EXPECT_EQ(t.dropped_tokens(long_prompt), 45);
  const Ids padded = t.encode_padded(long_prompt);
  ASSERT_EQ(padded.size(), 77u);
  EXPECT_EQ(padded.front(), 640);
  EXPECT_EQ(padded.back(), 641);  // the end token survives truncation
  EXPECT_EQ(Ids(padded.begin() + 1, padded.end() - 1), Ids(all.begin(), all.begin() + 75));
}

TEST(CLIPTokenizer, DecodesBackToText) {
  const CLIPTokenizer& t = tokenizer();
  for (const char* text : {"a photo of an astronaut riding a horse on mars", "portrait of a woman oil painting",
                           "zebra quokka 1 2 3 xylophone"}) {
    EXPECT_EQ(t.decode(t.encode(text)), text);
  }
  EXPECT_EQ(t.decode(t.encode("Hello!!!   World...")), "hello !!! world ...");  // one space per word end
  EXPECT_EQ(t.decode(t.encode("caf\u00e9 \U0001F525")), "caf\u00e9 \U0001F525");
  const Ids padded = t.encode_padded("a cat");
  EXPECT_EQ(t.decode(padded, /*skip_special_tokens=*/true), "a cat");
  EXPECT_EQ(t.decode(Ids(padded.begin(), padded.begin() + 4)), "<|startoftext|>a cat <|endoftext|>");
  EXPECT_EQ(t.decode(Ids{638}), "\u6771\u4eac\uFFFD");  // 東京 and the first byte of の: cut UTF-8 becomes U+FFFD
  EXPECT_EQ(error_of([&] { t.decode(Ids{642}); }).code(), ErrorCode::invalid_input);
}

TEST(CLIPTokenizer, RejectsInvalidUtf8Prompts) {
  for (const char* prompt : {"a \xff cat", "\xe6\x9d", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80"}) {
    const Error e = error_of([&] { tokenizer().encode(prompt); });
    EXPECT_EQ(e.code(), ErrorCode::invalid_input) << prompt;
    EXPECT_NE(e.message().find("UTF-8"), std::string::npos) << e.message();
  }
}

TEST(CLIPTokenizer, MissingFilesNameTheFolderFix) {
  test::TempDir dir;
  Error e = error_of([&] { CLIPTokenizer::load(dir.path()); });
  EXPECT_EQ(e.code(), ErrorCode::missing_model);
  EXPECT_EQ(e.path(), dir / "vocab.json");
  EXPECT_NE(e.hint().find("tokenizer/ folder of a diffusers Stable Diffusion model"), std::string::npos);

  test::write_text(dir / "vocab.json", test::read_text(kVocabDir / "vocab.json"));
  e = error_of([&] { CLIPTokenizer::load(dir.path()); });
  EXPECT_EQ(e.code(), ErrorCode::missing_model);
  EXPECT_EQ(e.path(), dir / "merges.txt");
}

TEST(CLIPTokenizer, CorruptFilesAreNamed) {
  test::TempDir dir;
  write_folder(dir, "#version: 0.2\nh o\nq z\n");
  Error e = error_of([&] { CLIPTokenizer::load(dir.path()); });
  EXPECT_EQ(e.code(), ErrorCode::corrupt_file);
  EXPECT_EQ(e.path(), dir / "merges.txt");
  EXPECT_NE(e.message().find("line 3"), std::string::npos) << e.message();
  EXPECT_NE(e.message().find("'qz'"), std::string::npos) << e.message();

  write_folder(dir, "#version: 0.2\nh o extra\n");
  EXPECT_EQ(error_of([&] { CLIPTokenizer::load(dir.path()); }).code(), ErrorCode::corrupt_file);

  test::write_text(dir / "vocab.json", R"({"a": 0, "b": )");
  e = error_of([&] { CLIPTokenizer::load(dir.path()); });
  EXPECT_EQ(e.code(), ErrorCode::corrupt_file);
  EXPECT_EQ(e.path(), dir / "vocab.json");

  test::write_text(dir / "vocab.json", R"({"a": 0, "b": 0})");
  EXPECT_EQ(error_of([&] { CLIPTokenizer::load(dir.path()); }).code(), ErrorCode::corrupt_file);

  write_folder(dir, "#version: 0.2\n", R"({"model_max_length": 1000000000000000019884624838656})");
  e = error_of([&] { CLIPTokenizer::load(dir.path()); });
  EXPECT_EQ(e.code(), ErrorCode::corrupt_file);
  EXPECT_EQ(e.path(), dir / "tokenizer_config.json");

  write_folder(dir, "#version: 0.2\n", R"({"pad_token": "<pad>"})");
  e = error_of([&] { CLIPTokenizer::load(dir.path()); });
  EXPECT_EQ(e.code(), ErrorCode::corrupt_file);
  EXPECT_NE(e.message().find("'<pad>'"), std::string::npos) << e.message();
  EXPECT_EQ(e.path(), dir / "tokenizer_config.json");
}

TEST(CLIPTokenizer, ReadsLengthAndPadTokenFromConfig) {
  // SD 2's tokenizer pads with "!" (id 0); special_tokens_map.json overrides tokenizer_config.json.
  test::TempDir dir;
  write_folder(dir, test::read_text(kVocabDir / "merges.txt"),
               R"({"model_max_length": 8, "pad_token": "<|endoftext|>"})");
  test::write_text(dir / "special_tokens_map.json", R"({"pad_token": {"content": "!", "lstrip": false}})");
  const CLIPTokenizer t = CLIPTokenizer::load(dir.path());
  EXPECT_EQ(t.model_max_length(), 8);
  EXPECT_EQ(t.pad_token_id(), 0);
  EXPECT_EQ(t.encode_padded("a cat"), (Ids{640, 320, 555, 641, 0, 0, 0, 0}));
  EXPECT_EQ(t.encode("a photo of a cat on mars"), (Ids{320, 519, 522, 320, 555, 515, 76, 581}));
  EXPECT_EQ(t.encode_padded("a photo of a cat on mars"), (Ids{640, 320, 519, 522, 320, 555, 515, 641}));
  EXPECT_EQ(t.dropped_tokens("a photo of a cat on mars"), 2);  // m, ars
}

}  // namespace
}  // namespace wf::diffusion
