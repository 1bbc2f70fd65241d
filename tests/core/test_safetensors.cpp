// The writer must produce the bytes Python's safetensors produces, and the reader must take them.
// Expected headers follow the reference serializer: compact JSON, __metadata__ first, tensors sorted by
// dtype (largest alignment first) then name, space padding to a multiple of 8.

#include <gtest/gtest.h>

#include <cstring>
#include <numeric>

#include "core/error.h"
#include "core/safetensors.h"
#include "support/temp_dir.h"

namespace wf::core {
namespace {

template <typename T>
std::span<const std::byte> bytes_of(const std::vector<T>& values) {
  return std::as_bytes(std::span(values.data(), values.size()));
}

std::string header_of(const std::vector<std::byte>& file) {
  std::uint64_t length = 0;
  std::memcpy(&length, file.data(), 8);
  return std::string(reinterpret_cast<const char*>(file.data() + 8), length);
}

TEST(SafetensorsWriter, MatchesReferenceBytesForOneTensor) {
  const std::vector<float> values{0, 1, 2, 3, 4, 5};
  const auto file = serialize_safetensors({{"attn.0", DType::F32, {1, 2, 3}, bytes_of(values)}});
  const std::string expected = R"({"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}})";
  ASSERT_EQ(expected.size(), 64u);  // already aligned: no padding
  EXPECT_EQ(header_of(file), expected);
  ASSERT_EQ(file.size(), 8u + 64u + 24u);
  EXPECT_EQ(static_cast<int>(file[0]), 64);
  EXPECT_EQ(std::memcmp(file.data() + 72, values.data(), 24), 0);
}

TEST(SafetensorsWriter, PadsHeaderWithSpacesToEightBytes) {
  const std::vector<float> values{0, 1, 2, 3, 4, 5};
  const auto file = serialize_safetensors({{"attn0", DType::F32, {1, 1, 2, 3}, bytes_of(values)}});
  const std::string json = R"({"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}})";
  EXPECT_EQ(header_of(file), json + std::string(72 - json.size(), ' '));
  EXPECT_EQ((8 + header_of(file).size()) % 8, 0u);
}

TEST(SafetensorsWriter, EmptyFileAndMetadataOnly) {
  EXPECT_EQ(header_of(serialize_safetensors({})), "{}      ");
  const auto with_metadata = serialize_safetensors({}, {{"framework", "pt"}});
  EXPECT_EQ(header_of(with_metadata), std::string(R"({"__metadata__":{"framework":"pt"}})") + "     ");
  EXPECT_EQ(with_metadata.size(), 48u);
}

TEST(SafetensorsWriter, SortsByDtypeAlignmentThenName) {
  const std::vector<std::uint8_t> a{1, 2, 3};
  const std::vector<float> b{1.5f, -2.0f};
  const std::vector<std::int64_t> c{42};
  const std::vector<std::uint16_t> d{0x3f80, 0x4000};  // bf16 1.0, 2.0
  const auto file = serialize_safetensors({{"a", DType::U8, {3}, bytes_of(a)},
                                           {"b", DType::F32, {2}, bytes_of(b)},
                                           {"d", DType::BF16, {2}, bytes_of(d)},
                                           {"c", DType::I64, {1}, bytes_of(c)}},
                                          {{"format", "pt"}, {"author", "wf"}});
  const std::string expected =
      R"({"__metadata__":{"author":"wf","format":"pt"},)"
      R"("c":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},)"
      R"("b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]},)"
      R"("d":{"dtype":"BF16","shape":[2],"data_offsets":[16,20]},)"
      R"("a":{"dtype":"U8","shape":[3],"data_offsets":[20,23]}})";
  const std::string header = header_of(file);
  EXPECT_EQ(header.substr(0, expected.size()), expected);
  EXPECT_EQ(header.find_first_not_of(' ', expected.size()), std::string::npos);
}

TEST(SafetensorsReader, ReadsWhatTheReferenceWrites) {
  // Bytes laid out as Python's save_file lays them out (see the writer tests above).
  const std::string json = R"({"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},)"
                           R"("n":{"dtype":"I64","shape":[],"data_offsets":[16,24]}})";
  std::string header = json + std::string((8 - json.size() % 8) % 8, ' ');
  std::vector<std::byte> file(8);
  const std::uint64_t length = header.size();
  std::memcpy(file.data(), &length, 8);
  for (char ch : header) file.push_back(static_cast<std::byte>(ch));
  const std::vector<float> w{1, 2, 3, 4};
  const std::vector<std::int64_t> n{7};
  for (auto b : bytes_of(w)) file.push_back(b);
  for (auto b : bytes_of(n)) file.push_back(b);

  const auto parsed = SafetensorsHeader::parse(file, "memory");
  EXPECT_EQ(parsed.metadata.at("format"), "pt");
  ASSERT_EQ(parsed.names, (std::vector<std::string>{"w", "n"}));
  EXPECT_EQ(parsed.tensors.at("w").shape, (std::vector<std::int64_t>{2, 2}));
  EXPECT_TRUE(parsed.tensors.at("n").shape.empty());
  EXPECT_EQ(parsed.tensors.at("n").numel(), 1);
  EXPECT_EQ(parsed.data_offset, 8 + header.size());
}

