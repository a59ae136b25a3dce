"""skorch callbacks that every skemo estimator trains with.

- :class:`LinearWarmupDecay`: the learning rate rises linearly over the first
  ``warmup_ratio`` of the optimisation steps, then decays linearly to zero
  (``transformers.get_linear_schedule_with_warmup``), stepped every batch.
- :func:`validation_macro_f1`: the scoring function behind the
  ``valid_f1_macro`` column of the history, which early stopping monitors.
"""

import math
import warnings

import numpy as np
from skorch.callbacks import Callback
from sklearn.metrics import f1_score

from .thresholds import apply_thresholds, tune_thresholds


class LinearWarmupDecay(Callback):
    """Linear warmup then linear decay of the learning rate, stepped per batch.

    The number of steps is known only once the training split exists, so the
    schedule is built at the first epoch of each ``fit`` (or ``partial_fit``);
    a fit resumed from a checkpoint continues the schedule where it stopped.

    Parameters
    ----------
    warmup_ratio : float
        Fraction of all training steps spent warming up.

    Examples
    --------
    >>> from skemo.callbacks import LinearWarmupDecay
    >>> LinearWarmupDecay(0.1).warmup_ratio
    0.1
    """

    def __init__(self, warmup_ratio=0.1):
        self.warmup_ratio = warmup_ratio

    def on_train_begin(self, net, **kwargs):
        self.scheduler_ = None

    def on_epoch_begin(self, net, dataset_train=None, **kwargs):
        if self.scheduler_ is not None:
            return
        from transformers import get_linear_schedule_with_warmup

        per_epoch = math.ceil(len(dataset_train) / net.batch_size)
        steps = net.max_epochs * per_epoch
        self.scheduler_ = get_linear_schedule_with_warmup(
            net.optimizer_, num_warmup_steps=int(self.warmup_ratio * steps),
            num_training_steps=max(steps, 1))
        with warnings.catch_warnings():  # resuming: replay the finished epochs' steps
            warnings.simplefilter("ignore", UserWarning)
            for _ in range(getattr(net, "resumed_epochs_", 0) * per_epoch):
                self.scheduler_.step()

    def on_batch_end(self, net, training=False, **kwargs):
        if training:
            self.scheduler_.step()


def validation_macro_f1(net, X, y):
    """Macro-F1 of ``net`` on the validation dataset ``X`` with targets ``y``.

    Multi-label nets are scored at their ``threshold`` when it is a number,
    and at thresholds tuned on this same split when it is ``"tuned"``
    (an optimistic figure, used only to compare epochs).
    """
    proba = net.proba_from_output(net.forward(X))
    y = np.asarray(y)
    if not net.multilabel_:
        return f1_score(y, proba.argmax(axis=1), average="macro", zero_division=0)
    if net.threshold == "tuned":
        thresholds = tune_thresholds(y, proba)
    else:
        thresholds = net.threshold
    return f1_score(y, apply_thresholds(proba, thresholds), average="macro",
                    zero_division=0)

