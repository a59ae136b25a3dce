"""Checkpoint selection on validation macro-F1 and confidence (CMHL's rule)."""

from copy import deepcopy
from numbers import Real

import numpy as np
from sklearn.utils._param_validation import Interval, validate_parameter_constraints
from skorch.callbacks import EpochScoring
from skorch.utils import to_numpy

from skemo.callbacks._scoring import prediction_confidence


class SelectCheckpoint(EpochScoring):
    """Keep the epoch with the best ``f1_weight · macro-F1 + confidence_weight · confidence``.

    After each epoch, the validation macro-F1 (the ``valid_f1_macro`` column
    that skemo estimators record) and the mean confidence of the validation
    predictions (:func:`prediction_confidence`, from skorch's cached
    validation forward pass: no extra inference) are combined into the
    history column ``name`` (with ``valid_confidence`` beside it). The best
    epoch's module weights (the best of each ``fit`` or ``partial_fit``
    call) are kept in memory and loaded when training ends, after skemo's
    own early stopping has restored its best-F1 epoch, so this selection is
    the one that stands. That early stopping still stops on macro-F1
    (``patience``); pass ``patience=None`` to select among all
    ``max_epochs`` epochs.

    Parameters
    ----------
    f1_weight : float, default=0.7
        Weight of the validation macro-F1 in the combined score.
    confidence_weight : float, default=0.3
        Weight of the validation predictions' confidence
        (:func:`~skemo.callbacks.prediction_confidence`) in the combined score.
    name : str, default="valid_selection_score"
        History column of the combined score (``name + "_best"`` marks the
        improving epochs).

    Attributes
    ----------
    best_epoch_ : int
        Epoch whose weights were (or will be) restored.
    best_model_weights_ : dict
        Its ``module_.state_dict()``.

    Notes
    -----
    Needs a validation split (``validation_fraction``). With
    ``threshold="tuned"`` the macro-F1 is that of thresholds tuned on the
    validation split itself, as for early stopping.

    References
    ----------
    The checkpoint selection of M. Elgabry et al., "CMHL: Contrastive
    Multi-Head Learning for Emotionally Consistent Text Classification"
    (section 3.2.5).

    Examples
    --------
    >>> from skemo import FineTunedEmotionClassifier, SelectCheckpoint
    >>> clf = FineTunedEmotionClassifier(max_epochs=5, patience=None,
    ...                                  callbacks=[SelectCheckpoint()])
    >>> clf.fit(texts, y).history[:, "valid_selection_score"]  # doctest: +SKIP
    """

    # EpochScoring settings, fixed (class attributes keep them out of get_params).
    lower_is_better = False
    on_train = False
    use_caching = True
    target_extractor = staticmethod(to_numpy)

    _parameter_constraints = {
        "f1_weight": [Interval(Real, 0, None, closed="left")],
        "confidence_weight": [Interval(Real, 0, None, closed="left")],
        "name": [str],
    }

    def __init__(
        self, f1_weight=0.7, confidence_weight=0.3, name="valid_selection_score"
    ):
        self.f1_weight = f1_weight
        self.confidence_weight = confidence_weight
        self.name = name

    @property
    def scoring(self):
        return self._selection_score

    def initialize(self):
        validate_parameter_constraints(
            self._parameter_constraints,
            self.get_params(deep=False),
            caller_name=type(self).__name__,
        )
        return super().initialize()

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        super().on_train_begin(net, X=X, y=y, **kwargs)
        # Select within this fit/partial_fit call, as early stopping does: the
        # weights of earlier calls are gone.
        self.best_score_ = -np.inf
        self.best_epoch_ = None
        self.best_model_weights_ = None

    def on_epoch_begin(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        if dataset_valid is None:
            raise ValueError(
                "SelectCheckpoint scores the validation split, and there is "
                "none: set validation_fraction (e.g. 0.1)."
            )
        super().on_epoch_begin(
            net, dataset_train=dataset_train, dataset_valid=dataset_valid, **kwargs
        )

    def _selection_score(self, net, X, y):
        row = net.history[-1]
        if "valid_f1_macro" not in row:
            raise ValueError(
                "SelectCheckpoint needs the valid_f1_macro history column "
                "that skemo estimators record on their validation split."
            )
        proba = net.proba_from_output(net.forward(X))
        confidence = prediction_confidence(proba, net.multilabel_)
        net.history.record("valid_confidence", confidence)
        return (
            self.f1_weight * row["valid_f1_macro"] + self.confidence_weight * confidence
        )

    def on_epoch_end(self, net, **kwargs):
        super().on_epoch_end(net, **kwargs)
        if net.history[-1, f"{self.name_}_best"]:
            self.best_epoch_ = net.history[-1, "epoch"]
            self.best_model_weights_ = deepcopy(net.module_.state_dict())

    def checkpoint_state(self):
        """The best score, epoch and weights so far, for a resumed fit.

        Written and restored by :class:`EpochCheckpoint`.
        """
        return {
            "best_score_": float(self.best_score_),
            "best_epoch_": self.best_epoch_,
            "weights": self.best_model_weights_,
        }

    def load_checkpoint_state(self, state):
        """Take back the state of :meth:`checkpoint_state`."""
        self.best_score_ = state["best_score_"]
        self.best_epoch_ = state["best_epoch_"]
        self.best_model_weights_ = state["weights"]

    def on_train_end(self, net, **kwargs):
        super().on_train_end(net, **kwargs)
        # Loaded even when the best epoch is the last one: early stopping, which
        # runs first, may have loaded the weights of another epoch.
        if self.best_model_weights_ is not None:
            net.module_.load_state_dict(self.best_model_weights_)
            if net.verbose:
                print(
                    f"Restoring the epoch with the best {self.name_}: {self.best_epoch_}."
                )


__all__ = ["SelectCheckpoint"]
