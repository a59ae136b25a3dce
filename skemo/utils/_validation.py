"""Checks of user input that fail early with a message naming the problem."""

import math
from collections.abc import Iterable


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
        If ``X`` is empty or an item is None/NaN.

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
    return [str(text) for text in texts]
