"""What the held-out validation split decides once training ends.

:class:`HeldOutMixin` runs the trained network once over the validation
texts and fits, from those scores: the temperatures that calibrate the
probabilities (:mod:`skemo.calibration`, as ``calibration`` says), then the
per-label thresholds on the calibrated probabilities
(:func:`skemo.thresholds.tune_thresholds`), and it warns when a label would
be predicted far more or less often than its training prevalence says.
"""

import warnings

import numpy as np

from skemo.calibration import (
    fit_temperatures,
    held_out_log_loss_gain,
    log_loss_of,
    scores_from_proba,
)
from skemo.thresholds import tune_thresholds
from skemo.utils._precision import tuning_precision

#: ``calibration="auto"`` keeps temperature scaling where it lowers the held-out
#: log-loss by at least this fraction.
MIN_CALIBRATION_GAIN = 0.01


class HeldOutMixin:
    """Calibration and thresholds from the validation split (see the module docstring)."""

    def _finish_fit(self, texts, Y):
        """After training: method hooks, then calibration and thresholds on the validation split."""
        self._on_fit_end()
        self.thresholds_ = self.temperatures_ = None
        if self.validation_indices_ is None:
            return
        valid = self.validation_indices_
        proba = self._predict_texts([texts[i] for i in valid], self.proba_from_output,
                                    precision=tuning_precision(self.precision, self.device_))
        self.temperatures_ = self._fit_temperatures(
            scores_from_proba(proba, self.multilabel_), Y[valid])
        if self.multilabel_:
            proba = self._calibrated(proba)
            self.thresholds_ = tune_thresholds(Y[valid], proba, default=0.5)
            self._check_predicted_rates(Y, proba)

    def _on_fit_end(self):
        """Hook for methods that cache state (e.g. label embeddings) after fit."""

    def _fit_temperatures(self, scores, Y_valid):
        """The temperatures ``calibration`` asks for on the validation scores, or None."""
        if self.calibration is None:
            return None
        if self.calibration == "auto":
            loss = log_loss_of(scores, Y_valid, self.multilabel_)
            gain = held_out_log_loss_gain(scores, Y_valid, multilabel=self.multilabel_,
                                          random_state=self.seed_)
            if not gain >= MIN_CALIBRATION_GAIN * loss:
                return None
        temperatures = fit_temperatures(scores, Y_valid, multilabel=self.multilabel_)
        return temperatures.astype(np.float32)

    def _check_predicted_rates(self, Y, proba_valid):
        """Warn when a label is predicted on the validation split far more (or less)
        often than its training prevalence says, at the thresholds ``predict`` applies."""
        valid = self.validation_indices_
        expected = np.delete(Y, valid, axis=0).mean(axis=0) * len(valid)
        predicted = self._decide(proba_valid, encoded=True).sum(axis=0)
        over = predicted > 3 * expected + 2
        under = (expected >= 5) & (predicted < expected / 3)
        if over.any() or under.any():
            names = [f"{self.label_names_[j]} ({predicted[j]} predicted, "
                     f"{expected[j]:.1f} expected)" for j in np.flatnonzero(over | under)]
            warnings.warn(
                f"{type(self).__name__}: on the {len(valid)} validation texts some labels "
                f"are predicted far more or less often than their training prevalence "
                f"says: {', '.join(names)}. Their thresholds may not hold on new texts; "
                "more labelled texts for them, or a float threshold, would help.",
                UserWarning, stacklevel=4)
