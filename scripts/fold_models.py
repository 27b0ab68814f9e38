#!/usr/bin/env python3
"""Fold int8 block-quantized ONNX weights into float32 so ONNX Runtime can load the model.

The OpenCV Zoo "int8bq" files store each weight as DequantizeLinear(int8, scales, zero_points)
with `block_size` > 0. ONNX Runtime's CPU kernel refuses block-wise DequantizeLinear for these
graphs ("block_size must be 0 for per-tensor quantization"), so we evaluate every
DequantizeLinear (and any Reshape of a constant) once, here, and store the float32 result as an
initializer. Graph inputs that no node consumes (SFace declares its original fp32 weights as
required inputs) and initializers listed as graph inputs are removed, so the only input left is
the image tensor.

Usage: fold_models.py SOURCE.onnx DEST.onnx
"""
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper


def dequantize_blockwise(q, scale, zero_point, axis, block_size):
    """Evaluate DequantizeLinear with optional block-wise scales (opset 21 semantics)."""
    q = q.astype(np.float32)
    zero_point = np.zeros_like(scale) if zero_point is None else zero_point.astype(np.float32)
    if scale.ndim == 0 or scale.size == 1:
        return (q - zero_point.reshape(())) * scale.reshape(())
    axis = axis % q.ndim
    if block_size and block_size > 0:
        scale = np.repeat(scale, block_size, axis=axis)
        zero_point = np.repeat(zero_point, block_size, axis=axis)
        index = [slice(None)] * q.ndim
        index[axis] = slice(0, q.shape[axis])
        scale = scale[tuple(index)]
        zero_point = zero_point[tuple(index)]
        return (q - zero_point) * scale
    # Per-axis: a 1-D scale broadcast along `axis`.
    shape = [1] * q.ndim
    shape[axis] = -1
    return (q - zero_point.reshape(shape)) * scale.reshape(shape)


def fold(model):
    graph = model.graph
    constants = {init.name: numpy_helper.to_array(init) for init in graph.initializer}
    kept_nodes = []
    folded = 0
    for node in graph.node:
        attributes = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        if node.op_type == "DequantizeLinear" and all(i in constants for i in node.input if i):
            q = constants[node.input[0]]
            scale = constants[node.input[1]]
            zero_point = constants[node.input[2]] if len(node.input) > 2 and node.input[2] else None
            value = dequantize_blockwise(
                q, scale, zero_point, attributes.get("axis", 1), attributes.get("block_size", 0)
            )
            constants[node.output[0]] = value.astype(np.float32)
            folded += 1
            continue
        if node.op_type == "Reshape" and all(i in constants for i in node.input):
            constants[node.output[0]] = constants[node.input[0]].reshape(
                [int(d) for d in constants[node.input[1]]]
            )
            continue
        kept_nodes.append(node)
    if folded == 0:
        raise SystemExit("no DequantizeLinear node to fold: is this the int8bq model?")

    consumed = {i for node in kept_nodes for i in node.input}
    consumed |= {o.name for o in graph.output}
    new_initializers = [
        numpy_helper.from_array(np.ascontiguousarray(value), name)
        for name, value in constants.items()
        if name in consumed
    ]
    new_inputs = [
        i for i in graph.input if i.name in consumed and i.name not in constants
    ]
    del graph.node[:]
    graph.node.extend(kept_nodes)
    del graph.initializer[:]
    graph.initializer.extend(new_initializers)
    del graph.input[:]
    graph.input.extend(new_inputs)
    if model.ir_version < 7:
        model.ir_version = 7
    onnx.checker.check_model(model)
    return model, folded


def make_batch_dynamic(model, name="N"):
    """Declare the first dimension of every graph input and output as symbolic."""
    for tensor in list(model.graph.input) + list(model.graph.output):
        tensor.type.tensor_type.shape.dim[0].dim_param = name
    # Inferred intermediate shapes would still say 1: drop them, ONNX Runtime re-infers.
    del model.graph.value_info[:]
    onnx.checker.check_model(model)


