"""ONNX graphs and onnxruntime sessions: the export helpers and the int8 text encoder.

:func:`skemo.export.export_onnx` writes whole scoring graphs with these
helpers; :func:`int8_encoder` builds the onnxruntime int8 copy of a text
encoder that ``precision="int8"`` predicts with on a CPU (see
:mod:`skemo.utils._precision`).
"""

import copy
import tempfile
import warnings
from pathlib import Path

import numpy as np
import torch

from skemo.nn.encoder import TextEncoder

#: Dynamic axes of the token inputs of every exported graph.
TOKEN_AXES = {"input_ids": {0: "batch", 1: "tokens"},
              "attention_mask": {0: "batch", 1: "tokens"}}


def export_graph(module, path, example, output_names, opset_version=17):
    """Write ``module`` (token ids and mask in) as an ONNX graph with dynamic batch and length.

    Parameters
    ----------
    module : torch.nn.Module
        Float, on the CPU, in eval mode; ``forward(input_ids, attention_mask)``.
    path : path-like
    example : tuple of two int64 tensors
        Token ids and attention mask to trace with.
    output_names : list of str
        Each output's first axis is the batch.
    opset_version : int, default=17
    """
    axes = {**TOKEN_AXES, **{name: {0: "batch"} for name in output_names}}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's notes on Python control flow
        torch.onnx.export(module, example, str(path), dynamo=False,
                          input_names=list(TOKEN_AXES), output_names=output_names,
                          dynamic_axes=axes, opset_version=opset_version)


#: CPU flags (Linux's /proc/cpuinfo names) of the int8 dot-product instructions.
VNNI_FLAGS = frozenset({"avx512_vnni", "avx_vnni", "amx_int8"})


def needs_reduced_range(cpu_flags=None):
    """Whether int8 weights must keep to 7 bits on this CPU.

    onnxruntime multiplies uint8 activations by int8 weights with AVX2's
    ``vpmaddubsw`` where the CPU lacks VNNI; its 16-bit sums of two products
    saturate when both weights are near 127, which moved a tiny random
    model's probabilities by 0.07 on a 2-core AMD EPYC without VNNI
    (``tests/test_export.py``). onnxruntime's remedy is ``reduce_range``:
    7-bit weights, which cannot saturate. With VNNI (or on other
    architectures) the full 8 bits are kept.

    Parameters
    ----------
    cpu_flags : set of str or None, default=None
        The CPU's flags; None reads them from ``/proc/cpuinfo`` (where there
        is none, an x86 CPU is taken to lack VNNI).

    Returns
    -------
    bool

    Examples
    --------
    >>> from skemo.utils._onnx import needs_reduced_range
    >>> needs_reduced_range({"avx2", "fma"}), needs_reduced_range({"avx2", "avx512_vnni"})
    (True, False)
    """
    import platform

    if cpu_flags is None:
        if platform.machine().lower() not in ("x86_64", "amd64", "i386", "i686", "x86"):
            return False
        try:
            text = Path("/proc/cpuinfo").read_text()
        except OSError:
            return True
        cpu_flags = {flag for line in text.splitlines() if line.startswith("flags")
                     for flag in line.split(":", 1)[1].split()}
    return not VNNI_FLAGS & set(cpu_flags)


def quantize_file(source, target):
    """Write ``source``'s graph to ``target`` with int8 weights (onnxruntime's dynamic quantiser).

    Signed int8 weights with one scale per output channel; activations are
    quantised per run when the graph runs
    (``onnxruntime.quantization.quantize_dynamic``). Per-channel scales halve
    the cost of one scale per tensor and run as fast (``benchmarks/RESULTS.md``).
    On x86 CPUs without VNNI instructions the weights use 7 bits
    (``reduce_range``, :func:`needs_reduced_range`).
    """
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # its advice to pre-process with shape inference
    try:
        quantize_dynamic(Path(source), Path(target), weight_type=QuantType.QInt8,
                         per_channel=True, reduce_range=needs_reduced_range())
    finally:
        root.setLevel(level)


