// nn::Unet against segmentation_models_pytorch's Unet(resnet34, classes=1): the same keys and shapes
// (smp_unet_resnet34_keys.txt, written from torchvision's ResNet and smp's decoder source by
// smp_unet_reference.py), and checkpoints that move both ways with the same output.

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>
#include <sstream>

#include "core/error.h"
#include "core/state_dict.h"
#include "nn/unet.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

namespace wf::nn {
namespace {

const std::string kReference = WF_TESTS_DIR "/smp_unet_reference.py";

std::string shape_of(const at::Tensor& t) {
  if (t.dim() == 0) return "scalar";
  std::string text;
  for (int64_t d : t.sizes()) text += (text.empty() ? "" : "x") + std::to_string(d);
  return text;
}

bool have_reference_python() {
  return test::run_command({"/usr/bin/python3", "-c", "import torch, torchvision"}).status == 0;
}

TEST(Unet, KeysAndShapesAreThoseOfSmp) {
  std::map<std::string, std::string> expected;
  std::ifstream file(WF_TESTS_DIR "/smp_unet_resnet34_keys.txt");
  std::string name, shape;
  while (file >> name >> shape) expected[name] = shape;
  ASSERT_EQ(expected.size(), 278u);
  Unet unet;
  std::map<std::string, std::string> ours;
  for (const auto& [key, tensor] : core::module_state(*unet)) ours[key] = shape_of(tensor);
  for (const auto& [key, want] : expected) {
    ASSERT_TRUE(ours.count(key)) << "missing " << key;
    EXPECT_EQ(ours[key], want) << key;
  }
  for (const auto& [key, got] : ours) EXPECT_TRUE(expected.count(key)) << "extra " << key;
  int64_t parameters = 0;
  for (const auto& p : unet->parameters()) parameters += p.numel();
  EXPECT_EQ(parameters, 24436369);
}

TEST(Unet, OutputIsFullResolutionLogitsAndOddSizesAreRefused) {
  Unet unet;
  unet->eval();
  torch::NoGradGuard no_grad;
  EXPECT_EQ(unet->forward(torch::rand({2, 3, 64, 96})).sizes(), (std::vector<int64_t>{2, 1, 64, 96}));
  EXPECT_THROW(unet->forward(torch::rand({1, 3, 50, 64})), Error);
}

TEST(Unet, LoadsACheckpointOfThePythonModelAndGivesItsOutput) {
  if (!have_reference_python()) GTEST_SKIP() << "python3-torch and python3-torchvision are not installed";
  test::TempDir dir;
  const auto made = test::run_command({"/usr/bin/python3", kReference, "export", dir.path().string()});
  ASSERT_EQ(made.status, 0) << made.output;
  Unet unet;
  const auto report = core::load_state_dict(*unet, core::load_safetensors(dir / "model.safetensors"), true,
                                            dir / "model.safetensors");
  EXPECT_TRUE(report.clean());
  unet->eval();
  torch::NoGradGuard no_grad;
  const auto io = core::load_safetensors(dir / "io.safetensors");
  const at::Tensor ours = unet->forward(io.at("input"));
  const double error = (ours - io.at("output")).abs().max().item<double>();
  EXPECT_LT(error, 1e-4);
  RecordProperty("max_abs_difference", std::to_string(error));
}

TEST(Unet, PythonLoadsOurCheckpointAndGetsOurOutput) {
  if (!have_reference_python()) GTEST_SKIP() << "python3-torch and python3-torchvision are not installed";
  test::TempDir dir;
  torch::manual_seed(11);
  Unet unet;
  {
    torch::NoGradGuard no_grad;
    unet->train();
    for (int i = 0; i < 3; ++i) unet->forward(torch::rand({2, 3, 64, 64}));  // batch-norm statistics
  }
  unet->eval();
  torch::NoGradGuard no_grad;
  const at::Tensor input = torch::rand({1, 3, 96, 64});
  core::save_safetensors(dir / "model.safetensors", core::module_state(*unet));
  core::save_safetensors(dir / "io.safetensors", {{"input", input}, {"output", unet->forward(input)}});
  const auto checked = test::run_command({"/usr/bin/python3", kReference, "check", dir.path().string()});
  EXPECT_EQ(checked.status, 0) << checked.output;
}

TEST(Unet, ACheckpointOfAnotherShapeNamesTheKey) {
  test::TempDir dir;
  UnetConfig two_classes;
  two_classes.classes = 2;
  core::save_safetensors(dir / "model.safetensors", core::module_state(*Unet(two_classes)));
  Unet unet;
  try {
    core::load_state_dict(*unet, core::load_safetensors(dir / "model.safetensors"), true, dir / "model.safetensors");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("segmentation_head.0.weight"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace wf::nn
