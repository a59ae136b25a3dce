"""skorch callbacks that skemo estimators train with.

- :class:`LinearWarmupDecay`: the learning rate rises linearly over the first
  ``warmup_ratio`` of the optimisation steps, then decays linearly to zero
  (``transformers.get_linear_schedule_with_warmup``), stepped every batch.
- :func:`validation_macro_f1`: the scoring function behind the
  ``valid_f1_macro`` column of the history, which early stopping monitors.
- :class:`EpochCheckpoint` and :func:`restore_last_checkpoint`: crash-safe
  checkpoints and resumable fits (``checkpoint_dir=``).
- :class:`SelectCheckpoint`: checkpoint selection on validation macro-F1 and
  confidence (CMHL's rule), usable by every estimator.

Checkpoints
-----------
After every epoch the estimator is written to ``<checkpoint_dir>/last`` and,
when the epoch improved validation macro-F1 (or every epoch without a
validation split), to ``<checkpoint_dir>/best``. Each write goes to a
temporary directory first and is then renamed into place, so a process
killed at any moment leaves the previous complete checkpoint behind and
loses at most the epoch that was running.

Both directories are ordinary skemo saves (:func:`skemo.load` reads them);
``last`` also holds the optimizer state and the training history, from
which ``fit`` resumes: calling ``fit`` again with the same ``checkpoint_dir``
restores the weights, optimizer and history of the last finished epoch and
trains only the remaining ``max_epochs - n_done`` epochs.

Checkpoint selection
--------------------
:class:`SelectCheckpoint` scores the validation split after each epoch with

``selection = f1_weight · macro-F1 + confidence_weight · mean confidence``

(0.7 and 0.3 in the CMHL paper), records it in the history, and at the end
of training restores the weights of the epoch that scored best.
"""

import json
import math
import os
import shutil
import uuid
import warnings
from copy import deepcopy
from numbers import Real
from pathlib import Path

import numpy as np
import torch
from skorch.callbacks import Callback, EpochScoring
from skorch.history import History
from skorch.utils import to_numpy
from sklearn.metrics import f1_score
from sklearn.utils._param_validation import Interval, validate_parameter_constraints

from skemo.persistence import save_estimator
from skemo.thresholds import apply_thresholds, tune_thresholds

#: Files a ``last`` checkpoint holds beyond an ordinary save.
OPTIMIZER_FILE = "optimizer.pt"
HISTORY_FILE = "history.json"


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


def _write_atomically(path, write):
    """Call ``write(tmp_dir)`` and rename the finished directory onto ``path``."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{uuid.uuid4().hex[:8]}")
    write(tmp)
    old = path.with_name(f".{path.name}.old-{uuid.uuid4().hex[:8]}")
    if path.exists():
        os.replace(path, old)
    os.replace(tmp, path)
    shutil.rmtree(old, ignore_errors=True)


class EpochCheckpoint(Callback):
    """Write ``last`` (every epoch) and ``best`` (improved epochs) checkpoints.

    Parameters
    ----------
    directory : str or path-like
    monitor : str or None, default="valid_f1_macro_best"
        History key that is True on improved epochs; None treats every epoch
        as an improvement.

    Examples
    --------
    >>> from skemo.callbacks import EpochCheckpoint
    >>> EpochCheckpoint("ckpt").monitor
    'valid_f1_macro_best'
    """

    def __init__(self, directory, monitor="valid_f1_macro_best"):
        self.directory = directory
        self.monitor = monitor

    def on_epoch_end(self, net, **kwargs):
        directory = Path(self.directory)
        directory.mkdir(parents=True, exist_ok=True)

        def write_last(tmp):
            save_estimator(net, tmp)
            torch.save(net.optimizer_.state_dict(), tmp / OPTIMIZER_FILE)
            (tmp / HISTORY_FILE).write_text(json.dumps(net.history.to_list(), default=float))

        _write_atomically(directory / "last", write_last)
        improved = self.monitor is None or net.history[-1].get(self.monitor, False)
        if improved:
            _write_atomically(directory / "best", lambda tmp: save_estimator(net, tmp))


def restore_last_checkpoint(net, directory):
    """Load weights, optimizer state and history of ``<directory>/last`` into ``net``.

    Returns
    -------
    int
        The number of finished epochs restored (0 when there is no checkpoint).
    """
    from safetensors.torch import load_model

    last = Path(directory) / "last"
    if not (last / HISTORY_FILE).is_file():
        return 0
    meta = json.loads((last / "skemo.json").read_text())
    if meta["class"] != type(net).__name__ or meta["target"]["label_names"] != list(
            net.label_names_):
        raise ValueError(f"the checkpoint in {last} was written by a different estimator "
                         "or label set; use another checkpoint_dir or delete it.")
    load_model(net.module_, str(last / "model.safetensors"), strict=True, device=net.device_)
    net.optimizer_.load_state_dict(
        torch.load(last / OPTIMIZER_FILE, map_location=net.device_, weights_only=True))
    net.history_ = History(json.loads((last / HISTORY_FILE).read_text()))
    return len(net.history_)


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
    multilabel : bool

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
    confidence_weight : float, default=0.3
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

    def __init__(self, f1_weight=0.7, confidence_weight=0.3, name="valid_selection_score"):
        self.f1_weight = f1_weight
        self.confidence_weight = confidence_weight
        self.name = name

    @property
    def scoring(self):
        return self._selection_score

    def initialize(self):
        validate_parameter_constraints(self._parameter_constraints,
                                       self.get_params(deep=False),
                                       caller_name=type(self).__name__)
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
            raise ValueError("SelectCheckpoint scores the validation split, and there is "
                             "none: set validation_fraction (e.g. 0.1).")
        super().on_epoch_begin(net, dataset_train=dataset_train,
                               dataset_valid=dataset_valid, **kwargs)

    def _selection_score(self, net, X, y):
        row = net.history[-1]
        if "valid_f1_macro" not in row:
            raise ValueError("SelectCheckpoint needs the valid_f1_macro history column "
                             "that skemo estimators record on their validation split.")
        proba = net.proba_from_output(net.forward(X))
        confidence = prediction_confidence(proba, net.multilabel_)
        net.history.record("valid_confidence", confidence)
        return self.f1_weight * row["valid_f1_macro"] + self.confidence_weight * confidence

    def on_epoch_end(self, net, **kwargs):
        super().on_epoch_end(net, **kwargs)
        if net.history[-1, f"{self.name_}_best"]:
            self.best_epoch_ = net.history[-1, "epoch"]
            self.best_model_weights_ = deepcopy(net.module_.state_dict())

    def on_train_end(self, net, **kwargs):
        super().on_train_end(net, **kwargs)
        # Loaded even when the best epoch is the last one: early stopping, which
        # runs first, may have loaded the weights of another epoch.
        if self.best_model_weights_ is not None:
            net.module_.load_state_dict(self.best_model_weights_)
            if net.verbose:
                print(f"Restoring the epoch with the best {self.name_}: {self.best_epoch_}.")


__all__ = [
    "EpochCheckpoint",
    "LinearWarmupDecay",
    "SelectCheckpoint",
    "prediction_confidence",
    "restore_last_checkpoint",
    "validation_macro_f1",
]
