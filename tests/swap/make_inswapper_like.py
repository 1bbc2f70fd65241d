#!/usr/bin/env python3
"""Writes an ONNX file shaped like InsightFace's inswapper_128 (inputs "target" [1,3,128,128] and "source"
[1,512], output "output" [1,3,128,128], a 512x512 embedding map as the graph's last initializer) whose output is
known in closed form, so a test can check what WatserFace's ONNX engine feeds it and reads back:

    output = 0.5 * target + (source @ W) per channel,  W[i, c] = ((7 * (3 * i + c)) % 11 - 5) / 50
    emap   = 3 * the 512x512 identity with its rows reversed (latent = normalise(reverse(embedding)))

Usage: make_inswapper_like.py OUT.onnx   (needs Debian's python3-onnx)
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def main(path):
    w = (((7 * np.arange(512 * 3)) % 11 - 5) / 50).astype(np.float32).reshape(512, 3)
    emap = (3 * np.eye(512, dtype=np.float32)[::-1]).copy()
    # source @ W as a 1x1 convolution of the source seen as [1, 512, 1, 1]: ops OpenCV's DNN importer runs.
    nodes = [
        helper.make_node("Reshape", ["source", "shape"], ["source4"]),
        helper.make_node("Conv", ["source4", "W"], ["offset"], kernel_shape=[1, 1]),
        helper.make_node("Mul", ["target", "half"], ["scaled"]),
        helper.make_node("Add", ["scaled", "offset"], ["output"]),
    ]
    initializers = [
        numpy_helper.from_array(w.T.reshape(3, 512, 1, 1).copy(), "W"),
        numpy_helper.from_array(np.array([1, 512, 1, 1], dtype=np.int64), "shape"),
        numpy_helper.from_array(np.array([0.5], dtype=np.float32), "half"),
        numpy_helper.from_array(emap, "emap"),  # last, as in inswapper_128.onnx
    ]
    graph = helper.make_graph(
        nodes,
        "inswapper_like",
        [helper.make_tensor_value_info("target", TensorProto.FLOAT, [1, 3, 128, 128]),
         helper.make_tensor_value_info("source", TensorProto.FLOAT, [1, 512])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 3, 128, 128])],
        initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)])
    model.ir_version = 7
    onnx.checker.check_model(model)
    onnx.save(model, path)


if __name__ == "__main__":
    main(sys.argv[1])
