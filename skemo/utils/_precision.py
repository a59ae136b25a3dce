"""Devices and numeric precision: where and in which number type forward passes run.

Weights always stay in float32 ("master weights"). ``precision`` sets the
:func:`torch.autocast` type of forward passes and, for ``"int8"``, replaces the
encoder's linear layers by dynamically quantised int8 copies at prediction:

=============  =================================  ======================================
precision      training passes                    prediction passes
=============  =================================  ======================================
``"fp32"``     float32                            float32
``"bf16"``     bfloat16 autocast                  bfloat16 autocast
``"fp16"``     float16 autocast (CUDA only)       float16 autocast (CUDA only)
``"int8"``     as ``"auto"``                      int8 encoder linears (CPU only)
``"auto"``     CUDA: bf16 (fp16 without bf16);    CUDA: as in training; CPU: bf16 with
               CPU: float32                       AMX or AVX512-BF16, else float32
=============  =================================  ======================================

Why ``"auto"`` is so on a CPU (``benchmarks/RESULTS.md``, "Speed"): bf16 training
is only 1.12-1.37x float32 on 2-core CPUs with AMX or AVX512-BF16, short of the 1.5x
that would pay for its rounding, so training stays float32; bf16 prediction is
1.1-1.3x float32 there at no measurable macro-F1 cost (+0.002 on full-data
GoEmotions). int8 encoder linears predict 1.4-1.8x faster than float32 and cost 0.004
tuned macro-F1 on GoEmotions, but 0.010 on SemEval-2018 E-c (more than the 0.005 a
default may cost), so int8 is opt-in. Quantisation
(:func:`torch.ao.quantization.quantize_dynamic`, weights per output channel) works
on a copy of the module, made again whenever the weights change; int8 has no training
counterpart, so a fit with ``precision="int8"`` trains as ``"auto"``. onnxruntime's
int8 runs the exported graph (:func:`skemo.export.export_onnx` with ``quantize=True``).
"""

import contextlib
import copy
import warnings
import weakref
from functools import lru_cache

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


@lru_cache(maxsize=1)
def cpu_supports_bf16():
    """Whether this CPU has native bf16 matrix instructions (AMX or AVX512-BF16)."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = f.read()
    except OSError:
        return False
    return "amx_bf16" in flags or "avx512_bf16" in flags


def _is_cuda(device):
    return torch.device(device).type == "cuda"


def quantizes(precision, device):
    """Whether prediction in ``precision`` on ``device`` runs int8 encoder linears.

    Examples
    --------
    >>> from skemo.utils._precision import quantizes
    >>> quantizes("int8", "cpu"), quantizes("auto", "cpu"), quantizes("fp32", "cpu")
    (True, False, False)
    """
    if precision == "int8" and _is_cuda(device):
        raise ValueError("precision='int8' quantises for the CPU; use 'bf16' on CUDA.")
    return precision == "int8"


def autocast_dtype(precision, device, training=True):
    """The autocast dtype of ``precision`` on ``device`` (None means plain fp32).

    ``training`` selects between the training passes and the float passes of
    prediction, which differ for ``"auto"`` and ``"int8"`` on a CPU (int8
    linears take float32 activations; ``"auto"`` predicts in bf16 where the CPU
    has bf16 matrix units).

    Examples
    --------
    >>> from skemo.utils._precision import autocast_dtype
    >>> autocast_dtype("fp32", "cpu") is None
    True
    >>> autocast_dtype("bf16", "cpu")
    torch.bfloat16
    >>> autocast_dtype("int8", "cpu", training=False) is None
    True
    """
    if precision == "fp16" and not _is_cuda(device):
        raise ValueError("precision='fp16' needs a CUDA device; use 'bf16' on CPU.")
    if quantizes(precision, device) and not training:
        return None
    if precision in ("auto", "int8"):
        if _is_cuda(device):
            return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return None if training or precision == "int8" or not cpu_supports_bf16() else (
            torch.bfloat16)
    return _DTYPES[precision]


def autocast(precision, device, training=True):
    """A context manager running forward passes in ``precision`` on ``device``.

    Examples
    --------
    >>> import torch
    >>> from skemo.utils._precision import autocast
    >>> with autocast("bf16", "cpu"):
    ...     (torch.ones(2, 2) @ torch.ones(2, 2)).dtype
    torch.bfloat16
    """
    dtype = autocast_dtype(precision, device, training=training)
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=torch.device(device).type, dtype=dtype)


#: float module -> (weights version, its int8 copy); entries go with their modules.
_QUANTIZED = weakref.WeakKeyDictionary()


def _weights_version(module):
    """Changes whenever a parameter is replaced or updated in place (optimiser steps,
    ``load_state_dict``): the key that says an int8 copy is stale."""
    return tuple((id(p), p._version) for p in module.parameters())


def quantized_copy(module, encoder):
    """``module`` with the linear layers of its submodule ``encoder`` in dynamic int8.

    Weights are quantised to int8 once, with one scale per output channel
    (``per_channel_dynamic_qconfig``: at threshold 0.5 it cost 0.005 macro-F1
    on GoEmotions where one scale per tensor cost 0.016); activations per
    batch (:func:`torch.ao.quantization.quantize_dynamic`). ``module`` itself is
    unchanged; the copy is cached until its weights change.

    Parameters
    ----------
    module : torch.nn.Module
        The float model.
    encoder : torch.nn.Module
        The submodule of ``module`` whose ``torch.nn.Linear`` layers to quantise
        (the text encoder; heads stay float).

    Returns
    -------
    torch.nn.Module
        An int8 copy in eval mode, for inference only.

    Examples
    --------
    >>> import torch
    >>> from skemo.utils._precision import quantized_copy
    >>> model = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.Linear(4, 2))
    >>> q = quantized_copy(model, model[0])
    >>> type(q[0]).__name__, type(q[1]).__name__
    ('Linear', 'Linear')
    >>> q[0].__module__
    'torch.ao.nn.quantized.dynamic.modules.linear'
    """
    version = _weights_version(module)
    cached = _QUANTIZED.get(module)
    if cached is not None and cached[0] == version:
        return cached[1]
    prefix = next(name for name, sub in module.named_modules() if sub is encoder)
    clone = copy.deepcopy(module).eval()
    clone_encoder = clone.get_submodule(prefix)
    backbone = getattr(clone_encoder, "backbone", None)
    if hasattr(backbone, "merge_and_unload"):
        # LoRA adapters (peft): fold them into the base weights, which are then quantised
        # (peft's LoRA layers cannot run on quantised linears).
        clone_encoder.backbone = backbone.merge_and_unload()
    linears = {name: torch.ao.quantization.per_channel_dynamic_qconfig
               for name, sub in clone.named_modules()
               if isinstance(sub, torch.nn.Linear)
               and (not prefix or name == prefix or name.startswith(prefix + "."))}
    with warnings.catch_warnings():  # torch.ao's eager-mode API announces its move to torchao
        warnings.simplefilter("ignore")
        clone = torch.ao.quantization.quantize_dynamic(clone, linears, dtype=torch.qint8)
    _QUANTIZED[module] = (version, clone)
    return clone