TEST(SafetensorsRoundTrip, EveryDtypeIsBitExact) {
  test::TempDir dir;
  const std::vector<DType> all{DType::BOOL, DType::U8,  DType::I8,  DType::F8_E5M2, DType::F8_E4M3,
                               DType::I16,  DType::U16, DType::F16, DType::BF16,    DType::I32,
                               DType::U32,  DType::F32, DType::F64, DType::I64,     DType::U64};
  std::vector<std::vector<std::byte>> storage;
  std::vector<TensorBytes> tensors;
  for (DType dtype : all) {
    const std::size_t count = 6;
    std::vector<std::byte> data(count * dtype_size(dtype));
    for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::byte>(dtype == DType::BOOL ? i % 2 : i * 37 + 11);
    storage.push_back(std::move(data));
    tensors.push_back({"t_" + std::string(to_string(dtype)), dtype, {2, 3}, storage.back()});
  }
  const auto path = dir / "all.safetensors";
  write_safetensors(path, tensors, {{"note", "every dtype"}});

  const SafetensorsFile file(path);
  EXPECT_EQ(file.metadata().at("note"), "every dtype");
  ASSERT_EQ(file.names().size(), all.size());
  for (std::size_t i = 0; i < all.size(); ++i) {
    const auto& name = tensors[i].name;
    const TensorInfo& info = file.info(name);
    EXPECT_EQ(info.dtype, all[i]) << name;
    EXPECT_EQ(info.shape, (std::vector<std::int64_t>{2, 3})) << name;
    const auto data = file.data(name);
    ASSERT_EQ(data.size(), storage[i].size()) << name;
    EXPECT_EQ(std::memcmp(data.data(), storage[i].data(), data.size()), 0) << name;
    // Largest alignment first keeps every tensor aligned to its element size inside the file.
    EXPECT_EQ((file.header().data_offset + info.begin) % dtype_size(info.dtype), 0u) << name;
  }
}

TEST(SafetensorsRoundTrip, EmptyTensorAndScalar) {
  test::TempDir dir;
  const std::vector<float> scalar{3.25f};
  const std::vector<float> none;
  write_safetensors(dir / "e.safetensors", {{"empty", DType::F32, {0, 4}, bytes_of(none)},
                                            {"scalar", DType::F32, {}, bytes_of(scalar)}});
  const SafetensorsFile file(dir / "e.safetensors");
  EXPECT_EQ(file.info("empty").shape, (std::vector<std::int64_t>{0, 4}));
  EXPECT_EQ(file.data("empty").size(), 0u);
  EXPECT_EQ(file.info("scalar").numel(), 1);
  float value = 0;
  std::memcpy(&value, file.data("scalar").data(), 4);
  EXPECT_EQ(value, 3.25f);
}

TEST(SafetensorsRoundTrip, UnicodeNamesAndMetadata) {
  test::TempDir dir;
  const std::vector<float> one{1};
  write_safetensors(dir / "u.safetensors", {{"visage.gewicht.é", DType::F32, {1}, bytes_of(one)}},
                    {{"comment", "tab\there \"quoted\" ✓"}});
  const SafetensorsFile file(dir / "u.safetensors");
  EXPECT_TRUE(file.contains("visage.gewicht.é"));
  EXPECT_EQ(file.metadata().at("comment"), "tab\there \"quoted\" ✓");
}

TEST(SafetensorsRoundTrip, MissingTensorNamesFileAndTensor) {
  test::TempDir dir;
  write_safetensors(dir / "m.safetensors", {});
  const SafetensorsFile file(dir / "m.safetensors");
  try {
    file.info("unet.conv_in.weight");
    FAIL() << "expected not_found";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::not_found);
    EXPECT_NE(std::string(e.what()).find("unet.conv_in.weight"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("m.safetensors"), std::string::npos);
  }
}

TEST(SafetensorsWriter, RejectsDuplicateAndReservedNames) {
  const std::vector<float> one{1};
  EXPECT_THROW(serialize_safetensors({{"a", DType::F32, {1}, bytes_of(one)}, {"a", DType::F32, {1}, bytes_of(one)}}),
               Error);
  EXPECT_THROW(serialize_safetensors({{"__metadata__", DType::F32, {1}, bytes_of(one)}}), Error);
}

}  // namespace
}  // namespace wf::core
