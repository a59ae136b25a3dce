"""Per-label decision thresholds for multi-label probabilities."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from sklearn.metrics import precision_recall_curve
from sklearn.utils import check_array

__all__ = ["apply_thresholds", "tune_thresholds"]


def tune_thresholds(y_true: ArrayLike, y_proba: ArrayLike, *, default: float = 0.5
                    ) -> np.ndarray:
    """Choose, label by label, the decision threshold that maximises F1.

    For each label, :func:`sklearn.metrics.precision_recall_curve` lists
    every distinct probability as a candidate threshold ``t`` (predict the
    label when ``proba >= t``) with its precision ``P`` and recall ``R``; the
    chosen threshold maximises ``F1 = 2 P R / (P + R)`` (0 where
    ``P + R = 0``). Ties go to the larger threshold, which predicts fewer
    false positives.

    Parameters
    ----------
    y_true : array-like of shape (n_samples, n_labels)
        Binary indicator matrix of the true labels.
    y_proba : array-like of shape (n_samples, n_labels)
        Predicted probability of each label.
    default : float, default=0.5
        Threshold kept for a label that cannot be tuned: one with no positive
        sample in ``y_true``, or whose probabilities are all equal.

    Returns
    -------
    thresholds : ndarray of shape (n_labels,), dtype float
        One threshold per label, for :func:`apply_thresholds`.

    Raises
    ------
    ValueError
        If either array is not 2-D, their shapes differ, ``y_true`` holds
        values other than 0 and 1, or ``y_proba`` is not finite.

    See Also
    --------
    apply_thresholds : Turn probabilities into labels with these thresholds.

    Notes
    -----
    Thresholds tuned on the training data overfit it; tune them on held-out
    data (see :func:`skemo.model_selection.validation_split`).

    Examples
    --------
    In the first label, ``proba >= 0.35`` finds both positives with one false
    positive (F1 = 0.8); every other cut scores lower. The second label has
    no positive, so it keeps the default.

    >>> import numpy as np
    >>> from skemo.thresholds import tune_thresholds
    >>> y_true = np.array([[0, 0], [0, 0], [1, 0], [1, 0]])
    >>> y_proba = np.array([[0.1, 0.2], [0.4, 0.9], [0.35, 0.1], [0.8, 0.3]])
    >>> tune_thresholds(y_true, y_proba)
    array([0.35, 0.5 ])
    """
    y_proba = _check_proba(y_proba)
    y_true = np.asarray(y_true)
    if y_true.shape != y_proba.shape:
        raise ValueError(
            f"y_true and y_proba must have the same shape, got {y_true.shape} "
            f"and {y_proba.shape}."
        )
    if not np.isin(y_true, (0, 1)).all():
        raise ValueError("y_true must be a binary indicator matrix of 0s and 1s.")
    thresholds = np.full(y_proba.shape[1], default, dtype=float)
    for label, (truth, proba) in enumerate(zip(y_true.T, y_proba.T)):
        if truth.any() and np.ptp(proba) > 0:
            thresholds[label] = _f1_optimal_threshold(truth, proba)
    return thresholds


def apply_thresholds(y_proba: ArrayLike, thresholds: float | ArrayLike) -> np.ndarray:
    """Predict each label whose probability reaches its threshold.

    Parameters
    ----------
    y_proba : array-like of shape (n_samples, n_labels)
        Predicted probability of each label.
    thresholds : float or array-like of shape (n_labels,)
        One threshold for all labels, or one per label.

    Returns
    -------
    y_pred : ndarray of shape (n_samples, n_labels), dtype int
        Binary indicator matrix, 1 where ``y_proba >= thresholds``.

    Raises
    ------
    ValueError
        If ``y_proba`` is not a finite 2-D array or ``thresholds`` is neither
        a scalar nor of shape (n_labels,).

    See Also
    --------
    tune_thresholds : Choose per-label thresholds that maximise F1.

    Examples
    --------
    >>> import numpy as np
    >>> from skemo.thresholds import apply_thresholds
    >>> y_proba = np.array([[0.1, 0.2], [0.4, 0.9], [0.35, 0.1]])
    >>> apply_thresholds(y_proba, [0.35, 0.5])
    array([[0, 0],
           [1, 1],
           [1, 0]])
    """
    y_proba = _check_proba(y_proba)
    thresholds = np.asarray(thresholds, dtype=float)
    if thresholds.ndim != 0 and thresholds.shape != (y_proba.shape[1],):
        raise ValueError(
            "thresholds must be a scalar or have shape (n_labels,) = "
            f"({y_proba.shape[1]},), got shape {thresholds.shape}."
        )
    return (y_proba >= thresholds).astype(int)


def _check_proba(y_proba):
    """Return ``y_proba`` as a finite 2-D float array, or raise ValueError."""
    y_proba = np.asarray(y_proba)
    if y_proba.ndim != 2:
        raise ValueError(
            "y_proba must be 2-D of shape (n_samples, n_labels), got shape "
            f"{y_proba.shape}."
        )
    return check_array(y_proba, dtype=float, input_name="y_proba")


def _f1_optimal_threshold(truth, proba):
    """Return the largest threshold of maximal F1 for one label."""
    precision, recall, thresholds = precision_recall_curve(truth, proba)
    # The curve's last point (P=1, R=0) has no threshold.
    precision, recall = precision[:-1], recall[:-1]
    denominator = precision + recall
    f1 = np.divide(
        2 * precision * recall,
        denominator,
        out=np.zeros_like(denominator),
        where=denominator > 0,
    )
    # Equal F1 values computed along different paths may differ in the last
    # bits, so ties are compared up to rounding.
    best = np.flatnonzero(np.isclose(f1, f1.max(), rtol=1e-12, atol=0))
    return thresholds[best[-1]]
