"""Devices and numeric precision: where and in which number type forward passes run.

Weights always stay in float32 ("master weights"). ``precision`` sets the
:func:`torch.autocast` type of forward passes and, for int8 prediction on a
CPU, runs the encoder as an int8 onnxruntime graph:

=============  =================================  ======================================
precision      training passes                    prediction passes
=============  =================================  ======================================
``"fp32"``     float32                            float32
``"bf16"``     bfloat16 autocast                  bfloat16 autocast
``"fp16"``     float16 autocast (CUDA only)       float16 autocast (CUDA only)
``"int8"``     as ``"auto"``                      int8 encoder on onnxruntime, float32
                                                  heads (CPU only)
``"auto"``     CUDA: bf16 (fp16 without bf16);    CUDA: as in training; CPU: float32
               CPU: float32
=============  =================================  ======================================

Why ``"auto"`` is so on a CPU (the speed and precision-cost tables of
``benchmarks/RESULTS.md``, rendered from ``benchmarks/results/``): bf16
training measured under the 1.5x over float32 that would pay for its rounding,
so training stays float32. Prediction stays float32 too: a text's scores must
not depend on the texts predicted with it, and of the precisions that keep to
that (float32, and the int8 encoder run text by text), float32 predicted the
most texts per second on both CPUs measured, one with and one without VNNI
int8 instructions. bf16 was faster where the CPU has AMX, but its rounding
moves a text's scores with its batch (``benchmarks/RESULTS.md``, speed and
batch-independence tables).

``precision="int8"`` exports the encoder to ONNX with
int8 weights (onnxruntime's dynamic quantiser; torch.ao's int8 linears, with
7-bit activations on x86, cost more on SemEval and are slower), at the first
prediction after the weights change (about 2 s for MiniLM), and caches it with
the module. It runs each text alone (:class:`~skemo.utils._onnx.OnnxRuntimeEncoder`):
the dynamic quantiser scales a run's int8 activations by its whole input, so
in batches a text's probabilities moved (by up to 0.11 on the bundled
GoEmotions model) with the texts beside it; alone they do not depend on the
batch or the thread count, at about a fifth of the encoder's batched
throughput. int8 has no training counterpart, so a fit
with ``precision="int8"`` trains as ``"auto"``; the floating-point passes
around the int8 encoder (heads, label texts, a frozen encoder's precomputed
embeddings, ``transform``) run in float32. Where an encoder cannot be
exported, ``"int8"`` raises a ValueError and ``"auto"`` predicts in float32
with a warning.
"""

import contextlib
import threading
import weakref

import torch

PRECISIONS = ("auto", "fp32", "bf16", "fp16", "int8")
_DTYPES = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}


def resolve_device(device):
    """``"auto"`` becomes ``"cuda"`` when a GPU is visible, else ``"cpu"``.

    Examples
    --------
    >>> from skemo.utils._precision import resolve_device
    >>> resolve_device("cpu")
    'cpu'
    """
    if device in (None, "auto"):
        return "cuda" if torch.cuda.is_available() else "cpu"
    return str(device)


def _is_cuda(device):
    return torch.device(device).type == "cuda"


def quantizes(precision, device):
    """Whether prediction in ``precision`` on ``device`` runs the int8 encoder.

    Only ``"int8"`` does, on a CPU only (``"auto"`` predicts in float32 on a CPU).

    Examples
    --------
    >>> from skemo.utils._precision import quantizes
    >>> quantizes("int8", "cpu"), quantizes("auto", "cpu"), quantizes("fp32", "cpu")
    (True, False, False)
    """
    if precision == "int8" and _is_cuda(device):
        raise ValueError("precision='int8' quantises for the CPU; use 'bf16' on CUDA.")
    return precision == "int8"