def rewrite_prelu(model):
    """Replace each PRelu by element-wise operators that give bit-identical results, because
    ONNX Runtime's CPU PRelu is a scalar loop with a branch on each value's sign: it was 14 %
    of a whole pipeline run's CPU time (docs/harvest.md, "Embedding speed").

    PRelu(x, s) is x where x >= 0, else s * x. Per node, with its per-channel slopes s:
      - every s <= 1: Max(x, s * x). For x >= 0, s * x <= x; for x < 0, s * x >= x.
      - every s >= 1: Min(x, s * x), by the same argument reversed.
      - mixed: Relu(x) + s * Min(x, 0), where one of the two terms is an exact zero.
    Each form computes the same single product s * x as PRelu, so every value is equal but
    possibly for the sign of a zero, which the next convolution's sum erases (the caller checks
    the embeddings of both graphs are equal to the bit). Returns the nodes rewritten.
    """
    constants = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    zero = "prelu_rewrite_zero"
    nodes, rewritten = [], 0
    for node in model.graph.node:
        if node.op_type != "PRelu" or node.input[1] not in constants:
            nodes.append(node)
            continue
        x, slope = node.input
        y, name = node.output[0], node.name or node.output[0]
        values = constants[slope]
        if np.all(values <= 1) or np.all(values >= 1):
            pick = "Max" if np.all(values <= 1) else "Min"
            nodes.append(helper.make_node("Mul", [x, slope], [f"{y}_scaled"], name=f"{name}_mul"))
            nodes.append(helper.make_node(pick, [x, f"{y}_scaled"], [y], name=f"{name}_pick"))
        else:
            if zero not in constants:
                constants[zero] = np.zeros((), np.float32)
                model.graph.initializer.append(numpy_helper.from_array(constants[zero], zero))
            nodes.append(helper.make_node("Relu", [x], [f"{y}_positive"], name=f"{name}_relu"))
            nodes.append(helper.make_node("Min", [x, zero], [f"{y}_negative"], name=f"{name}_min"))
            nodes.append(helper.make_node(
                "Mul", [f"{y}_negative", slope], [f"{y}_scaled"], name=f"{name}_mul"))
            nodes.append(helper.make_node(
                "Add", [f"{y}_positive", f"{y}_scaled"], [y], name=f"{name}_add"))
        rewritten += 1
    del model.graph.node[:]
    model.graph.node.extend(nodes)
    onnx.checker.check_model(model)
    return rewritten


def make_spatial_dynamic(model):
    """Declare the image input's height and width symbolic, so a fully convolutional detector
    runs at the frame's aspect instead of a padded square (README, "Benchmark").

    Every Reshape must already infer its anchor count (-1), which YuNet's and SCRFD's do.
    Resize nodes that name fixed output sizes (SCRFD's FPN upsampling) become the same
    upsampling by scale factors, checked against the fixed graph's inferred shapes. The
    outputs' anchor counts become symbolic too.
    """
    inferred = onnx.shape_inference.infer_shapes(model)
    shapes = {}
    for info in list(inferred.graph.value_info) + list(inferred.graph.input):
        shapes[info.name] = [d.dim_value for d in info.type.tensor_type.shape.dim]
    constants = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    for node in model.graph.node:
        if node.op_type == "Constant":
            constants[node.output[0]] = numpy_helper.to_array(node.attribute[0].t)
    for node in model.graph.node:
        if node.op_type != "Resize" or len(node.input) < 4 or not node.input[3]:
            continue
        sizes = constants[node.input[3]].astype(np.float64)
        source = np.array(shapes[node.input[0]], dtype=np.float64)
        factors = sizes / source
        if not np.all(factors == np.round(factors)):
            raise SystemExit(f"Resize {node.name}: sizes {sizes} are not a whole multiple of {source}")
        name = f"{node.output[0]}_scales"
        model.graph.initializer.append(
            numpy_helper.from_array(factors.astype(np.float32), name))
        node.input[2] = name
        del node.input[3]
    used = {name for node in model.graph.node for name in node.input}
    for initializer in list(model.graph.initializer):
        if initializer.name not in used:
            model.graph.initializer.remove(initializer)
    dims = model.graph.input[0].type.tensor_type.shape.dim
    dims[2].dim_param = "height"
    dims[3].dim_param = "width"
    for output in model.graph.output:
        output.type.tensor_type.shape.dim[1].dim_param = f"{output.name}_anchors"
    del model.graph.value_info[:]
    onnx.checker.check_model(model)


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    source, dest = sys.argv[1], sys.argv[2]
    model, folded = fold(onnx.load(source))
    onnx.save(model, dest)
    print(f"folded {folded} DequantizeLinear nodes: {source} -> {dest} "
          f"(inputs: {[i.name for i in model.graph.input]})")


if __name__ == "__main__":
    main()
