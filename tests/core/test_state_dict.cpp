#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <limits>

#include "core/error.h"
#include "core/safetensors.h"
#include "core/state_dict.h"
#include "support/temp_dir.h"

namespace wf::core {
namespace {

// A small module whose keys look like Python's: "conv.weight", "norm.running_mean", "head.0.weight".
struct TinyNetImpl : torch::nn::Module {
  TinyNetImpl() {
    register_module("conv", conv);
    register_module("norm", norm);
    head->push_back(torch::nn::Linear(4, 2));
    register_module("head", head);
  }
  torch::nn::Conv2d conv{torch::nn::Conv2dOptions(3, 4, 3)};
  torch::nn::BatchNorm2d norm{4};
  torch::nn::Sequential head;
};
TORCH_MODULE(TinyNet);

TEST(StateDict, KeysMatchPythonNamesIncludingBuffers) {
  TinyNet net;
  const StateDict state = module_state(*net);
  for (const char* key : {"conv.weight", "conv.bias", "norm.weight", "norm.bias", "norm.running_mean",
                          "norm.running_var", "norm.num_batches_tracked", "head.0.weight", "head.0.bias"}) {
    EXPECT_TRUE(state.count(key)) << key;
  }
  EXPECT_EQ(state.size(), 9u);
}

TEST(StateDict, EveryTorchDtypeRoundTripsBitExact) {
  test::TempDir dir;
  torch::manual_seed(0);
  StateDict tensors;
  tensors["f32"] = torch::randn({3, 4});
  tensors["f64"] = torch::randn({2}, torch::kDouble);
  tensors["f16"] = torch::randn({5}).to(torch::kHalf);
  tensors["bf16"] = torch::randn({2, 2}).to(torch::kBFloat16);
  tensors["i64"] = torch::arange(6).view({2, 3});
  tensors["i32"] = torch::arange(4, torch::kInt);
  tensors["i16"] = torch::arange(4, torch::kShort);
  tensors["i8"] = torch::arange(-2, 2, torch::kChar);
  tensors["u8"] = torch::arange(4, torch::kByte);
  tensors["bool"] = torch::tensor({true, false, true});
  tensors["empty"] = torch::zeros({0, 3});
  tensors["scalar"] = torch::tensor(2.5f);
  tensors["strided"] = torch::randn({4, 6}).t();  // not contiguous: saved as its values, C order
  save_safetensors(dir / "all.safetensors", tensors, {{"format", "pt"}});

  const StateDict loaded = load_safetensors(dir / "all.safetensors");
  ASSERT_EQ(loaded.size(), tensors.size());
  for (const auto& [name, tensor] : tensors) {
    const at::Tensor& back = loaded.at(name);
    EXPECT_EQ(back.scalar_type(), tensor.scalar_type()) << name;
    EXPECT_EQ(back.sizes(), tensor.sizes()) << name;
    EXPECT_TRUE(torch::equal(back, tensor)) << name;
  }
  EXPECT_EQ(SafetensorsFile(dir / "all.safetensors").metadata().at("format"), "pt");
}

TEST(StateDict, SaveLoadIntoAFreshModuleGivesIdenticalOutputs) {
  test::TempDir dir;
  torch::manual_seed(3);
  TinyNet trained;
  trained->train();
  const auto x = torch::randn({2, 3, 8, 8});
  trained->norm(trained->conv(x));  // update batch-norm statistics so buffers differ from defaults
  trained->eval();
  save_safetensors(dir / "net.safetensors", module_state(*trained));

  TinyNet fresh;
  fresh->eval();
  const LoadReport report = load_state_dict(*fresh, load_safetensors(dir / "net.safetensors"), true, dir / "net.safetensors");
  EXPECT_TRUE(report.clean());
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(torch::equal(fresh->norm(fresh->conv(x)), trained->norm(trained->conv(x))));
  EXPECT_EQ(fresh->norm->num_batches_tracked.item<std::int64_t>(), 1);
}

TEST(StateDict, StrictLoadReportsMissingUnexpectedAndWrongShapeTogether) {
  TinyNet net;
  StateDict tensors = module_state(*net);
  tensors.erase("conv.bias");
  tensors["decoder.extra.weight"] = torch::zeros({1});
  tensors["head.0.weight"] = torch::zeros({3, 4});
  try {
    load_state_dict(*net, tensors, true, "weights.safetensors");
    FAIL();
  } catch (const Error& e) {
    const std::string message = e.message();
    EXPECT_NE(message.find("missing (1): conv.bias"), std::string::npos) << message;
    EXPECT_NE(message.find("unexpected (1): decoder.extra.weight"), std::string::npos) << message;
    EXPECT_NE(message.find("head.0.weight: expected [2,4], got [3,4]"), std::string::npos) << message;
    EXPECT_EQ(e.path(), "weights.safetensors");
  }
  const LoadReport lenient = load_state_dict(*net, tensors, false, "weights.safetensors");
  EXPECT_EQ(lenient.missing.size(), 1u);
  EXPECT_EQ(lenient.unexpected.size(), 1u);
  EXPECT_EQ(lenient.mismatched.size(), 1u);
}

TEST(StateDict, UnsignedWideDtypesAreRefusedByName) {
  test::TempDir dir;
  const std::vector<std::uint32_t> values{1, 2};
  write_safetensors(dir / "u32.safetensors", {{"counts", DType::U32, {2}, std::as_bytes(std::span(values))}});
  try {
    load_safetensors(dir / "u32.safetensors");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::unsupported);
    EXPECT_NE(e.message().find("'counts'"), std::string::npos);
    EXPECT_NE(e.message().find("U32"), std::string::npos);
  }
}

TEST(StateDict, NonFiniteWeightsAreRefusedAsCorruptNamingTheTensorAndTheFile) {
  test::TempDir dir;
  for (const auto dtype : {torch::kFloat, torch::kHalf, torch::kBFloat16, torch::kDouble}) {
    for (const double bad :
         {std::nan(""), std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity()}) {
      StateDict tensors;
      tensors["a.finite"] = torch::randn({4}).to(dtype);
      tensors["b.broken"] = torch::randn({2, 3}).to(dtype);
      tensors["b.broken"][1][2] = bad;
      tensors["c.counts"] = torch::arange(3);  // integers have no NaN
      const auto path = dir / "weights.safetensors";
      save_safetensors(path, tensors);
      try {
        load_safetensors(path);
        ADD_FAILURE() << "loaded " << bad << " as " << dtype;
      } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::corrupt_file);
        EXPECT_EQ(e.path(), path);
        EXPECT_NE(e.message().find("'b.broken' holds NaN or infinite values"), std::string::npos) << e.message();
      }
    }
  }
  // The largest finite values are weights like any other.
  save_safetensors(dir / "edge.safetensors", {{"max", torch::full({2}, 65504.0).to(torch::kHalf)}});
  EXPECT_EQ(load_safetensors(dir / "edge.safetensors").size(), 1u);
}

}  // namespace
}  // namespace wf::core
