// Damaged and hostile files: each is refused with ErrorCode::corrupt_file (or unsupported), a message
// that says what is wrong, and the file's path, before any tensor memory is touched.

#include <gtest/gtest.h>

#include <cstring>

#include "core/error.h"
#include "core/safetensors.h"
#include "support/temp_dir.h"

namespace wf::core {
namespace {

std::string with_length(std::uint64_t length, std::string_view rest) {
  std::string file(8, '\0');
  std::memcpy(file.data(), &length, 8);
  return file + std::string(rest);
}

// A file whose header is `json` followed by `data_bytes` zero bytes.
std::string file_with(std::string_view json, std::size_t data_bytes) {
  return with_length(json.size(), json) + std::string(data_bytes, '\0');
}

struct Malformed {
  const char* name;
  std::string contents;
  const char* message;  // a fragment the error message must contain
  ErrorCode code = ErrorCode::corrupt_file;
};

std::vector<Malformed> cases() {
  const std::string ok_entry = R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})";
  return {
      {"empty_file", "", "too short"},
      {"short_file", std::string("\x05\x00\x00", 3), "too short"},
      {"header_over_limit", with_length(100'000'001, "{}"), "exceeds the 100 MB limit"},
      {"header_past_end", with_length(64, "{}"), "runs past the end"},
      {"huge_header_length", with_length(~0ull, "{}"), "exceeds the 100 MB limit"},
      {"not_json", file_with(R"({"a":)", 0), "not valid UTF-8 JSON"},
      {"invalid_utf8", file_with("{\"\xff\xfe\":{}}", 0), "not valid UTF-8 JSON"},
      {"not_an_object", file_with("[1,2,3]", 0), "does not start with '{'"},
      {"duplicate_key", file_with("{" + ok_entry + "," + ok_entry + "}", 8), "names 'a' twice"},
      {"unknown_dtype", file_with(R"({"a":{"dtype":"F7","shape":[2],"data_offsets":[0,8]}})", 8), "dtype 'F7'",
       ErrorCode::unsupported},
      {"shape_disagrees", file_with(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8),
       "needs 12 bytes but data_offsets span 8"},
      {"offsets_past_end", file_with(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", 8),
       "(truncated?)"},
      {"overlap", file_with(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                            R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})", 12),
       "overlap"},
      {"gap", file_with(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", 8), "gap of 4 bytes"},
      {"trailing_bytes", file_with("{" + ok_entry + "}", 12), "data section holds 12"},
      {"negative_dim", file_with(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", 8),
       "non-negative integers"},
      {"float_offset", file_with(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8.5]}})", 8),
       "non-negative integers"},
      {"end_before_begin", file_with(R"({"a":{"dtype":"U8","shape":[0],"data_offsets":[8,0]}})", 8),
       "end before they begin"},
      {"shape_overflow",
       file_with(R"({"a":{"dtype":"F32","shape":[4611686018427387904,4611686018427387904],"data_offsets":[0,8]}})", 8),
       "overflows"},
      {"missing_field", file_with(R"({"a":{"dtype":"F32","shape":[2]}})", 8), "lacks one of"},
      {"offsets_not_pair", file_with(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0]}})", 8),
       "not a pair"},
      {"metadata_not_strings", file_with(R"({"__metadata__":{"epoch":3}})", 0), "is not a string"},
      {"entry_not_object", file_with(R"({"a":[1,2]})", 0), "not described by a JSON object"},
  };
}

void PrintTo(const Malformed& malformed, std::ostream* out) { *out << malformed.name; }

class MalformedSafetensors : public ::testing::TestWithParam<Malformed> {};

TEST_P(MalformedSafetensors, IsRefusedWithAClearMessageNamingTheFile) {
  const Malformed& malformed = GetParam();
  test::TempDir dir;
  const auto path = dir / (std::string(malformed.name) + ".safetensors");
  test::write_text(path, malformed.contents);
  try {
    SafetensorsFile file(path);
    FAIL() << malformed.name << " was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), malformed.code) << e.what();
    EXPECT_NE(e.message().find(malformed.message), std::string::npos) << "message: " << e.message();
    EXPECT_EQ(e.path(), path);
    EXPECT_FALSE(e.hint().empty());
  }
}

INSTANTIATE_TEST_SUITE_P(Files, MalformedSafetensors, ::testing::ValuesIn(cases()),
                         [](const auto& test_info) { return std::string(test_info.param.name); });

TEST(MalformedSafetensors, EveryTruncationOfAValidFileIsRefused) {
  const std::vector<float> values{1, 2, 3, 4};
  const auto valid = serialize_safetensors({{"w", DType::F32, {4}, std::as_bytes(std::span(values))}});
  for (std::size_t size = 0; size < valid.size(); ++size) {
    EXPECT_THROW(SafetensorsHeader::parse(std::span(valid).first(size), "truncated"), Error) << "size " << size;
  }
  EXPECT_NO_THROW(SafetensorsHeader::parse(valid, "whole"));
}

TEST(MalformedSafetensors, MissingFileSaysNotFound) {
  test::TempDir dir;
  try {
    SafetensorsFile file(dir / "nope.safetensors");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::not_found);
    EXPECT_EQ(e.path(), dir / "nope.safetensors");
  }
}

}  // namespace
}  // namespace wf::core
