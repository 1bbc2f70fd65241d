"""Makes an ONNX model with SCRFD's output layout (scores, box distances and keypoint offsets for strides
8/16/32, two anchors per cell, heads as conv -> permute -> reshape) whose values are fixed: one face at
stride 16, cell (x=20, y=10), anchor 1, score 0.9, and a weaker overlapping one at stride 8 that NMS must drop.
The C++ test knows where that face must land. Usage: /usr/bin/python3 make_tiny_scrfd.py OUT_DIR"""
import sys

import torch

STRIDES = (8, 16, 32)
INPUT = 640


class Head(torch.nn.Module):
    """conv (zero weights) + fixed map, permuted and reshaped the way SCRFD's heads are."""

    def __init__(self, stride, columns, values, index):
        super().__init__()
        cells = INPUT // stride
        self.stride = stride
        self.columns = columns
        self.conv = torch.nn.Conv2d(3, 2 * columns, 1)
        # Distinct weights: the exporter merges identical initializers into Identity nodes OpenCV 4.6 cannot
        # read. The conv's output is multiplied by zero, so only the fixed map comes out.
        torch.nn.init.constant_(self.conv.weight, 1e-3 * (index + 1))
        torch.nn.init.constant_(self.conv.bias, 1e-3 * (index + 1))
        fixed = torch.zeros(1, 2 * columns, cells, cells)
        for (x, y, anchor), row in values.items():
            fixed[0, anchor * columns:(anchor + 1) * columns, y, x] = torch.tensor(row)
        self.register_buffer("fixed", fixed)

    def forward(self, image):
        feature = torch.nn.functional.avg_pool2d(image, self.stride)
        return (self.conv(feature) * 0.0 + self.fixed).permute(0, 2, 3, 1).reshape(-1, self.columns)


class TinyScrfd(torch.nn.Module):
    def __init__(self):
        super().__init__()
        low = 0.01
        faces = {  # stride: {(x, y, anchor): (score, box distances, keypoint offsets)}, in stride units
            16: {(20, 10, 1): (0.9, [3, 4, 3, 4], [-1.5, -1, 1.5, -1, 0, 0.5, -1, 2, 1, 2])},
            8: {(40, 20, 0): (0.6, [6, 8, 5, 8], [0] * 10)},
        }
        heads = []
        for kind, columns in (("score", 1), ("box", 4), ("kps", 10)):
            for stride in STRIDES:
                values = {}
                cells = INPUT // stride
                if kind == "score":
                    values = {(x, y, a): [low] for x in range(cells) for y in range(cells) for a in (0, 1)}
                for key, (score, box, kps) in faces.get(stride, {}).items():
                    values[key] = {"score": [score], "box": box, "kps": kps}[kind]
                heads.append(Head(stride, columns, values, len(heads)))
        self.heads = torch.nn.ModuleList(heads)

    def forward(self, image):
        return tuple(head(image) for head in self.heads)


if __name__ == "__main__":
    model = TinyScrfd().eval()
    names = [f"{kind}_{stride}" for kind in ("score", "bbox", "kps") for stride in STRIDES]
    torch.onnx.export(model, torch.zeros(1, 3, INPUT, INPUT), f"{sys.argv[1]}/scrfd.onnx", input_names=["input.1"],
                      output_names=names, opset_version=11)
