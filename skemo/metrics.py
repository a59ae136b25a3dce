"""Evaluation report for emotion classifiers, built on scikit-learn metrics.

For single numbers use scikit-learn directly, e.g.
``sklearn.metrics.f1_score(y_true, y_pred, average="macro")`` for macro-F1.
"""

from __future__ import annotations

from collections.abc import Sequence

from numpy.typing import ArrayLike
from sklearn.metrics import classification_report, f1_score, jaccard_score
from sklearn.utils.multiclass import type_of_target

__all__ = ["emotion_report"]


def emotion_report(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
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
        ``jaccard (samples): ...`` line. Dict: the classification report's
        dict, plus a ``"jaccard_samples"`` entry for multi-label input; the
        macro-F1 is ``report["macro avg"]["f1-score"]``.

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
    if output_dict:
        if multilabel:
            report["jaccard_samples"] = float(jaccard)
        return report
    macro_f1 = f1_score(y_true, y_pred, average="macro", zero_division=zero_division)
    lines = [f"macro-F1: {macro_f1:.{digits}f}", "", report.rstrip("\n")]
    if multilabel:
        lines += ["", f"jaccard (samples): {jaccard:.{digits}f}"]
    return "\n".join(lines)
