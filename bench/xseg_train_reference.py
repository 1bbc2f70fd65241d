"""The XSeg training step in Python, for bench_xseg: the identical network (tests/nn/smp_unet_reference.py,
smp's Unet(resnet34) rebuilt on torchvision), BCE + Dice loss and AdamW, on random 256x256 batches of 8.
Prints `median_s=<float>`, the median of STEPS timed steps after a warm-up.
Usage: xseg_train_reference.py THREADS STEPS"""
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "nn"))
import smp_unet_reference  # noqa: E402

import median_timing  # noqa: E402


def main(threads, steps):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = smp_unet_reference.Unet().train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-2)
    x = torch.rand(8, 3, 256, 256)
    y = (torch.rand(8, 1, 256, 256) > 0.5).float()

    def step():
        optimizer.zero_grad()
        logits = model(x)
        p, t = logits.sigmoid().flatten(1), y.flatten(1)
        dice = 1 - ((2 * (p * t).sum(1) + 1) / (p.sum(1) + t.sum(1) + 1)).mean()
        (F.binary_cross_entropy_with_logits(logits, y) + dice).backward()
        optimizer.step()

    median_timing.print_median_seconds(step, steps)


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
