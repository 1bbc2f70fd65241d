// Noise schedule and samplers against values computed with numpy from the published formulas (DDPM's
// scaled-linear betas, diffusers' timestep spacings, Karras et al.'s sigmas) for Stable Diffusion 1.5's
// scheduler config, and every sampler driven by an oracle that knows the clean sample: it must land on it.

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "diffusion/noise_schedule.h"
#include "diffusion/sampler.h"

namespace wf::diffusion {
namespace {

// stable-diffusion-v1-5/scheduler/scheduler_config.json (a PNDM config: no timestep_spacing).
SchedulerConfig sd15() {
  return SchedulerConfig::from_json(nlohmann::json::parse(R"({
    "_class_name": "PNDMScheduler", "beta_end": 0.012, "beta_schedule": "scaled_linear", "beta_start": 0.00085,
    "num_train_timesteps": 1000, "set_alpha_to_one": false, "skip_prk_steps": true, "steps_offset": 1,
    "trained_betas": null, "clip_sample": false})"));
}

TEST(NoiseSchedule, Sd15AlphasAndTrainingTargets) {
  const NoiseSchedule schedule(sd15());
  EXPECT_NEAR(schedule.alpha_cumprod(0), 0.99915, 1e-12);
  EXPECT_NEAR(schedule.alpha_cumprod(500), 0.2763326838229746, 1e-12);
  EXPECT_NEAR(schedule.alpha_cumprod(999), 0.004660098513077238, 1e-12);

  const at::Tensor x0 = torch::randn({2, 4, 8, 8}), noise = torch::randn({2, 4, 8, 8});
  const at::Tensor t = torch::tensor({10, 900});
  const at::Tensor noisy = schedule.add_noise(x0, noise, t);
  const double a = schedule.alpha_cumprod(900);
  EXPECT_TRUE(noisy[1].allclose(std::sqrt(a) * x0[1] + std::sqrt(1 - a) * noise[1], 1e-5, 1e-6));
  EXPECT_TRUE(schedule.training_target(x0, noise, t).equal(noise));
  SchedulerConfig v = sd15();
  v.prediction_type = PredictionType::v_prediction;
  const at::Tensor velocity = NoiseSchedule(v).training_target(x0, noise, t);
  EXPECT_TRUE(velocity[1].allclose(std::sqrt(a) * noise[1] - std::sqrt(1 - a) * x0[1], 1e-5, 1e-6));
}

TEST(Samplers, TimestepsAndSigmasForSd15) {
  auto ddim = make_sampler("ddim", sd15());
  ddim->set_timesteps(50);
  ASSERT_EQ(ddim->timesteps().size(), 50u);
  EXPECT_EQ(ddim->timesteps().front(), 981);
  EXPECT_EQ(ddim->timesteps()[1], 961);
  EXPECT_EQ(ddim->timesteps().back(), 1);

  auto euler = make_sampler("euler", sd15());
  euler->set_timesteps(30);
  EXPECT_NEAR(euler->timesteps()[1], 964.5517241379312, 1e-9);
  ASSERT_EQ(euler->sigmas().size(), 31u);
  EXPECT_NEAR(euler->sigmas()[0], 14.614641229333639, 1e-9);
  EXPECT_NEAR(euler->sigmas()[1], 11.917560920117358, 1e-9);
  EXPECT_NEAR(euler->sigmas()[15], 1.525652977560146, 1e-9);
  EXPECT_NEAR(euler->sigmas()[29], 0.029167158151720367, 1e-12);
  EXPECT_EQ(euler->sigmas()[30], 0.0);
  EXPECT_NEAR(euler->init_noise_sigma(), 14.614641229333639, 1e-9);  // linspace: sigma_max itself

  SchedulerConfig karras = sd15();
  karras.use_karras_sigmas = true;
  auto euler_karras = make_sampler("euler", karras);
  euler_karras->set_timesteps(25);
  EXPECT_NEAR(euler_karras->sigmas()[0], 14.614641229333643, 1e-9);
  EXPECT_NEAR(euler_karras->sigmas()[1], 12.283034200106933, 1e-9);
  EXPECT_NEAR(euler_karras->sigmas()[12], 1.274100208978096, 1e-9);
  EXPECT_NEAR(euler_karras->sigmas()[24], 0.02916715815172038, 1e-12);
  EXPECT_NEAR(euler_karras->timesteps()[0], 999.0, 1e-6);
  EXPECT_NEAR(euler_karras->timesteps()[1], 969.7610374780556, 1e-6);
  EXPECT_NEAR(euler_karras->timesteps()[12], 427.48870410003946, 1e-6);
  EXPECT_NEAR(euler_karras->timesteps()[24], 0.0, 1e-6);

  auto dpm = make_sampler("dpmpp_2m", sd15());
  dpm->set_timesteps(20);
  const std::vector<double> expected{999, 949, 899, 849, 799, 749, 699, 649, 599, 549,
                                     500, 450, 400, 350, 300, 250, 200, 150, 100, 50};
  EXPECT_EQ(dpm->timesteps(), expected);

  SchedulerConfig leading = sd15();
  leading.timestep_spacing = TimestepSpacing::leading;
  auto euler_leading = make_sampler("euler", leading);
  euler_leading->set_timesteps(50);
  EXPECT_NEAR(euler_leading->init_noise_sigma(), std::sqrt(euler_leading->sigmas()[0] * euler_leading->sigmas()[0] + 1), 1e-12);
}

// How a sampler holds its sample: x = x0 + sigma noise (Euler), or x = sqrt(a) x0 + sqrt(1 - a) noise with
// a from the timestep (DDIM) or from sigma, a = 1 / (sigma^2 + 1) (DPM-Solver++).
enum class Space { sigma, alpha_of_timestep, alpha_of_sigma };

// A model that knows the clean sample answers what a perfect UNet would; every sampler must end on it.
at::Tensor oracle(const Sampler& sampler, const NoiseSchedule& schedule, const at::Tensor& x, const at::Tensor& x0,
                  std::size_t i, Space space) {
  const double sigma = sampler.sigmas().empty() ? 0 : sampler.sigmas()[i];
  const double a = space == Space::alpha_of_timestep ? schedule.alpha_cumprod(static_cast<std::int64_t>(sampler.timesteps()[i]))
                                                     : 1 / (sigma * sigma + 1);
  const at::Tensor noise = space == Space::sigma ? (x - x0) / sigma : (x - std::sqrt(a) * x0) / std::sqrt(1 - a);
  if (schedule.config().prediction_type == PredictionType::epsilon) return noise;
  return std::sqrt(a) * noise - std::sqrt(1 - a) * x0;  // v, in the alpha space of this noise level
}

TEST(Samplers, APerfectDenoiserLandsOnTheCleanSample) {
  for (const auto prediction : {PredictionType::epsilon, PredictionType::v_prediction}) {
    for (const bool karras : {false, true}) {
      for (const char* name : {"ddim", "euler", "euler_a", "dpmpp_2m"}) {
        if (karras && std::string(name) == "ddim") continue;
        SchedulerConfig config = sd15();
        config.prediction_type = prediction;
        config.use_karras_sigmas = karras;
        config.set_alpha_to_one = true;  // DDIM's last step then goes all the way to the clean sample
        const NoiseSchedule schedule(config);
        auto sampler = make_sampler(name, config);
        sampler->set_timesteps(12);
        torch::manual_seed(1);
        const at::Tensor x0 = torch::randn({1, 4, 8, 8}, torch::kDouble);
        at::Tensor x = torch::randn({1, 4, 8, 8}, torch::kDouble) * sampler->init_noise_sigma();
        const Space space = std::string(name) == "ddim"       ? Space::alpha_of_timestep
                            : std::string(name) == "dpmpp_2m" ? Space::alpha_of_sigma
                                                              : Space::sigma;
        if (space == Space::sigma) x = x0 + x;  // start from noise around the sample at sigma_max
        for (std::size_t i = 0; i < sampler->timesteps().size(); ++i) {
          x = sampler->step(oracle(*sampler, schedule, x, x0, i, space), i, x);
        }
        EXPECT_LT((x - x0).abs().max().item<double>(), 1e-8) << name << (karras ? " karras" : "")
                                                                 << (prediction == PredictionType::epsilon ? " eps" : " v");
      }
    }
  }
}

// img2img and inpainting noise a clean sample to a step's level; the step must read that noise back.
TEST(Samplers, AddNoiseLandsInEachSamplersOwnSpace) {
  for (const char* name : {"ddim", "euler", "euler_a", "dpmpp_2m"}) {
    const SchedulerConfig config = sd15();
    const NoiseSchedule schedule(config);
    auto sampler = make_sampler(name, config);
    sampler->set_timesteps(20);
    const Space space = std::string(name) == "ddim"       ? Space::alpha_of_timestep
                        : std::string(name) == "dpmpp_2m" ? Space::alpha_of_sigma
                                                          : Space::sigma;
    torch::manual_seed(2);
    const at::Tensor x0 = torch::randn({1, 4, 8, 8}, torch::kDouble);
    const at::Tensor noise = torch::randn({1, 4, 8, 8}, torch::kDouble);
    for (const std::size_t i : {std::size_t{0}, std::size_t{7}, std::size_t{19}}) {
      const at::Tensor noisy = sampler->add_noise(x0, noise, i);
      EXPECT_LT((oracle(*sampler, schedule, noisy, x0, i, space) - noise).abs().max().item<double>(), 1e-9) << name << " " << i;
    }
  }
}

// DPM-Solver++ 2M and Euler on a model that is not an oracle (out = 0.3 x + 0.1), against the same ten
// steps written out with numpy from diffusers' update rules (first order first and last, midpoint
// second order between).
constexpr double kDpmReference = 4.675988816720712;
constexpr double kEulerReference = 5.10704836686754;

TEST(Samplers, MultistepUpdatesMatchTheReferenceFormulas) {
  auto run = [](const char* name) {
    auto sampler = make_sampler(name, sd15());
    sampler->set_timesteps(10);
    at::Tensor x = torch::full({1}, 1.0, torch::kDouble) * sampler->init_noise_sigma();
    for (std::size_t i = 0; i < 10; ++i) x = sampler->step(0.3 * sampler->scale_model_input(x, i) + 0.1, i, x);
    return x.item<double>();
  };
  EXPECT_NEAR(run("dpmpp_2m"), kDpmReference, 1e-9);
  EXPECT_NEAR(run("euler"), kEulerReference, 1e-9);
}

TEST(Samplers, BadSettingsAreClearErrors) {
  EXPECT_THROW(make_sampler("plms-ish", sd15()), Error);
  EXPECT_THROW(make_sampler("euler", sd15())->set_timesteps(0), Error);
  EXPECT_THROW(make_sampler("euler", sd15())->set_timesteps(1001), Error);
  EXPECT_THROW(SchedulerConfig::from_json(nlohmann::json{{"beta_schedule", "squaredcos_cap_v2"}}), Error);
  EXPECT_THROW(SchedulerConfig::from_json(nlohmann::json{{"prediction_type", "noise"}}), Error);
  EXPECT_THROW(SchedulerConfig::from_json(nlohmann::json{{"num_train_timesteps", "many"}}), Error);
}

}  // namespace
}  // namespace wf::diffusion