def session(path, providers=None, spinning=True):
    """An onnxruntime session of the graph at ``path``.

    Its intra-op threads are torch's intra-op thread count, so that
    ``torch.set_num_threads`` governs both runtimes. ``spinning=False`` lets
    them sleep at once after a run instead of busy-waiting for the next:
    right where torch computes between runs, as around the int8 encoder (11%
    more texts/s on 2 cores, measured).
    """
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = torch.get_num_threads()
    if not spinning:
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return onnxruntime.InferenceSession(str(path), options,
                                        providers=providers or ["CPUExecutionProvider"])


def example_tokens(tokenizer):
    """Two short rows of token ids (one padded) and their mask, to trace graphs with."""
    first = tokenizer.cls_token_id or 0
    ids = torch.tensor([[first, 2000, 2001, 2002], [first, 2003, 0, 0]], dtype=torch.long)
    mask = (torch.arange(4) < torch.tensor([[4], [2]])).long()
    return ids, mask


class OnnxRuntimeEncoder(torch.nn.Module):
    """A :class:`~skemo.nn.encoder.TextEncoder`'s forward pass on onnxruntime, text by text.

    Token ids and mask in, pooled float32 vectors out, as the encoder it was
    exported from; precomputed embeddings (float inputs) pass through, as
    there. For inference only: it has no parameters.

    Each text runs alone, without its padding: a dynamically quantised graph
    computes the int8 scale of its activations over its whole input, so a
    batch run would give each text the scale of the largest activation in
    the batch (padding included), and its scores would depend on the texts
    beside it. Alone, a text's vector is the same in any batch and at any
    thread count. Over length-sorted texts this costs about a fifth of the
    encoder's batched throughput (GoEmotions texts, 2 cores).

    Parameters
    ----------
    session : onnxruntime.InferenceSession
        Inputs ``input_ids`` and ``attention_mask``; output ``pooled``.
    """

    def __init__(self, session):
        super().__init__()
        self.session = session

    def forward(self, input_ids, attention_mask=None):
        if input_ids.is_floating_point():
            return input_ids
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        ids = input_ids.cpu().long().numpy()
        kept = attention_mask.cpu().numpy().astype(bool)
        pooled = [self.session.run(["pooled"], {"input_ids": row[keep][None],
                                                "attention_mask": np.ones((1, keep.sum()),
                                                                          np.int64)})[0]
                  for row, keep in zip(ids, kept)]
        return torch.from_numpy(np.concatenate(pooled)).to(input_ids.device)


def exportable_copy(module):
    """A float32 CPU copy of ``module`` in eval mode, as ONNX traces it.

    The :class:`~skemo.nn.encoder.TextEncoder` modules in it have their
    LoRA adapters merged into the weights and are unfrozen (traced through
    the backbone, not a frozen encoder's caching path); ``module`` is
    unchanged.
    """
    clone = copy.deepcopy(module).cpu().float().eval()
    for encoder in [m for m in clone.modules() if isinstance(m, TextEncoder)]:
        if hasattr(encoder.backbone, "merge_and_unload"):
            encoder.backbone = encoder.backbone.merge_and_unload()
        encoder.frozen = False
    return clone


def int8_encoder(encoder, tokenizer):
    """An :class:`OnnxRuntimeEncoder` running a copy of ``encoder`` with int8 weights.

    The encoder's :func:`exportable_copy` is exported to ONNX, quantised by
    :func:`quantize_file` and loaded in a session; ``encoder`` itself is
    unchanged. About two seconds for MiniLM. It runs text by text, so that a
    text's vector does not depend on the batch (see :class:`OnnxRuntimeEncoder`).

    Parameters
    ----------
    encoder : skemo.nn.encoder.TextEncoder
    tokenizer : transformers tokenizer
        Its CLS id starts the rows traced.

    Returns
    -------
    OnnxRuntimeEncoder
    """
    float_encoder = exportable_copy(encoder)
    with tempfile.TemporaryDirectory() as directory:
        fp32, int8 = Path(directory, "fp32.onnx"), Path(directory, "int8.onnx")
        export_graph(float_encoder, fp32, example_tokens(tokenizer), ["pooled"])
        quantize_file(fp32, int8)
        runtime = session(int8, spinning=False)  # torch runs the heads between runs
    return OnnxRuntimeEncoder(runtime)
