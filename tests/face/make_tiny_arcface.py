"""Makes a small ArcFace-shaped ONNX model (1x3x112x112 in, 512 out) with Debian's python3-torch, and the
embedding it gives for the test crop, preprocessed as ArcFace models expect: RGB, (x - 127.5) / 127.5, NCHW.
Usage: /usr/bin/python3 make_tiny_arcface.py OUT_DIR  (writes model.onnx and expected.txt)"""
import sys

import numpy as np
import torch


class TinyArcface(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.bn = torch.nn.BatchNorm2d(8)
        self.pool = torch.nn.AdaptiveAvgPool2d(7)
        self.fc = torch.nn.Linear(8 * 7 * 7, 512)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(torch.relu(self.bn(self.conv(x)))), 1))


def test_crop_rgb():
    """The crop the C++ test builds, as RGB: B = 2x, G = 2y, R = x + y (x, y < 112)."""
    y, x = np.mgrid[0:112, 0:112]
    return np.stack([x + y, 2 * y, 2 * x], axis=-1).astype(np.float32)


def main(out_dir):
    torch.manual_seed(0)
    model = TinyArcface().eval()
    torch.onnx.export(model, torch.zeros(1, 3, 112, 112), f"{out_dir}/model.onnx", input_names=["input"],
                      output_names=["embedding"], opset_version=11)
    x = torch.from_numpy((test_crop_rgb() - 127.5) / 127.5).permute(2, 0, 1).unsqueeze(0)
    with torch.no_grad():
        e = model(x)[0]
    e = e / e.norm()
    np.savetxt(f"{out_dir}/expected.txt", e.numpy())


if __name__ == "__main__":
    main(sys.argv[1])
