"""Evaluation report for emotion classifiers, built on scikit-learn metrics.

For single numbers use scikit-learn directly, e.g.
``sklearn.metrics.f1_score(y_true, y_pred, average="macro")`` for macro-F1.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike
from sklearn.metrics import classification_report, f1_score, jaccard_score
from sklearn.utils.multiclass import type_of_target

__all__ = ["emotion_report", "expected_calibration_error"]


def expected_calibration_error(y_true: ArrayLike, y_proba: ArrayLike, *,
                               n_bins: int = 15) -> float:
    """Expected calibration error (ECE) of predicted probabilities.

    Probabilities are grouped into ``n_bins`` equal-width bins over [0, 1];
    the ECE is the mean, weighted by bin size, of ``|accuracy - confidence|``
    per bin (Naeini et al., 2015; Guo et al., 2017, "On Calibration of
    Modern Neural Networks"). For multi-label input every (text, label)
    probability is one binary prediction, and the "accuracy" of a bin is the
    fraction of its cells whose label is present. For single-label input the
    confidence is each row's largest probability and its accuracy whether
    that class is the true one.

    Parameters
    ----------
    y_true : array-like of shape (n_samples, n_labels) or (n_samples,)
        Binary indicator matrix (multi-label), or the true class's column
        index in ``y_proba`` (single-label).
    y_proba : array-like of shape (n_samples, n_labels)
        Predicted probabilities.
    n_bins : int, default=15
        Number of equal-width probability bins.

    Returns
    -------
    float
        0 for perfectly calibrated probabilities; at most 1.

    Examples
    --------
    Predicted 0.8 four times, right three times: ``|0.75 - 0.8| = 0.05``.

    >>> from skemo.metrics import expected_calibration_error
    >>> round(expected_calibration_error([[1], [1], [1], [0]], [[.8], [.8], [.8], [.8]]), 3)
    0.05
    """
    y_true, y_proba = np.asarray(y_true), np.asarray(y_proba, dtype=float)
    if y_proba.ndim != 2 or len(y_true) != len(y_proba):
        raise ValueError(f"y_proba must be 2-D with one row per sample of y_true, got "
                         f"shapes {y_true.shape} and {y_proba.shape}.")
    if y_true.ndim == 2:
        if y_true.shape != y_proba.shape:
            raise ValueError(f"y_true and y_proba must have the same shape, got "
                             f"{y_true.shape} and {y_proba.shape}.")
        confidence, correct = y_proba.ravel(), y_true.ravel().astype(float)
    else:
        confidence = y_proba.max(axis=1)
        correct = (y_proba.argmax(axis=1) == y_true).astype(float)
    bins = np.minimum((confidence * n_bins).astype(int), n_bins - 1)
    counts = np.bincount(bins, minlength=n_bins)
    gap = np.abs(np.bincount(bins, correct, n_bins) - np.bincount(bins, confidence, n_bins))
    return float(gap.sum() / counts.sum())


def emotion_report(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    y_proba: ArrayLike | None = None,
    target_names: Sequence[str] | None = None,
    digits: int = 3,
    output_dict: bool = False,
    zero_division: float | str = 0,
) -> str | dict:
    """Report per-emotion precision, recall and F1, headed by macro-F1.

    Wraps :func:`sklearn.metrics.classification_report`. Macro-F1
    (:func:`sklearn.metrics.f1_score` with ``average="macro"``) comes first,
    since it weighs rare emotions as much as frequent ones. For multi-label
    (binary indicator) input, the samples-averaged Jaccard index
    (:func:`sklearn.metrics.jaccard_score` with ``average="samples"``) is
    added; single-label input gets the report unchanged, whose accuracy row
    already covers it.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_labels)
        True class labels, or binary indicator matrix of true labels.
    y_pred : array-like of shape (n_samples,) or (n_samples, n_labels)
        Predicted labels, in the same form as ``y_true``.
    y_proba : array-like of shape (n_samples, n_labels), default=None
        The predicted probabilities (``predict_proba``): when given, the
        report adds their expected calibration error
        (:func:`~skemo.metrics.expected_calibration_error`; single-label ``y_true`` must then
        hold column indices of ``y_proba``).
    target_names : list of str of shape (n_labels,), default=None
        Display names of the labels, in label order.
    digits : int, default=3
        Digits after the decimal point in the text report.
    output_dict : bool, default=False
        Return a dict instead of text.
    zero_division : {"warn", 0.0, 1.0} or np.nan, default=0
        Value of a precision, recall or F1 (and, for multi-label input, of a
        sample's Jaccard index) whose denominator is zero. ``np.nan`` is only
        accepted for single-label input, as
        :func:`~sklearn.metrics.jaccard_score` does not support it.

    Returns
    -------
    report : str or dict
        Text: a ``macro-F1: ...`` line, a blank line, the classification
        report and, for multi-label input, a closing
        ``jaccard (samples): ...`` line, and an ``ECE: ...`` line with
        ``y_proba``. Dict: the classification report's dict, plus a
        ``"jaccard_samples"`` entry for multi-label input and an ``"ece"``
        entry with ``y_proba``; the macro-F1 is ``report["macro avg"]["f1-score"]``.

    See Also
    --------
    sklearn.metrics.classification_report : The underlying per-label report.

    Examples
    --------
    >>> import numpy as np
    >>> from skemo.metrics import emotion_report
    >>> y_true = np.array([[1, 0], [0, 1], [1, 1], [0, 0]])
    >>> y_pred = np.array([[1, 0], [0, 0], [1, 1], [0, 1]])
    >>> print(emotion_report(y_true, y_pred, target_names=["joy", "anger"]))
    macro-F1: 0.750
    <BLANKLINE>
                  precision    recall  f1-score   support
    <BLANKLINE>
             joy      1.000     1.000     1.000         2
           anger      0.500     0.500     0.500         2
    <BLANKLINE>
       micro avg      0.750     0.750     0.750         4
       macro avg      0.750     0.750     0.750         4
    weighted avg      0.750     0.750     0.750         4
     samples avg      0.500     0.500     0.500         4
    <BLANKLINE>
    jaccard (samples): 0.500
    >>> report = emotion_report(y_true, y_pred, output_dict=True)
    >>> report["macro avg"]["f1-score"], report["jaccard_samples"]
    (0.75, 0.5)
    """
    report = classification_report(
        y_true,
        y_pred,
        target_names=target_names,
        digits=digits,
        output_dict=output_dict,
        zero_division=zero_division,
    )
    multilabel = type_of_target(y_true) == "multilabel-indicator"
    if multilabel:
        jaccard = jaccard_score(
            y_true, y_pred, average="samples", zero_division=zero_division
        )
    ece = None if y_proba is None else expected_calibration_error(y_true, y_proba)
    if output_dict:
        if multilabel:
            report["jaccard_samples"] = float(jaccard)
        if ece is not None:
            report["ece"] = ece
        return report
    macro_f1 = f1_score(y_true, y_pred, average="macro", zero_division=zero_division)
    lines = [f"macro-F1: {macro_f1:.{digits}f}", "", report.rstrip("\n")]
    if multilabel:
        lines += ["", f"jaccard (samples): {jaccard:.{digits}f}"]
    if ece is not None:
        lines += [f"ECE: {ece:.{digits}f}"]
    return "\n".join(lines)
