"""The SD 1.5 UNet step in Python, for bench_diffusion_step: the identical network (tests/diffusion/sd_reference.py,
diffusers' UNet2DConditionModel in functional torch) with random weights at the full SD 1.5 sizes, one
classifier-free-guidance step (batch 2) of 512x512 latents in float32, no gradients.
Prints `median_s=<float>`, the median of RUNS timed steps after a warm-up.
Usage: unet_step_reference.py THREADS RUNS"""
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "diffusion"))
import sd_reference  # noqa: E402

import median_timing  # noqa: E402

SD15_UNET = {"cross_attention_dim": 768, "attention_head_dim": 8, "sample_size": 64}


def main(threads, runs):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    cfg = sd_reference.UNetConfig(SD15_UNET)
    tensors = {name: torch.randn(shape) * 0.02 for name, shape in sd_reference.unet_keys(cfg)}
    weights = sd_reference.Weights(tensors, torch.float32, "unet")
    latents = torch.randn(2, 4, 64, 64)
    context = torch.randn(2, 77, 768)
    timestep = torch.tensor(500.0)

    def step():
        with torch.no_grad():
            return sd_reference.unet_forward(weights, cfg, latents, timestep, context)

    median_timing.print_median_seconds(step, runs)


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
