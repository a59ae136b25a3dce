"""Temperature scaling: probabilities that mean what they say, fitted on held-out scores.

A network trained with cross-entropy is often over- or under-confident: of
the texts given 0.8 for *joy*, far more or fewer than 80% express joy.
Temperature scaling (Guo et al., 2017, "On Calibration of Modern Neural
Networks") divides the label scores (logits) by a temperature ``T > 0``
chosen to minimise the log-loss on held-out data: it changes no ranking,
only how far the probabilities sit from 0.5 (or from uniform).

- **Single-label** (softmax): one temperature for all classes, as in Guo et al.
- **Multi-label** (independent sigmoids): one temperature per label, each
  shrunk toward the temperature pooled over all labels in proportion to
  its held-out positives -- ``log T_j = w_j log T_j' + (1 - w_j) log T``
  with ``w_j = n_j / (n_j + k)``, the rule :func:`skemo.thresholds.tune_thresholds`
  uses for thresholds -- so a label with no held-out positive takes the
  pooled temperature rather than one fitted to its negatives alone.

Estimators fit these on their validation split (``calibration="auto"``)
and apply them in ``predict_proba``; their thresholds are then tuned on the
calibrated probabilities.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import minimize_scalar
from scipy.special import log_expit, log_softmax

from skemo.thresholds import PRIOR_STRENGTH

__all__ = ["fit_temperatures", "held_out_log_loss_gain", "log_loss_of",
           "proba_from_scores", "rescale_proba_tensor", "scores_from_proba"]

#: Temperatures are searched in [exp(-LOG_T_BOUND), exp(LOG_T_BOUND)].
LOG_T_BOUND = 3.0


def _sigmoid_loss(scores, truth):
    """Mean binary log-loss of sigmoid(scores) against 0/1 ``truth``."""
    return -np.mean(truth * log_expit(scores) + (1 - truth) * log_expit(-scores))


def _softmax_loss(scores, classes):
    """Mean log-loss of softmax(scores) against the class indices ``classes``."""
    return -np.mean(log_softmax(scores, axis=1)[np.arange(len(classes)), classes])


def scores_from_proba(proba: ArrayLike, multilabel: bool) -> np.ndarray:
    """Label scores (logits) that give ``proba``: the inverse of :func:`proba_from_scores`.

    Sigmoid probabilities are clipped to [1e-7, 1 - 1e-7] (scores within
    about +-16, where float32 probabilities saturate); softmax ones give
    their logarithm, the logits up to a per-row constant.

    Examples
    --------
    >>> import numpy as np
    >>> from skemo.calibration import scores_from_proba
    >>> scores_from_proba(np.array([[0.5, 0.8807971]]), multilabel=True).round(4)
    array([[0., 2.]])
    """
    proba = np.asarray(proba, dtype=np.float64)
    if multilabel:
        proba = np.clip(proba, 1e-7, 1 - 1e-7)
        return np.log(proba) - np.log1p(-proba)
    return np.log(np.maximum(proba, np.finfo(np.float64).tiny))


def proba_from_scores(scores: ArrayLike, multilabel: bool) -> np.ndarray:
    """Sigmoid (multi-label) or softmax (single-label) probabilities of ``scores``."""
    scores = np.asarray(scores, dtype=np.float64)
    return np.exp(log_expit(scores) if multilabel else log_softmax(scores, axis=1))


def rescale_proba_tensor(proba, temperatures, multilabel):
    """``proba`` (a torch tensor) with its scores divided by ``temperatures``, differentiably.

    The torch form of ``proba_from_scores(scores_from_proba(proba) / temperatures)``,
    for gradients through calibrated probabilities (word attributions).

    Parameters
    ----------
    proba : torch.Tensor of shape (n_texts, n_labels)
        Probabilities, one row per text and one column per label.
    temperatures : array-like of shape (n_labels,)
        One positive temperature per label.
    multilabel : bool
        Whether each label is a yes/no question of its own (sigmoid) rather than one
        class of a distribution (softmax).

    Returns
    -------
    torch.Tensor

    Examples
    --------
    >>> import torch
    >>> from skemo.calibration import rescale_proba_tensor
    >>> rescale_proba_tensor(torch.tensor([[0.8807971]]), [2.0], True).round(decimals=4)
    tensor([[0.7311]])
    """
    proba64 = proba.double()
    temperatures = proba64.new_tensor(np.asarray(temperatures, dtype=np.float64))
    if multilabel:
        return (proba64.clamp(1e-7, 1 - 1e-7).logit() / temperatures).sigmoid().to(proba.dtype)
    scores = proba64.clamp_min(np.finfo(np.float64).tiny).log() / temperatures
    return scores.softmax(-1).to(proba.dtype)


def log_loss_of(scores: ArrayLike, y: ArrayLike, multilabel: bool) -> float:
    """Mean log-loss of ``scores`` (``y`` as for :func:`fit_temperatures`)."""
    scores, y = np.asarray(scores, dtype=np.float64), np.asarray(y)
    return _sigmoid_loss(scores, y) if multilabel else _softmax_loss(scores, y)


def _best_log_temperature(loss):
    """The log-temperature in [-LOG_T_BOUND, LOG_T_BOUND] minimising ``loss(scale)``."""
    result = minimize_scalar(lambda log_t: loss(np.exp(-log_t)),
                             bounds=(-LOG_T_BOUND, LOG_T_BOUND), method="bounded",
                             options={"xatol": 1e-4})
    return float(result.x)


def fit_temperatures(scores: ArrayLike, y: ArrayLike, *, multilabel: bool,
                     prior_strength: float = PRIOR_STRENGTH) -> np.ndarray:
    """Temperatures that minimise the held-out log-loss of ``scores``.

    Parameters
    ----------
    scores : array-like of shape (n_samples, n_labels)
        Label scores (logits) on held-out texts.
    y : array-like
        Binary indicator matrix of shape (n_samples, n_labels) when
        ``multilabel``, else the class index of each sample, shape (n_samples,).
    multilabel : bool
        Sigmoid per label (one temperature per label) or softmax (one in all).
    prior_strength : float, default=20
        Held-out positives that weigh as much as the pooled temperature.

    Returns
    -------
    ndarray of shape (n_labels,)
        Divide the scores by these before the sigmoid or softmax.

    Examples
    --------
    Scores twice too large: the held-out labels are as often right as
    sigmoid(score / 2) says, and the fitted temperature is close to 2.

    >>> import numpy as np
    >>> from skemo.calibration import fit_temperatures
    >>> rng = np.random.default_rng(0)
    >>> scores = rng.normal(0, 2, size=(20000, 1))
    >>> y = (rng.random((20000, 1)) < 1 / (1 + np.exp(-scores / 2))).astype(int)
    >>> fit_temperatures(scores, y, multilabel=True).round(1)
    array([2.])
    """
    scores = np.asarray(scores, dtype=np.float64)
    y = np.asarray(y)
    if not multilabel:
        log_t = _best_log_temperature(lambda scale: _softmax_loss(scores * scale, y))
        return np.full(scores.shape[1], np.exp(log_t))
    pooled = _best_log_temperature(lambda scale: _sigmoid_loss(scores * scale, y))
    log_t = np.full(scores.shape[1], pooled)
    for label, (column, truth) in enumerate(zip(scores.T, y.T)):
        positives = truth.sum()
        if 0 < positives < len(truth):
            own = _best_log_temperature(lambda scale: _sigmoid_loss(column * scale, truth))
            weight = positives / (positives + prior_strength)
            log_t[label] = weight * own + (1 - weight) * pooled
    return np.exp(log_t)


def held_out_log_loss_gain(scores: ArrayLike, y: ArrayLike, *, multilabel: bool,
                           random_state: int = 0) -> float:
    """How much temperature scaling lowers the log-loss of texts it was not fitted on.

    Two-fold cross-fitting over the held-out texts: temperatures fitted on
    one half are scored on the other, and the other way round. Positive
    when scaling helps; ``calibration="auto"`` keeps it only then.

    Parameters
    ----------
    scores, y, multilabel
        As for :func:`fit_temperatures`.
    random_state : int, default=0
        Seeds the split into halves.

    Returns
    -------
    float
        Mean log-loss without scaling minus mean log-loss with it.
    """
    scores, y = np.asarray(scores, dtype=np.float64), np.asarray(y)
    halves = np.array_split(np.random.default_rng(random_state).permutation(len(y)), 2)
    gain = 0.0
    for fit_rows, score_rows in (halves, halves[::-1]):
        temperatures = fit_temperatures(scores[fit_rows], y[fit_rows], multilabel=multilabel)
        gain += (log_loss_of(scores[score_rows], y[score_rows], multilabel)
                 - log_loss_of(scores[score_rows] / temperatures, y[score_rows], multilabel))
    return gain / 2
