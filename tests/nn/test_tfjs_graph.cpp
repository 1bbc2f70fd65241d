// The loader and executor on small hand-made models: quantized weights, TensorFlow's asymmetric SAME
// padding, and every way a model file can be wrong.

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "nn/tfjs/executor.h"
#include "support/temp_dir.h"

namespace wf::nn::tfjs {
namespace {

using nlohmann::json;

std::string b64(const std::string& text) {
  static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (unsigned char c : text) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 6) out.push_back(alphabet[(buffer >> (bits -= 6)) & 63]);
  }
  if (bits > 0) out.push_back(alphabet[(buffer << (6 - bits)) & 63]);
  while (out.size() % 4) out.push_back('=');
  return out;
}

// input [1,5,5,1] -> Conv2D 2x2 stride 2 SAME (float16 filter) -> Relu -> output [1,3,3,1]
json conv_model() {
  return {{"format", "graph-model"},
          {"modelTopology",
           {{"node", json::array({{{"name", "input"}, {"op", "Placeholder"}, {"attr", json::object()}},
                                  {{"name", "filter"}, {"op", "Const"}, {"attr", json::object()}},
                                  {{"name", "conv"},
                                   {"op", "Conv2D"},
                                   {"input", {"input", "filter"}},
                                   {"attr",
                                    {{"strides", {{"list", {{"i", {"1", "2", "2", "1"}}}}}},
                                     {"padding", {{"s", b64("SAME")}}},
                                     {"data_format", {{"s", b64("NHWC")}}}}}},
                                  {{"name", "out"}, {"op", "Relu"}, {"input", {"conv"}}}})}}},
          {"weightsManifest", json::array({{{"paths", {"weights.bin"}},
                                            {"weights", json::array({{{"name", "filter"},
                                                                      {"shape", {2, 2, 1, 1}},
                                                                      {"dtype", "float32"},
                                                                      {"quantization", {{"dtype", "float16"}}}}})}}})}};
}

void write_model(const test::TempDir& dir, const json& model, const std::string& weights) {
  test::write_text(dir / "model.json", model.dump());
  test::write_text(dir / "weights.bin", weights);
}

std::string float16_filter() {
  const torch::Tensor filter = torch::tensor({0.5f, -1.25f, 2.0f, 0.75f}).to(torch::kHalf);
  return std::string(static_cast<const char*>(filter.data_ptr()), filter.nbytes());
}

TEST(TfjsGraph, Float16WeightsAndAsymmetricSamePaddingMatchTensorFlow) {
  test::TempDir dir;
  write_model(dir, conv_model(), float16_filter());
  const Executor executor = Executor::load(dir / "model.json");
  EXPECT_EQ(executor.model().input_names, std::vector<std::string>{"input"});
  EXPECT_EQ(executor.model().output_names, std::vector<std::string>{"out"});

  const torch::Tensor x = torch::arange(25, torch::kFloat).view({1, 5, 5, 1}) - 12;
  const torch::Tensor y = executor.run({{"input", x}}).at("out");
  // TensorFlow pads SAME 5 -> 3 (stride 2, kernel 2) with 0 before and 1 after.
  const torch::Tensor padded = torch::constant_pad_nd(x.permute({0, 3, 1, 2}), {0, 1, 0, 1});
  const torch::Tensor weight = torch::tensor({0.5f, -1.25f, 2.0f, 0.75f}).view({1, 1, 2, 2});
  const torch::Tensor expected = torch::relu(torch::conv2d(padded, weight, {}, 2)).permute({0, 2, 3, 1});
  ASSERT_EQ(y.sizes(), (std::vector<std::int64_t>{1, 3, 3, 1}));
  EXPECT_TRUE(torch::allclose(y, expected, 1e-6, 1e-6)) << y << expected;
}

TEST(TfjsGraph, Uint8QuantizedWeightsAreDequantized) {
  test::TempDir dir;
  json model = conv_model();
  model["weightsManifest"][0]["weights"][0]["quantization"] = {{"dtype", "uint8"}, {"min", -1.0}, {"scale", 0.5}};
  write_model(dir, model, std::string("\x00\x02\x04\x06", 4));  // -1, 0, 1, 2
  const GraphModel graph = GraphModel::load(dir / "model.json");
  EXPECT_TRUE(torch::equal(graph.constants.at("filter").view(-1), torch::tensor({-1.0f, 0.0f, 1.0f, 2.0f})));
}

