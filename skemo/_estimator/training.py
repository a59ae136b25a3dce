"""Training: ``fit``, ``partial_fit`` and resuming, on skorch's training loop.

:class:`TrainingMixin` holds what a fit adds to skorch's loop: the targets
encoded (:class:`~skemo.utils._targets.TargetConverter`) and the label
prior in the logits' bias, the validation split, the loss and AdamW's
parameter groups, the fp16 gradient scaler, the default callbacks (warmup
schedule, validation macro-F1, checkpoints, early stopping), the epochs a
fit plans (``max_epochs="auto"``), and resuming from ``checkpoint_dir``.
What the validation split decides at the end (``_finish_fit``) is in
``held_out``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
from numpy.typing import ArrayLike
from skorch import NeuralNet
from skorch.callbacks import EarlyStopping, EpochScoring, ProgressBar
from skorch.dataset import unpack_data
from skorch.utils import noop, to_tensor

from skemo.callbacks import (
    EpochCheckpoint,
    LinearWarmupDecay,
    fit_fingerprint,
    restore_last_checkpoint,
    validation_macro_f1,
)
from skemo.model_selection import validation_split
from skemo.utils._class_weights import balanced_label_weights, prior_logits
from skemo.utils._precision import autocast_dtype
from skemo.utils._targets import TargetConverter, as_targets
from skemo.utils._validation import check_texts
from skemo.utils._warnings import warn_once_per_message

if TYPE_CHECKING:
    from skemo.base import EmotionClassifierBase

#: Learning rate of the scalars a module lists in ``calibration_parameters()``
#: (probability offsets): they must move by whole units, which the encoder's
#: learning rate would take thousands of steps to do.
CALIBRATION_LR = 0.01

#: ``max_epochs="auto"`` trains at least this many optimiser steps...
AUTO_MIN_STEPS = 300
#: ... in at least this many epochs...
AUTO_MIN_EPOCHS = 3
#: ... and at most this many.
AUTO_MAX_EPOCHS = 100
#: A validation split of fewer texts selects no epoch (too noisy to pick from).
MIN_SELECTION_TEXTS = 100
#: ``lr="auto"``: the encoder's peak learning rate where 3 epochs reach
#: :data:`AUTO_MIN_STEPS` steps...
AUTO_LR = 5e-5
#: ... and where the step budget sets the epochs (small data).
AUTO_SMALL_DATA_LR = 1e-4


class TrainingMixin:
    """Fitting an estimator (see the module docstring)."""

    def fit(self, X: Sequence[str], y: ArrayLike, **fit_params) -> EmotionClassifierBase:
        """Fit the model on texts ``X`` and targets ``y``.

        Parameters
        ----------
        X : sequence of str
            The texts, one string each.
        y : indicator matrix (n, L), list of label lists, or 1-D labels
            The targets, one per text; ``predict`` answers in the same kind
            (:doc:`/user_guide/targets`).
        **fit_params
            Passed to skorch (and on to the module's forward).

        Returns
        -------
        self

        Raises
        ------
        KeyboardInterrupt
            When training is interrupted (Ctrl-C), after the callbacks'
            end of training (early stopping restores its best epoch so far;
            checkpoints of finished epochs stay, so ``fit`` resumes). The
            estimator keeps the weights it has, with ``interrupted_ = True``
            and no tuned thresholds, so that a script cannot go on to save
            a half-trained model as if it were finished.
        """
        self._check_parameters()
        reset = not (self.warm_start and self.initialized_)
        texts, Y = self._prepare_fit_data(X, y, reset=reset)
        self._plan_epochs(len(texts))
        self.resumed_epochs_ = 0
        self.validation_indices_ = None  # set by get_split_datasets when training runs
        checkpoints = reset and self.checkpoint_dir is not None
        self.fit_fingerprint_ = fit_fingerprint(self, texts, Y) if checkpoints else None
        self.checkpoint_path_ = (Path(self.checkpoint_dir) / self.fit_fingerprint_
                                 if checkpoints else None)
        if reset:
            self.initialize()
            self._initialize_label_bias(Y)
            if checkpoints:
                self.resumed_epochs_ = restore_last_checkpoint(self, self.checkpoint_path_)
        epochs = self.n_epochs_ - self.resumed_epochs_
        if epochs > 0 or self.resumed_epochs_:  # resumed: callbacks restore the best epoch
            self._train(texts, Y, _routing_method="fit", epochs=epochs, **fit_params)
        self._finish_fit(texts, Y)
        return self

    def partial_fit(self, X, y, classes=None, **fit_params):
        """Continue training for ``max_epochs`` epochs (initialising on first call;
        ``"auto"`` epochs as :meth:`fit` plans them).

        Returns
        -------
        self
        """
        self._check_parameters()
        first = not self.initialized_
        texts, Y = self._prepare_fit_data(X, y, reset=first)
        self._plan_epochs(len(texts))
        self.resumed_epochs_ = 0
        self.fit_fingerprint_ = self.checkpoint_path_ = None  # checkpoints belong to fit
        if first:
            self.initialize()
            self._initialize_label_bias(Y)
        self._train(texts, Y, epochs=self.n_epochs_, **fit_params)
        self._finish_fit(texts, Y)
        return self

    def _plan_epochs(self, n_texts):
        """Set ``n_epochs_`` and ``lr_`` (the parameters, or their ``"auto"`` values)
        and ``selects_epoch_``.

        ``selects_epoch_`` is False where the validation split is too small
        to pick an epoch from (fewer than :data:`MIN_SELECTION_TEXTS` texts):
        the fit then keeps its last epoch, and says so.
        """
        fraction = self.validation_fraction
        n_valid = math.ceil(fraction * n_texts) if fraction else 0
        self.selects_epoch_ = n_valid >= MIN_SELECTION_TEXTS
        steps = max(1, math.ceil((n_texts - n_valid) / self.batch_size))
        budget_epochs = math.ceil(AUTO_MIN_STEPS / steps)
        if self.max_epochs != "auto":
            self.n_epochs_ = self.max_epochs
        else:
            self.n_epochs_ = min(AUTO_MAX_EPOCHS, max(AUTO_MIN_EPOCHS, budget_epochs))
        if self.lr != "auto":
            self.lr_ = self.lr
        else:  # the budget, not the 3-epoch floor, sets the epochs: small data
            self.lr_ = AUTO_SMALL_DATA_LR if budget_epochs > AUTO_MIN_EPOCHS else AUTO_LR
        if n_valid and not self.selects_epoch_ and self.n_epochs_ > 1:
            warn_once_per_message(  # once, not once per fold of a cross-validation
                f"{type(self).__name__}: the validation split holds {n_valid} texts, too "
                f"few to select the best epoch (fewer than {MIN_SELECTION_TEXTS}); the fit "
                f"trains all {self.n_epochs_} epochs and keeps the last. The split still "
                "calibrates the probabilities and tunes the thresholds, which stay near "
                "the pooled ones where a label has few validation positives.",
                stacklevel=3)

    def _train(self, texts, Y, **kwargs):
        """skorch's training, re-raising a KeyboardInterrupt that early stopping did not raise."""
        self.interrupted_ = False
        self.temperatures_ = None  # probabilities uncalibrated until the fit ends
        # An object array, not a list: skorch would index into the texts' characters.
        NeuralNet.partial_fit(self, np.asarray(texts, dtype=object), Y, **kwargs)
        if self.interrupted_:
            self.thresholds_ = None
            raise KeyboardInterrupt(f"{type(self).__name__}.fit was interrupted after "
                                    f"{len(self.history_)} epoch(s); the model is not "
                                    "fully trained.")

    def fit_loop(self, X, y=None, epochs=None, **kwargs):
        try:
            return super().fit_loop(X, y, epochs=epochs, **kwargs)
        except KeyboardInterrupt:
            stopped = any(isinstance(cb, EarlyStopping) and cb.misses_ >= cb.patience
                          for _, cb in self.callbacks_)
            self.interrupted_ = not stopped
            raise

    def _prepare_fit_data(self, X, y, reset):
        texts = check_texts(X)
        if y is None:
            raise ValueError("y is required: skemo estimators are supervised.")
        y = as_targets(y)
        n_rows = y.shape[0] if hasattr(y, "shape") else len(y)
        if n_rows != len(texts):
            raise ValueError(f"X has {len(texts)} texts but y has {n_rows} rows.")
        if reset:
            self.target_encoder_ = self._target_encoding(y)
            self.classes_ = self.target_encoder_.classes_
            self.label_names_ = self.target_encoder_.label_names_
            self.multilabel_ = self.target_encoder_.multilabel
        Y = self.target_encoder_.transform(y)
        if reset:
            balanced = self.class_weight == "balanced"
            self.target_encoder_.check_label_support(Y, require_positives=balanced)
            self.label_weights_ = (balanced_label_weights(Y, len(self.classes_),
                                                          self.multilabel_)
                                   if balanced else None)
        return texts, Y

    def _target_encoding(self, y):
        """The encoding of the targets of a fit from its start: fitted on ``y``."""
        return TargetConverter(self.label_names).fit(y)

    def _initialize_label_bias(self, Y):
        """Start the label logits' bias at the training prior (see ``prior_logits``).

        Modules whose label logits come from a linear layer expose its bias
        as ``label_bias()``; the loss then starts at the prior's entropy
        instead of spending the first epoch learning label frequencies.
        """
        bias = self.module_.label_bias()
        if bias is None:
            return
        prior = prior_logits(Y, len(self.classes_), self.multilabel_, self.label_weights_)
        with torch.no_grad():
            bias.copy_(torch.as_tensor(prior))

    # ------------------------------------------------------ loss and optimiser
    def initialize_criterion(self):
        weights = self.label_weights_
        kwargs = {
            "multilabel": self.multilabel_,
            "class_weight": None if weights is None else torch.as_tensor(weights),
            **self._criterion_kwargs(),
            **self.get_params_for("criterion"),
        }
        self.criterion_ = self.criterion(**kwargs).to(self.device_)
        return self

    def _criterion_kwargs(self):
        """Extra constructor arguments of ``criterion``."""
        return {}

    def get_loss(self, y_pred, y_true, X=None, training=False):
        return self.criterion_(y_pred, to_tensor(y_true, device=self.device_))

    def initialize_optimizer(self, triggered_directly=None):
        """AdamW over parameter groups: pretrained encoder at ``lr``, new
        parameters at ``head_lr``, calibration scalars at ``CALIBRATION_LR``;
        no weight decay on biases and normalisation weights.

        Adam and AdamW use torch's fused kernel (``fused=True``) unless
        ``optimizer__fused`` or ``optimizer__foreach`` is given: on CPU,
        torch's default is a Python loop over the parameters, which took ~9x
        as long per step over MiniLM's weights (``benchmarks/RESULTS.md``).
        """
        calibration = {id(p) for p in self.module_.calibration_parameters()}
        encoder = {id(p) for p in self.module_.encoder.parameters()}
        params = [p for _, p in self.get_all_learnable_params() if p.requires_grad]
        kwargs = self.get_params_for("optimizer")
        lr = kwargs.setdefault("lr", self._encoder_lr())
        decay = kwargs.pop("weight_decay", self.weight_decay)
        head_lr = lr if self.head_lr is None else self.head_lr
        adam = isinstance(self.optimizer, type) and issubclass(
            self.optimizer, (torch.optim.Adam, torch.optim.AdamW))
        if adam and not {"fused", "foreach"} & kwargs.keys():
            kwargs["fused"] = True
        groups = []
        for members, group_lr in ((lambda p: id(p) in encoder, lr),
                                  (lambda p: id(p) not in encoder | calibration, head_lr)):
            chosen = [p for p in params if members(p)]
            groups += [{"params": [p for p in chosen if p.ndim > 1], "weight_decay": decay,
                        "lr": group_lr},
                       {"params": [p for p in chosen if p.ndim <= 1], "weight_decay": 0.0,
                        "lr": group_lr}]
        groups.append({"params": [p for p in params if id(p) in calibration],
                       "weight_decay": 0.0, "lr": CALIBRATION_LR})
        self.optimizer_ = self.optimizer([g for g in groups if g["params"]], **kwargs)
        self.grad_scaler_ = self._make_grad_scaler()
        return self

    def set_params(self, **params):
        """Set parameters; ``lr`` on an initialised estimator rebuilds its optimiser.

        skorch would write a new ``lr`` into every parameter group, the heads'
        (``head_lr``) and the calibration scalars' included; skemo's groups
        keep their own rates, so the optimiser is built afresh instead (its
        moment estimates start again at the next ``partial_fit``).
        """
        if "lr" not in params or not self.initialized_:
            return super().set_params(**params)
        self.lr = params.pop("lr")
        super().set_params(**params)
        self.initialize_optimizer()
        return self

    def _encoder_lr(self):
        """``lr``, or the value a fit planned for ``"auto"`` (:data:`AUTO_LR` before one)."""
        if self.lr != "auto":
            return self.lr
        return getattr(self, "lr_", AUTO_LR)

    def _make_grad_scaler(self):
        """A gradient scaler for fp16 training (on CUDA), else None.

        float16 gradients underflow to zero without loss scaling; bfloat16 has
        float32's range and needs none.
        """
        if autocast_dtype(self.precision, self.device_) is not torch.float16:
            return None
        return torch.amp.GradScaler(torch.device(self.device_).type)

    def backward(self, loss):
        """``loss.backward()``, through the fp16 gradient scaler when there is one.

        Methods that add losses of their own to a training step call this
        rather than ``loss.backward()``.
        """
        scaler = getattr(self, "grad_scaler_", None)
        (loss if scaler is None else scaler.scale(loss)).backward()

    def train_step_single(self, batch, **fit_params):
        # skorch's step, with the backward pass through ``backward`` (loss scaling)
        self._set_training(True)
        Xi, yi = unpack_data(batch)
        y_pred = self.infer(Xi, **fit_params)
        loss = self.get_loss(y_pred, yi, X=Xi, training=True)
        self.backward(loss)
        return {"loss": loss, "y_pred": y_pred}

    def notify(self, method_name, **cb_kwargs):
        if method_name == "on_grad_computed" and getattr(self, "grad_scaler_", None):
            # callbacks (e.g. gradient clipping) see the true gradients
            for name in self._optimizers:
                self.grad_scaler_.unscale_(getattr(self, name + "_"))
        super().notify(method_name, **cb_kwargs)

    def _step_optimizer(self, step_fn):
        scaler = getattr(self, "grad_scaler_", None)
        if scaler is None:
            return super()._step_optimizer(step_fn)
        step_fn()  # gradients computed and unscaled; the scaler skips steps with inf/NaN
        for name in self._optimizers:
            scaler.step(getattr(self, name + "_"))
        scaler.update()

    # ------------------------------------------------------- callbacks and data
    def get_default_callbacks(self):
        callbacks = list(super().get_default_callbacks())
        callbacks.append(("lr_schedule", LinearWarmupDecay(self.warmup_ratio)))
        if self.verbose:
            callbacks.append(("progress_bar", ProgressBar()))
        if self.validation_fraction:
            callbacks.append(("valid_f1_macro", EpochScoring(
                validation_macro_f1, lower_is_better=False, name="valid_f1_macro")))
        selects = self.validation_fraction and getattr(self, "selects_epoch_", True)
        if self.checkpoint_dir is not None:
            callbacks.append(("checkpoint", EpochCheckpoint(
                getattr(self, "checkpoint_path_", None),
                monitor="valid_f1_macro_best" if selects else None)))
        if selects:
            callbacks.append(("early_stopping", EarlyStopping(
                monitor="valid_f1_macro", lower_is_better=False,
                patience=self.patience or 2**31, load_best=True,
                sink=print if self.verbose else noop)))
        return callbacks

    def initialize_callbacks(self):
        super().initialize_callbacks()
        # The checkpoint runs last, to record the other callbacks' state at epoch end.
        self.callbacks_ = sorted(self.callbacks_,
                                 key=lambda item: isinstance(item[1], EpochCheckpoint))
        return self

    def get_split_datasets(self, X, y=None, **fit_params):
        dataset = self.get_dataset(X, y)
        if not self.validation_fraction:
            self.validation_indices_ = None
            return dataset, None
        train, valid = validation_split(y, self.validation_fraction, self.seed_)
        valid = valid[np.argsort(dataset.lengths[valid], kind="stable")]
        self.validation_indices_ = valid
        return dataset.subset(train), dataset.subset(valid)
