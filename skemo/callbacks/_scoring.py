"""Scores of a validation split, recorded in the history after each epoch."""

import numpy as np
from sklearn.metrics import f1_score

from skemo._estimator.prediction import decide
from skemo.thresholds import tune_thresholds


def validation_macro_f1(net, X, y):
    """Macro-F1 of ``net`` on the validation dataset ``X`` with targets ``y``.

    Multi-label nets are scored at their ``threshold`` when it is a number,
    and at thresholds tuned on this same split when it is ``"tuned"`` or ``"auto"``
    (an optimistic figure, used only to compare epochs).
    """
    proba = net.proba_from_output(net.forward(X))
    y = np.asarray(y)
    tuned = net.multilabel_ and net.threshold in ("tuned", "auto")
    thresholds = tune_thresholds(y, proba) if tuned else net.threshold
    pred = decide(proba, net.target_encoder_, thresholds, encoded=True)
    return f1_score(y, pred, average="macro", zero_division=0)


def prediction_confidence(proba, multilabel):
    """Mean confidence of the predictions behind probabilities ``proba``.

    Single-label: the mean over texts of the largest class probability.
    Multi-label: the mean over texts and labels of ``|2 p - 1|``, how far each
    yes/no decision is from a coin flip (0 at ``p = 0.5``, 1 at 0 or 1);
    unlike the mean probability of the predicted positives, it is defined
    when nothing is predicted and does not depend on the thresholds.

    Parameters
    ----------
    proba : array-like of shape (n_texts, n_labels)
        Predicted probabilities.
    multilabel : bool
        Whether the labels are independent (multi-label) or exclusive classes.

    Returns
    -------
    float
        In [0, 1].

    Examples
    --------
    >>> from skemo.callbacks import prediction_confidence
    >>> prediction_confidence([[0.9, 0.5], [0.0, 0.25]], multilabel=True)  # (0.8 + 0 + 1 + 0.5) / 4
    0.575
    >>> prediction_confidence([[0.75, 0.25], [0.5, 0.5]], multilabel=False)  # (0.75 + 0.5) / 2
    0.625
    """
    proba = np.asarray(proba, dtype=np.float64)
    if multilabel:
        return float(np.abs(2 * proba - 1).mean())
    return float(proba.max(axis=1).mean())


__all__ = ["prediction_confidence", "validation_macro_f1"]
