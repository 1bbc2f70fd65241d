#pragma once
// The generative engine, the PRD's path (diffusers' StableDiffusionControlNetInpaintPipeline as InstantID drives
// it): the target's face crop is inpainted inside its mask by Stable Diffusion 1.5, the IdentityNet conditioned on
// the target's keypoints (or mesh) so pose and expression stay, the IP-Adapter fed the source's mean embedding so
// the identity becomes the source's, the style LoRA when one was trained, and the prompt template. Every frame
// uses the same seed and so the same starting noise, which with the tracker's smoothed landmarks holds flicker
// down.

#include <filesystem>
#include <memory>
#include <string>

#include "swap/source_faces.h"
#include "swap/swap_engine.h"
#include "swap/swap_engines.h"

namespace wf::swap {

// Defaults and ranges are options/swap_options.h's (swap::swap_options_of fills these).
struct GenerativeOptions {
  std::filesystem::path base_model{};  // SD 1.5: diffusers folder or single file (4- or 9-channel UNet)
  std::filesystem::path tokenizer{};   // for a single-file base model
  std::filesystem::path identity{};    // the identity adapter folder (watserface train identity), required
  std::filesystem::path lora{};        // optional: a LoRA folder (watserface train lora) or file
  double lora_scale{};
  std::string prompt{};  // empty: the LoRA's caption template, else the identity adapter's prompt
  std::string negative_prompt{};
  int resolution{};  // 0: the identity adapter's training resolution
  std::int64_t steps{};
  double strength{};  // how far into the noise each crop starts (1: a new face)
  double guidance{};
  double identity_scale{};  // the IP-Adapter's weight
  double control_scale{};   // the IdentityNet's weight
  std::uint64_t seed{};
  std::string sampler{};
  std::string device = "cpu";
};

class GenerativeEngine final : public SwapEngine {
 public:
  // Loads the base model, the identity adapter and the LoRA. Throws wf::Error: missing_model without SD 1.5 or
  // an identity adapter; invalid_input when the source's embeddings are not the width the adapter takes.
  GenerativeEngine(const SourceFaces& source, GenerativeOptions options);
  ~GenerativeEngine() override;
  SwappedFace swap(const SwapFace& face) override;
  // The sampling settings changed for the models already loaded (review's repairs); the prompt is encoded again
  // when it changed. Throws wf::Error(invalid_input) when `options` names other model files.
  bool reconfigure(const SwapOptions& options) override;

 private:
  void encode_prompts();

  struct Models;
  std::unique_ptr<Models> models_;
  GenerativeOptions options_;
};


// Its row in swap_engines.cpp: the base model, adapters and device from the swap's inputs, and review's steps
// (a new seed, more steps, a stronger identity, lower strength, a grown mask).
void configure_generative(SwapOptions& options, const EngineInputs& inputs);
void generative_repairs(RepairLadder& ladder);

}  // namespace wf::swap
