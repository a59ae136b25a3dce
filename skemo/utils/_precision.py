"""Devices and numeric precision: where and in which float type forward passes run.

Weights always stay in float32 ("master weights"); ``precision`` only sets
the :func:`torch.autocast` type of forward passes. ``"auto"`` picks bfloat16
where the hardware runs it fast -- CUDA GPUs with bf16 support, and CPUs with
AMX or AVX512-BF16 -- and float32 elsewhere.
"""

import contextlib
from functools import lru_cache

import torch

PRECISIONS = ("auto", "fp32", "bf16", "fp16")
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


def autocast_dtype(precision, device):
    """The autocast dtype for ``precision`` on ``device`` (None means plain fp32).

    Examples
    --------
    >>> from skemo.utils._precision import autocast_dtype
    >>> autocast_dtype("fp32", "cpu") is None
    True
    >>> autocast_dtype("bf16", "cpu")
    torch.bfloat16
    """
    if precision == "auto":
        if device.startswith("cuda"):
            return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return torch.bfloat16 if cpu_supports_bf16() else None
    if precision == "fp16" and not device.startswith("cuda"):
        raise ValueError("precision='fp16' needs a CUDA device; use 'bf16' on CPU.")
    return _DTYPES[precision]


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