def tuning_precision(precision, device):
    """The precision in which decision thresholds are tuned for ``precision``.

    float32 where prediction runs the int8 encoder, ``precision`` itself
    otherwise. When the int8 encoder quantised the activations of whole
    batches, thresholds tuned on its probabilities scored 0.003-0.009 test
    macro-F1 below float32-tuned thresholds applied to the same int8
    probabilities on four full-data models (``benchmarks/RESULTS.md``, "int8
    on onnxruntime, the CPU prediction default").

    >>> from skemo.utils._precision import tuning_precision
    >>> tuning_precision("int8", "cpu"), tuning_precision("bf16", "cpu")
    ('fp32', 'bf16')
    """
    return "fp32" if quantizes(precision, device) else precision


def autocast_dtype(precision, device):
    """The autocast dtype of ``precision`` on ``device`` (None means plain fp32).

    The same for training and prediction passes: ``"int8"`` trains as
    ``"auto"``, and the float passes around the int8 encoder of ``"int8"``
    and of ``"auto"`` on a CPU (heads, label texts, frozen encoders) run in
    float32.

    Examples
    --------
    >>> from skemo.utils._precision import autocast_dtype
    >>> autocast_dtype("fp32", "cpu") is None
    True
    >>> autocast_dtype("bf16", "cpu")
    torch.bfloat16
    >>> autocast_dtype("auto", "cpu") is None
    True
    """
    if precision == "fp16" and not _is_cuda(device):
        raise ValueError("precision='fp16' needs a CUDA device; use 'bf16' on CPU.")
    quantizes(precision, device)  # refuses int8 on CUDA
    if precision in ("auto", "int8") and _is_cuda(device):
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return _DTYPES.get(precision)  # "auto" and "int8" on a CPU: float32


def autocast(precision, device):
    """A context manager running forward passes in ``precision`` on ``device``.

    Examples
    --------
    >>> import torch
    >>> from skemo.utils._precision import autocast
    >>> with autocast("bf16", "cpu"):
    ...     (torch.ones(2, 2) @ torch.ones(2, 2)).dtype
    torch.bfloat16
    """
    dtype = autocast_dtype(precision, device)
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=torch.device(device).type, dtype=dtype)


#: float module -> (weights version, its int8 copy); entries go with their modules.
_INT8_COPIES = weakref.WeakKeyDictionary()
#: Held while an int8 copy is looked up or built: threads predicting at once
#: share one copy, and torch's ONNX exporter is not reentrant.
_INT8_LOCK = threading.Lock()


def _weights_version(module):
    """Changes whenever a parameter is replaced or updated in place (optimiser steps,
    ``load_state_dict``): the key that says an int8 copy is stale."""
    return tuple((id(p), p._version) for p in module.parameters())


def int8_copy(module, tokenizer):
    """``module`` with its encoder running int8 weights on onnxruntime.

    The encoder becomes an :class:`~skemo.utils._onnx.OnnxRuntimeEncoder`
    (:func:`~skemo.utils._onnx.int8_encoder`: exported to ONNX, weights
    quantised to int8 by onnxruntime's dynamic quantiser, run text by
    text) in the copy that ``module.with_encoder`` makes (see
    :class:`~skemo.nn.EmotionModule`); the heads stay float32 torch modules,
    shared with ``module``. ``module`` itself is unchanged. The copy is built
    once per weights version and cached with ``module``; threads asking at
    the same time wait for one build.

    Parameters
    ----------
    module : skemo.nn.EmotionModule
        The float model, in evaluation mode.
    tokenizer : transformers tokenizer

    Returns
    -------
    skemo.nn.EmotionModule
        The int8 copy, in eval mode, for inference only.
    """
    with _INT8_LOCK:
        version = _weights_version(module)
        cached = _INT8_COPIES.get(module)
        if cached is not None and cached[0] == version:
            return cached[1]
        from skemo.utils._onnx import int8_encoder

        clone = module.with_encoder(int8_encoder(module.encoder, tokenizer)).eval()
        _INT8_COPIES[module] = (version, clone)
        return clone
