"""A BERT sentence encoder as an ONNX graph, built from its safetensors weights (no torch).

The embedding model reaches us as sentence-transformers files (safetensors weights, a
tokenizer.json): running it through sentence-transformers would need torch, a dependency of
several hundred megabytes and about half the speed of ONNX Runtime with int8 weights on a CPU.
So the standard BERT encoder - embeddings, N transformer layers, mean pooling over the attention
mask, L2 normalisation - is written once as an ONNX graph with the ``onnx`` package's helpers,
its weights taken from the safetensors file, then quantised to int8 by ONNX Runtime's dynamic
quantiser. The tests compare its embeddings with sentence-transformers' own.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np

OPSET = 17


def build(model_dir: Path, out: Path) -> Path:
    """Write the float32 ONNX model of the BERT encoder in ``model_dir`` to ``out``."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    from safetensors.numpy import load_file

    config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    weights = load_file(str(model_dir / "model.safetensors"))
    hidden, heads = config["hidden_size"], config["num_attention_heads"]
    head = hidden // heads
    eps = float(config.get("layer_norm_eps", 1e-12))
    nodes, inits = [], []
    counter = [0]

    def name(prefix: str) -> str:
        counter[0] += 1
        return f"{prefix}_{counter[0]}"

    def const(value, prefix="c") -> str:
        n = name(prefix)
        inits.append(numpy_helper.from_array(np.asarray(value), n))
        return n

    def weight(key: str, transpose: bool = False) -> str:
        array = weights[key].astype(np.float32)
        return const(array.T.copy() if transpose else array, key.replace(".", "_"))

    def op(kind: str, inputs: list[str], **attrs) -> str:
        out_name = name(kind.lower())
        nodes.append(helper.make_node(kind, inputs, [out_name], **attrs))
        return out_name

    def linear(x: str, prefix: str) -> str:
        return op("Add", [op("MatMul", [x, weight(f"{prefix}.weight", transpose=True)]), weight(f"{prefix}.bias")])

    def layer_norm(x: str, prefix: str) -> str:
        return op("LayerNormalization", [x, weight(f"{prefix}.weight"), weight(f"{prefix}.bias")], axis=-1,
                  epsilon=eps)

    # embeddings: word + position + token type, then LayerNorm
    length = op("Gather", [op("Shape", ["input_ids"]), const(np.array(1, dtype=np.int64))], axis=0)
    positions = op("Range", [const(np.array(0, dtype=np.int64)), length, const(np.array(1, dtype=np.int64))])
    x = op("Add", [op("Gather", [weight("embeddings.word_embeddings.weight"), "input_ids"]),
                   op("Gather", [weight("embeddings.position_embeddings.weight"), positions])])
    x = op("Add", [x, op("Gather", [weight("embeddings.token_type_embeddings.weight"), "token_type_ids"])])
    x = layer_norm(x, "embeddings.LayerNorm")
    # attention bias: 0 where the mask is 1, a large negative number where it is 0; [B, 1, 1, T]
    mask = op("Cast", ["attention_mask"], to=TensorProto.FLOAT)
    bias = op("Mul", [op("Sub", [const(np.array(1.0, dtype=np.float32)), mask]),
                      const(np.array(-10000.0, dtype=np.float32))])
    bias = op("Unsqueeze", [bias, const(np.array([1, 2], dtype=np.int64))])
    split_shape = const(np.array([0, 0, heads, head], dtype=np.int64))
    merge_shape = const(np.array([0, 0, hidden], dtype=np.int64))
    scale = const(np.array(1.0 / np.sqrt(head), dtype=np.float32))
    for i in range(config["num_hidden_layers"]):
        p = f"encoder.layer.{i}"

        def heads_of(t: str, perm: list[int]) -> str:
            return op("Transpose", [op("Reshape", [t, split_shape])], perm=perm)
        q = heads_of(linear(x, f"{p}.attention.self.query"), [0, 2, 1, 3])          # B H T D
        k = heads_of(linear(x, f"{p}.attention.self.key"), [0, 2, 3, 1])            # B H D T
        v = heads_of(linear(x, f"{p}.attention.self.value"), [0, 2, 1, 3])          # B H T D
        scores = op("Add", [op("Mul", [op("MatMul", [q, k]), scale]), bias])
        context = op("MatMul", [op("Softmax", [scores], axis=-1), v])               # B H T D
        context = op("Reshape", [op("Transpose", [context], perm=[0, 2, 1, 3]), merge_shape])
        x = layer_norm(op("Add", [linear(context, f"{p}.attention.output.dense"), x]), f"{p}.attention.output.LayerNorm")
        inner = linear(x, f"{p}.intermediate.dense")
        gelu = op("Mul", [op("Mul", [inner, op("Add", [op("Erf", [op("Div", [inner, const(np.array(np.sqrt(2.0), dtype=np.float32))])]),
                                                       const(np.array(1.0, dtype=np.float32))])]),
                          const(np.array(0.5, dtype=np.float32))])
        x = layer_norm(op("Add", [linear(gelu, f"{p}.output.dense"), x]), f"{p}.output.LayerNorm")
    # mean over the tokens the mask keeps, then unit length
    keep = op("Unsqueeze", [mask, const(np.array([2], dtype=np.int64))])             # B T 1
    summed = op("ReduceSum", [op("Mul", [x, keep]), const(np.array([1], dtype=np.int64))], keepdims=0)
    count = op("Max", [op("ReduceSum", [keep, const(np.array([1], dtype=np.int64))], keepdims=0),
                       const(np.array(1e-9, dtype=np.float32))])
    mean = op("Div", [summed, count])
    norm = op("Max", [op("ReduceL2", [mean], axes=[1], keepdims=1),                  # axes: an attribute at opset 17
                      const(np.array(1e-12, dtype=np.float32))])
    nodes.append(helper.make_node("Div", [mean, norm], ["embedding"]))
    inputs = [helper.make_tensor_value_info(n, TensorProto.INT64, ["batch", "tokens"])
              for n in ("input_ids", "attention_mask", "token_type_ids")]
    output = helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", hidden])
    graph = helper.make_graph(nodes, "bert_mean_pooled", inputs, [output], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="workbench")
    onnx.checker.check_model(model)
    onnx.save(model, str(out))
    return out


def quantise(model: Path, out: Path) -> Path:
    """int8 weights for the matrix products, one scale per output channel (ONNX Runtime's dynamic
    quantisation). Measured (bench/suggesters.py): per-tensor scales or quantised embedding
    tables move the vectors visibly (cosine 0.87-0.95 to the float model); per channel keeps
    them at 0.99 and is the fastest."""
    from onnxruntime.quantization import QuantType, quantize_dynamic
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)      # its advice to pre-process is for vision models, not this graph
    try:
        quantize_dynamic(str(model), str(out), weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul"],
                         per_channel=True)
    finally:
        root.setLevel(level)
    return out