void expect_error(const test::TempDir& dir, ErrorCode code, const std::string& fragment) {
  try {
    Executor::load(dir / "model.json");
    FAIL() << "accepted; expected " << fragment;
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    EXPECT_FALSE(e.path().empty());
  }
}

TEST(TfjsGraph, UnknownOpNamesTheOpAndTheNode) {
  test::TempDir dir;
  json model = conv_model();
  model["modelTopology"]["node"][3]["op"] = "FancyNewOp";
  write_model(dir, model, float16_filter());
  expect_error(dir, ErrorCode::unsupported, "op 'FancyNewOp' (node 'out')");
}

TEST(TfjsGraph, DamagedFilesAreRefusedClearly) {
  {
    test::TempDir dir;
    expect_error(dir, ErrorCode::not_found, "model.json");
  }
  {
    test::TempDir dir;
    test::write_text(dir / "model.json", "{\"modelTopology\": ");
    expect_error(dir, ErrorCode::corrupt_file, "not valid JSON");
  }
  {
    test::TempDir dir;
    write_model(dir, conv_model(), "\x01\x02");  // 2 of the 8 bytes
    expect_error(dir, ErrorCode::corrupt_file, "weight 'filter'");
  }
  {
    test::TempDir dir;
    test::write_text(dir / "model.json", conv_model().dump());  // no weights.bin
    expect_error(dir, ErrorCode::not_found, "weight shard");
  }
  {
    test::TempDir dir;
    json model = conv_model();
    model["modelTopology"]["node"][3]["input"] = {"nowhere"};
    write_model(dir, model, float16_filter());
    expect_error(dir, ErrorCode::corrupt_file, "reads 'nowhere'");
  }
  {
    test::TempDir dir;
    json model = conv_model();
    model["modelTopology"]["node"][2]["input"] = {"out", "filter"};  // conv <-> relu
    write_model(dir, model, float16_filter());
    expect_error(dir, ErrorCode::corrupt_file, "cycle");
  }
}

TEST(TfjsGraph, AModelCannotReachOutsideItsFolderOrOverflowASize) {
  {
    test::TempDir dir;
    json model = conv_model();
    model["weightsManifest"][0]["paths"] = {"../../etc/passwd"};
    write_model(dir, model, float16_filter());
    expect_error(dir, ErrorCode::corrupt_file, "leaves the model's folder");
  }
  {
    test::TempDir dir;
    json model = conv_model();
    model["weightsManifest"][0]["weights"][0]["shape"] = {1 << 30, 1 << 30, 1 << 30, 2};
    write_model(dir, model, float16_filter());
    expect_error(dir, ErrorCode::corrupt_file, "too large");
  }
  {
    test::TempDir dir;
    test::write_text(dir / "model.json", R"({"modelTopology": {"node": []}, "weightsManifest": [], "x": 1e999})");
    expect_error(dir, ErrorCode::corrupt_file, "not valid JSON");
  }
}

TEST(TfjsGraph, AMalformedAttributeNamesTheNodeAndTheModel) {
  test::TempDir dir;
  json model = conv_model();
  model["modelTopology"]["node"][2]["attr"]["strides"] = {{"list", {{"i", {"1", "two", "2", "1"}}}}};
  write_model(dir, model, float16_filter());
  const Executor executor = Executor::load(dir / "model.json");
  try {
    executor.run({{"input", torch::zeros({1, 5, 5, 1})}});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::corrupt_file);
    EXPECT_NE(e.message().find("node 'conv' has a malformed attribute 'strides'"), std::string::npos) << e.what();
    EXPECT_EQ(e.path(), dir / "model.json");
  }
}

TEST(TfjsGraph, WrongInputIsAnErrorNotACrash) {
  test::TempDir dir;
  write_model(dir, conv_model(), float16_filter());
  const Executor executor = Executor::load(dir / "model.json");
  EXPECT_THROW(executor.run({}), Error);
  try {
    executor.run({{"input", torch::zeros({1, 5, 5, 3})}});  // 3 channels, the filter takes 1
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("node 'conv'"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace wf::nn::tfjs
