"""Checks of user input that fail early with a message naming the problem."""

import math
from collections.abc import Iterable

import torch

from skemo.utils._precision import resolve_device


def check_texts(X, *, name="X"):
    """Return ``X`` as a list of str, or raise naming the first bad item.

    Parameters
    ----------
    X : list, tuple, numpy array or pandas Series of str
        Empty strings are allowed (they are texts like any other).
    name : str
        How to call the argument in error messages.

    Returns
    -------
    list of str

    Raises
    ------
    TypeError
        If ``X`` is a single string or not a sequence, or an item is not a string.
    ValueError
        If ``X`` is empty, an item is None/NaN, or an item is not valid Unicode
        (a lone surrogate, as left by decoding invalid UTF-8 with
        ``errors="surrogateescape"``): tokenizers cannot encode it.

    Examples
    --------
    >>> from skemo.utils._validation import check_texts
    >>> check_texts(("i am glad", ""))
    ['i am glad', '']
    >>> check_texts(["fine", None])
    Traceback (most recent call last):
    ...
    ValueError: X[1] is None; every item of X must be a string.
    """
    if isinstance(X, (str, bytes)):
        raise TypeError(f"{name} must be a sequence of strings, not a single string; "
                        f"wrap it in a list: [{name}].")
    if hasattr(X, "ndim") and X.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional (one text per row); "
                         f"got an array of shape {X.shape}.")
    if not isinstance(X, Iterable):
        raise TypeError(f"{name} must be a sequence of strings; got {type(X).__name__}.")
    texts = X.tolist() if hasattr(X, "tolist") else list(X)
    if not texts:
        raise ValueError(f"{name} is empty; need at least one text.")
    for i, text in enumerate(texts):
        if isinstance(text, str):
            continue
        if text is None or (isinstance(text, float) and math.isnan(text)):
            kind = "None" if text is None else "NaN"
            raise ValueError(f"{name}[{i}] is {kind}; every item of {name} must be a string.")
        raise TypeError(f"{name}[{i}] is of type {type(text).__name__}; every item of "
                        f"{name} must be a string.")
    for i, text in enumerate(texts):
        if not text.isascii():
            _check_encodable(text, f"{name}[{i}]")
    return [str(text) for text in texts]


def _check_encodable(text, where):
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise ValueError(
            f"{where} is not valid Unicode: it holds the lone surrogate "
            f"{text[error.start]!r} at character {error.start} (often a sign of bytes "
            "that were not UTF-8). Fix the text, or replace such characters with "
            "text.encode('utf-8', 'replace').decode('utf-8').") from None


def check_device(device):
    """The concrete torch device that ``device`` names, or a ValueError saying why not.

    Parameters
    ----------
    device : str, torch.device or None
        ``"auto"`` (or None) is CUDA when available, else the CPU.

    Returns
    -------
    str

    Examples
    --------
    >>> from skemo.utils._validation import check_device
    >>> check_device("cpu")
    'cpu'
    >>> check_device("tpu")
    Traceback (most recent call last):
    ...
    ValueError: device='tpu' is not one of 'auto', 'cpu', 'cuda', 'cuda:N' and 'mps'.
    """
    resolved = resolve_device(device)
    unusable = ValueError(f"device={device!r} is not one of 'auto', 'cpu', 'cuda', "
                          "'cuda:N' and 'mps'.")
    try:
        kind = torch.device(resolved)
    except (RuntimeError, TypeError):
        raise unusable from None
    if kind.type not in ("cpu", "cuda", "mps"):
        raise unusable
    if kind.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"device={device!r} but CUDA is not available here (torch "
                             f"{torch.__version__}); use device='auto' or 'cpu'.")
        if kind.index is not None and kind.index >= torch.cuda.device_count():
            raise ValueError(f"device={device!r} but only {torch.cuda.device_count()} "
                             "CUDA device(s) exist.")
    elif kind.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"device={device!r} but MPS is not available here.")
    return resolved
