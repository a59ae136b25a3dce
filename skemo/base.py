"""The base every skemo estimator stands on.

:class:`EmotionClassifierBase` *subclasses* :class:`skorch.NeuralNet` (rather
than wrapping one) so that an estimator is at once a scikit-learn classifier
and a skorch net: users keep skorch's training loop, history, callbacks,
``warm_start``/``partial_fit``, prefixed parameters (``optimizer__betas``,
``iterator_train__num_workers``, ``callbacks__print_log__...``) and mixins
such as ``AccelerateMixin``. Unlike skorch, a ``KeyboardInterrupt`` during
``fit`` is raised again once the callbacks have finished (see ``fit``).

What the base adds, once for all methods:

- text in: tokenisation in the data pipeline, length-bucketed training
  batches padded to their longest text, prediction over length-sorted texts;
- ``y`` of three kinds (indicator matrix, label lists, 1-D labels), mapped to
  ``classes_`` and back, so ``predict`` returns the kind of ``y`` it was fitted on;
- a validation split (multilabel-stratified) for early stopping on
  validation macro-F1, best-epoch restoring and per-label threshold tuning;
- AdamW (torch's fused kernel) with weight decay off for biases and norms, a linear warmup/decay
  schedule, ``device="auto"``, autocast ``precision``, repeatable
  ``random_state``, and safetensors persistence (:meth:`EmotionClassifierBase.save`);
- ``freeze_encoder``: train only the heads, on encoder embeddings computed
  once per fit, or once per text for many fits with ``cache_dir``
  (``skemo.utils._embedding_cache``).

A method is a subclass that sets two class attributes: ``module`` (an
:class:`torch.nn.Module` class built as ``module(encoder=TextEncoder,
n_labels=L, **module_kwargs)`` whose forward returns the label logits, or a
tuple whose first item they are) and ``criterion`` (its loss, called as
``criterion(output, target)``), plus ``_module_kwargs``/``_criterion_kwargs``
when they need more than the defaults.
"""

from __future__ import annotations

import contextlib
import copy
import math
import os
import warnings
from collections.abc import Sequence
from numbers import Integral, Real
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
from numpy.typing import ArrayLike
from sklearn.base import ClassifierMixin
from sklearn.metrics import f1_score
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import (
    Interval,
    StrOptions,
    validate_parameter_constraints,
)
from sklearn.utils.validation import check_is_fitted
from skorch import NeuralNet
from skorch.callbacks import EarlyStopping, EpochScoring, ProgressBar
from skorch.dataset import unpack_data
from skorch.utils import noop, to_tensor

from skemo._persistence_hooks import PretrainedMixin
from skemo.calibration import (
    fit_temperatures,
    held_out_log_loss_gain,
    log_loss_of,
    proba_from_scores,
    scores_from_proba,
)
from skemo.callbacks import (
    EpochCheckpoint,
    LinearWarmupDecay,
    fit_fingerprint,
    restore_last_checkpoint,
    validation_macro_f1,
)
from skemo.model_selection import validation_split
from skemo.nn import EmotionModule, LabelTextModel
from skemo.nn.encoder import (
    DEFAULT_ENCODER,
    POOLINGS,
    TextEncoder,
    add_lora,
    default_pooling,
    load_backbone,
    load_tokenizer,
)
from skemo.thresholds import apply_thresholds, tune_thresholds
from skemo.utils._class_weights import balanced_label_weights, prior_logits
from skemo.utils._docstring import inherit_parameters
from skemo.utils._embedding_cache import frozen_embeddings
from skemo.utils._precision import (
    PRECISIONS,
    autocast,
    autocast_dtype,
    int8_copy,
    quantizes,
    resolve_device,
    tuning_precision,
)
from skemo.utils._repr import estimator_repr
from skemo.utils._targets import TargetConverter, as_targets
from skemo.utils._text_data import (
    LengthBucketBatchSampler,
    PadCollator,
    TextDataset,
    tokenize_texts,
)
from skemo.utils._validation import check_device, check_texts
from skemo.utils.discovery import RegisteredMethod

if TYPE_CHECKING:
    from transformers import PretrainedConfig


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
#: A validation split of fewer texts does not select the best epoch (too noisy).
MIN_SELECTION_TEXTS = 100
#: ``calibration="auto"`` keeps temperature scaling when it lowers the held-out
#: log-loss by at least this fraction.
MIN_CALIBRATION_GAIN = 0.01

#: ``predict_proba`` shows a progress bar (when ``verbose``) from this many batches.
PROGRESS_MIN_BATCHES = 20


class EmotionClassifierBase(RegisteredMethod, PretrainedMixin, ClassifierMixin, NeuralNet):
    """Base class of skemo's text emotion classifiers (see the module docstring).

    Parameters
    ----------
    encoder : str, path-like or transformers.PretrainedConfig, default="all-MiniLM-L6-v2"
        The transformer encoder: the bundled offline MiniLM by default, any
        Hugging Face Hub name or local directory, or a config for a randomly
        initialised model.
    tokenizer : str, path-like or None, default=None
        Tokenizer to use instead of the encoder's own.
    pooling : {"auto", "mean", "cls", "max", "last"} or one with "+normalize", default="auto"
        How token states become one vector per text (``"+normalize"`` then
        scales it to unit length; see :func:`skemo.nn.pool`).
        ``"auto"`` follows the encoder: the mode a sentence-transformers
        checkpoint declares in its ``modules.json`` and ``1_Pooling/config.json``
        (``"mean"`` for the default MiniLM; its ``Normalize`` module is not
        applied, see :func:`skemo.nn.default_pooling`), else CLS for BERT-like
        encoders and the last token for decoders.
    max_length : int, default=128
        Texts are truncated to this many tokens (with a warning).
    batch_size : int, default=32
    lr : float, default=5e-5
        Peak learning rate of AdamW for the pretrained encoder.
    head_lr : float or None, default=1e-3
        Peak learning rate of the parameters that start from random
        initialisation (classification heads, projections); None uses ``lr``.
        Heads need far larger steps than pretrained weights: at ``lr`` they
        take most of a short fine-tune to leave their initial values.
    max_epochs : int or "auto", default="auto"
        Epochs of training. ``"auto"`` sizes them to the data: 3 epochs, or
        as many as it takes to reach :data:`AUTO_MIN_STEPS` optimiser steps
        (at most :data:`AUTO_MAX_EPOCHS`) -- 300 steps is 100 epochs of 100
        texts at batch 32, and 3 epochs from about 3,500 texts up. Few steps
        leave the new heads and the encoder undertrained on small data
        (Mosbach et al., 2021, "On the Stability of Fine-tuning BERT"). The
        epochs run are ``n_epochs_`` after ``fit``.
    weight_decay : float, default=0.01
        AdamW weight decay, not applied to biases and normalisation weights.
    warmup_ratio : float, default=0.1
        Fraction of training steps of linear warmup before linear decay.
    threshold : float, "tuned" or "auto", default="auto"
        Multi-label decision threshold on the probabilities. ``"tuned"`` uses
        per-label thresholds tuned for F1 on the validation split
        (``thresholds_``; each label's shrunk toward the pooled threshold in
        proportion to its validation positives, see
        :func:`skemo.thresholds.tune_thresholds`). ``"auto"`` is ``"tuned"``
        when the fit had a validation split and 0.5 otherwise. Read at
        prediction time, so it can be changed after ``fit``. Ignored for
        single-label targets (argmax).
    calibration : {"auto", "temperature"} or None, default="auto"
        Temperature scaling of the probabilities, fitted on the validation
        split after training (``temperatures_``; see :mod:`skemo.calibration`):
        ``"temperature"`` always, ``"auto"`` only where it lowers the
        log-loss of validation texts it was not fitted on (two-fold
        cross-fitting) by at least 1%, None never. Thresholds are tuned on
        the calibrated probabilities.
    class_weight : None or "balanced", default=None
        ``"balanced"`` weighs each label's positives by ``n_neg / n_pos``
        (multi-label) or each class by its inverse frequency (single-label).
        A multi-label ``y`` column with no positive example raises a
        ``ValueError`` with ``"balanced"`` (its weight would be infinite) and a
        ``UserWarning`` otherwise; a column positive for every text warns.
    validation_fraction : float or None, default=0.1
        Fraction of the fit data held out (multilabel-stratified) for early
        stopping, best-epoch selection, calibration and threshold tuning; None
        trains on all. A split of fewer than :data:`MIN_SELECTION_TEXTS` texts
        is too noisy to pick an epoch from: the fit then trains every epoch
        and keeps the last (with a warning), and uses the split only to
        calibrate and tune thresholds, which shrink toward safe values when
        they have little evidence.
    patience : int or None, default=2
        Epochs without validation macro-F1 improvement before stopping; None
        never stops early. The best epoch's weights are restored either way.
    label_names : sequence of str or None, default=None
        Names of the columns of an indicator ``y`` (or of integer class ids).
    checkpoint_dir : str, path-like or None, default=None
        Write crash-safe checkpoints after every epoch to
        ``checkpoint_dir/<fingerprint>/`` (``last/``, and ``best/`` for
        improved epochs), a directory of this fit's own: the fingerprint
        hashes the class, the parameters, the texts and the targets
        (:func:`skemo.callbacks.fit_fingerprint`). ``fit`` with the same data
        and parameters resumes from ``last/`` and ends with the model the
        uninterrupted fit would have; other fits (the folds of a
        cross-validation, a re-run on new data) start from scratch in their
        own directory. See :mod:`skemo.callbacks`.
    lora_r : int or None, default=None
        Rank of LoRA adapters on the encoder's linear layers (needs ``peft``);
        None fine-tunes all weights.
    lora_alpha : float, default=16
    lora_dropout : float, default=0.05
    freeze_encoder : bool, default=False
        Train only the heads and projections on top of a frozen encoder (no
        gradients, evaluation mode). Texts are then encoded once per fit --
        not once per epoch -- and batches carry their pooled embeddings
        (``skemo.utils._embedding_cache``); label texts are still encoded by the
        frozen encoder. The heads then train at ``head_lr``. Cannot be
        combined with ``lora_r``.
    cache_dir : str, path-like or None, default=None
        With ``freeze_encoder``, cache each text's embedding in this
        directory, keyed on the encoder's weights, pooling, precision and the
        text's token ids, so that fits sharing texts -- the folds and
        parameter points of a grid search -- encode each text only once
        (``skemo.utils._embedding_cache``). Unused without ``freeze_encoder``.
    device : str or None, default="auto"
        ``"auto"`` (or None) uses CUDA when available, else the CPU.
    precision : {"auto", "fp32", "bf16", "fp16", "int8"}, default="auto"
        Number type of forward passes (weights stay fp32): an autocast type,
        or ``"int8"``, which predicts with the encoder exported to onnxruntime
        with int8 weights (CPU only; built at the first prediction after the
        weights change; a fit in ``"int8"`` trains as ``"auto"``; its
        activations are quantised per batch, so a text's probabilities move
        slightly with the texts batched with it). ``"auto"`` is bf16 on GPUs;
        on CPUs it trains in fp32 and predicts with the int8 encoder, as
        ``"int8"`` (in fp32, with a warning, where the encoder cannot be
        exported); ``skemo.utils._precision`` gives the measurements behind this.
    random_state : int, RandomState or None, default=None
        Seeds weight initialisation, dropout, the validation split and batch
        order: equal seeds give equal models (bit-identical predictions) on
        CPU with the same torch build and thread count. On GPU, cuBLAS/cuDNN
        kernel selection and atomic adds in backward passes make two fits
        differ slightly even with equal seeds; call
        ``torch.use_deterministic_algorithms(True)`` (and set
        ``CUBLAS_WORKSPACE_CONFIG=:4096:8``) before ``fit`` for repeatable GPU
        runs, at some cost in speed. Note that ``random_state`` seeds torch's
        global generator when ``fit`` starts.
    verbose : int, default=0
        1 prints skorch's epoch table and shows progress bars for ``fit`` and
        for long ``predict_proba`` calls.
    **kwargs
        skorch parameters, e.g. ``callbacks``, ``warm_start``,
        ``optimizer__betas``, ``module__dropout``, ``iterator_train__num_workers``.

    Attributes
    ----------
    classes_ : ndarray
        The labels, in the column order of ``predict_proba``.
    label_names_ : list of str
        A readable name per label.
    multilabel_ : bool
        Whether the estimator was fitted on multi-label targets.
    thresholds_ : ndarray of shape (n_labels,) or None
        Per-label thresholds tuned on the validation split (multi-label with a
        validation split), used when ``threshold="tuned"``. Where ``precision``
        predicts with the int8 encoder they are tuned on float32 probabilities,
        whose decisions int8 reproduces more closely than thresholds tuned on
        its own batch-dependent ones.
    validation_indices_ : ndarray or None
        Positions in the fit data of the validation texts.
    module_ : torch.nn.Module
        The trained network.
    tokenizer_ : transformers.PreTrainedTokenizerBase
    history_ : skorch.History
        Per-epoch losses, validation macro-F1 and timings.
    """

    #: The method's registry key (``skemo.methods.METHODS``, ``skemo fit --method``):
    #: the name of the module that defines the estimator. None on base classes.
    method_key = None
    module = None
    criterion = None

    _parameter_constraints = {
        "pooling": [StrOptions({"auto", *POOLINGS})],
        "max_length": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "max_epochs": [Interval(Integral, 0, None, closed="left"), StrOptions({"auto"})],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "warmup_ratio": [Interval(Real, 0, 1, closed="both")],
        "head_lr": [None, Interval(Real, 0, None, closed="neither")],
        "threshold": [Interval(Real, 0, 1, closed="both"), StrOptions({"tuned", "auto"})],
        "calibration": [None, StrOptions({"auto", "temperature"})],
        "class_weight": [None, StrOptions({"balanced"})],
        "validation_fraction": [None, Interval(Real, 0, 1, closed="neither")],
        "patience": [None, Interval(Integral, 1, None, closed="left")],
        "checkpoint_dir": [None, str, os.PathLike],
        "lora_r": [None, Interval(Integral, 1, None, closed="left")],
        "lora_alpha": [Interval(Real, 0, None, closed="neither")],
        "lora_dropout": [Interval(Real, 0, 1, closed="left")],
        "freeze_encoder": ["boolean"],
        "cache_dir": [None, str, os.PathLike],
        "precision": [StrOptions(set(PRECISIONS))],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        encoder: str | os.PathLike | PretrainedConfig = DEFAULT_ENCODER,
        *,
        tokenizer: str | os.PathLike | None = None,
        pooling: str = "auto",
        max_length: int = 128,
        batch_size: int = 32,
        lr: float = 5e-5,
        head_lr: float | None = 1e-3,
        max_epochs: int | str = "auto",
        weight_decay: float = 0.01,
        warmup_ratio: float = 0.1,
        threshold: float | str = "auto",
        calibration: str | None = "auto",
        class_weight: str | None = None,
        validation_fraction: float | None = 0.1,
        patience: int | None = 2,
        label_names: Sequence[str] | None = None,
        checkpoint_dir: str | os.PathLike | None = None,
        lora_r: int | None = None,
        lora_alpha: float = 16,
        lora_dropout: float = 0.05,
        freeze_encoder: bool = False,
        cache_dir: str | os.PathLike | None = None,
        device: str | None = "auto",
        precision: str = "auto",
        random_state: int | np.random.RandomState | None = None,
        verbose: int = 0,
        **kwargs,
    ):
        self.encoder = encoder
        self.tokenizer = tokenizer
        self.pooling = pooling
        self.max_length = max_length
        self.head_lr = head_lr
        self.weight_decay = weight_decay
        self.warmup_ratio = warmup_ratio
        self.threshold = threshold
        self.calibration = calibration
        self.class_weight = class_weight
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.label_names = label_names
        self.checkpoint_dir = checkpoint_dir
        self.lora_r = lora_r
        self.lora_alpha = lora_alpha
        self.lora_dropout = lora_dropout
        self.freeze_encoder = freeze_encoder
        self.cache_dir = cache_dir
        self.precision = precision
        self.random_state = random_state
        kwargs.setdefault("module", type(self).module)
        kwargs.setdefault("criterion", type(self).criterion)
        kwargs.setdefault("optimizer", torch.optim.AdamW)
        kwargs.setdefault("train_split", None)
        super().__init__(lr=lr, max_epochs=max_epochs, batch_size=batch_size,
                         device=device, verbose=verbose, **kwargs)

    def __init_subclass__(cls, **kwargs):
        # Signature and docstring list the inherited parameters (skemo.utils._docstring).
        super().__init_subclass__(**kwargs)
        inherit_parameters(cls, root=EmotionClassifierBase)

    def __repr__(self):
        """The class and its non-default parameters, as scikit-learn shows estimators."""
        return estimator_repr(self)

    # ------------------------------------------------------------------ params
    def get_params(self, deep=True, **kwargs):
        params = super().get_params(deep=deep, **kwargs)
        params.pop("_params_to_validate", None)
        return params

    def _check_parameters(self):
        validate_parameter_constraints(
            self._parameter_constraints, self.get_params(deep=False),
            caller_name=type(self).__name__)
        if self.threshold == "tuned" and not self.validation_fraction:
            raise ValueError("threshold='tuned' needs a validation split to tune on; "
                             "set validation_fraction (e.g. 0.1) or a float threshold.")
        if self.freeze_encoder and self.lora_r is not None:
            raise ValueError("freeze_encoder=True trains no encoder weight, so it cannot "
                             "train LoRA adapters (lora_r); set one of them only.")
        self._check_overridden_skorch_params()
        check_device(self.device)

    #: skorch parameters that skemo sets itself, with what to use instead.
    _OVERRIDDEN_SKORCH_PARAMS = {
        "train_split": (None, "skemo holds out validation_fraction of the data itself "
                              "(multilabel-stratified); set validation_fraction instead"),
        "predict_nonlinearity": ("auto", "skemo turns scores into probabilities itself "
                                         "(sigmoid or softmax, as the targets are)"),
    }

    def _check_overridden_skorch_params(self):
        from skorch.dataset import Dataset

        for name, (default, instead) in self._OVERRIDDEN_SKORCH_PARAMS.items():
            if getattr(self, name) is not default and getattr(self, name) != default:
                raise ValueError(f"{type(self).__name__} does not use skorch's {name}: "
                                 f"{instead}.")
        if self.dataset is not Dataset:
            raise ValueError(f"{type(self).__name__} does not use skorch's dataset: it "
                             "builds its own text dataset (tokenised texts, padded "
                             "batches); override get_dataset to change it.")

    def _check_predict_parameters(self):
        """The parameters read at prediction time, checked again (set_params after fit)."""
        names = ("max_length", "batch_size", "precision", "threshold")
        validate_parameter_constraints(
            {name: self._parameter_constraints[name] for name in names},
            {name: getattr(self, name) for name in names}, caller_name=type(self).__name__)
        limit = getattr(self, "max_positions_", None)
        if limit is not None and self.max_length > limit:
            raise ValueError(f"max_length={self.max_length} exceeds the {limit} positions "
                             "of the encoder; set max_length to at most that.")

    # ------------------------------------------------------------ initialise
    @contextlib.contextmanager
    def _device_resolved(self):
        """Let skorch's own initialisation see the concrete device, not "auto"."""
        requested = self.device
        self.device = self.device_
        try:
            yield
        finally:
            self.device = requested

    def initialize(self):
        self._seed_and_place()
        with self._device_resolved():
            return super().initialize()

    def _seed_and_place(self):
        """Set ``device_`` and ``seed_`` and seed torch: the start of every initialisation."""
        self.device_ = self._resolve_device()
        self.seed_ = int(check_random_state(self.random_state).randint(2**31 - 1))
        torch.manual_seed(self.seed_)

    def _resolve_device(self):
        """The concrete device (``"cpu"``, ``"cuda"``...) that ``device`` stands for."""
        return resolve_device(self.device)

    def set_params(self, **kwargs):
        if not self.initialized_:
            return super().set_params(**kwargs)
        if "device" in kwargs:
            self.device_ = resolve_device(kwargs["device"])
        with self._device_resolved():
            super().set_params(**kwargs)
        if "device" in kwargs:
            self.device = kwargs["device"]
        return self

    def initialize_module(self):
        from transformers import PretrainedConfig

        # transformers sets attributes of a config it builds a model from: use a copy.
        encoder = (copy.deepcopy(self.encoder) if isinstance(self.encoder, PretrainedConfig)
                   else self.encoder)
        backbone = load_backbone(encoder)
        self.tokenizer_ = load_tokenizer(self.encoder, self.tokenizer)
        self.max_positions_ = self._position_limit(backbone.config)
        if self.max_positions_ is not None and self.max_length > self.max_positions_:
            raise ValueError(
                f"max_length={self.max_length} exceeds the {self.max_positions_} token "
                f"positions of the encoder ({backbone.config.model_type}); a longer text "
                "would crash it. Set max_length to at most that.")
        if len(self.tokenizer_) > backbone.config.vocab_size:
            raise ValueError(
                f"The tokenizer has {len(self.tokenizer_)} tokens but the encoder's "
                f"vocabulary holds only {backbone.config.vocab_size}; pass a matching "
                "`tokenizer`.")
        if self.lora_r is not None:
            backbone = add_lora(backbone, self.lora_r, self.lora_alpha, self.lora_dropout)
        pooling = (default_pooling(self.encoder, backbone.config)
                   if self.pooling == "auto" else self.pooling)
        encoder = TextEncoder(backbone, pooling, frozen=self.freeze_encoder)
        kwargs = {**self._module_kwargs(), **self.get_params_for("module")}
        module = self.module(encoder=encoder, n_labels=len(self.classes_), **kwargs)
        if not isinstance(module, EmotionModule):
            raise TypeError(f"{type(self).__name__}.module must build a "
                            f"skemo.nn.EmotionModule (the module protocol); "
                            f"{type(module).__name__} is not one.")
        self.module_ = module.to(self.device_)
        return self

    def _position_limit(self, config):
        """The most tokens the encoder and tokenizer take per text (None: no known limit)."""
        limits = [getattr(config, name, None)
                  for name in ("max_position_embeddings", "n_positions")]
        if config.model_type in ("roberta", "xlm-roberta", "camembert", "mpnet", "longformer"):
            # positions start after the padding index
            limits = [None if n is None else n - config.pad_token_id - 1 for n in limits]
        model_max = getattr(self.tokenizer_, "model_max_length", None)
        if model_max is not None and model_max < 10**6:  # transformers' "no limit" is 1e30
            limits.append(model_max)
        limits = [int(n) for n in limits if isinstance(n, int) and n > 0]
        return min(limits) if limits else None

    def _module_kwargs(self):
        """Extra constructor arguments of ``module`` (beyond encoder and n_labels)."""
        return {}

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
        lr = kwargs.setdefault("lr", self.lr)
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

    # ------------------------------------------------------------------ data
    #: Whether training steps read the token ids of their batches (e.g. to build
    #: auxiliary inputs from them). If so, ``freeze_encoder`` keeps token batches
    #: and runs the frozen encoder at every step instead of precomputing embeddings.
    needs_token_ids = False

    def get_dataset(self, X, y=None):
        if isinstance(X, TextDataset):
            return X
        input_ids = tokenize_texts(self.tokenizer_, X, self.max_length)
        encoder = self._text_encoder()
        if encoder is None or not encoder.frozen or self.needs_token_ids:
            return TextDataset(input_ids, y)
        embeddings = frozen_embeddings(
            encoder, input_ids, pad_token_id=self.tokenizer_.pad_token_id,
            device=self.device_, precision=self.precision, cache_dir=self.cache_dir)
        return TextDataset(embeddings, y, lengths=[len(row) for row in input_ids])

    def _text_encoder(self):
        """The module's :class:`~skemo.nn.encoder.TextEncoder` (also inside wrappers, e.g. DDP)."""
        return next((m for m in self.module_.modules() if isinstance(m, TextEncoder)), None)

    def get_split_datasets(self, X, y=None, **fit_params):
        dataset = self.get_dataset(X, y)
        if not self.validation_fraction:
            self.validation_indices_ = None
            return dataset, None
        train, valid = validation_split(y, self.validation_fraction, self.seed_)
        valid = valid[np.argsort(dataset.lengths[valid], kind="stable")]
        self.validation_indices_ = valid
        return dataset.subset(train), dataset.subset(valid)

    def get_iterator(self, dataset, training=False):
        prefix = "iterator_train" if training else "iterator_valid"
        kwargs = self.get_params_for(prefix)
        kwargs.setdefault("collate_fn", PadCollator(self.tokenizer_.pad_token_id))
        custom = {"batch_sampler", "sampler", "shuffle", "batch_size"} & set(kwargs)
        if training and not custom:
            kwargs["batch_sampler"] = LengthBucketBatchSampler(
                dataset.lengths, self.batch_size, seed=self.seed_, epoch=len(self.history_))
        else:
            kwargs.setdefault("batch_size", self.batch_size)
        return getattr(self, prefix)(dataset, **kwargs)

    # --------------------------------------------------------------- compute
    def infer(self, x, **fit_params):
        # attention_mask is None in batches of precomputed embeddings (freeze_encoder)
        x = {key: value if value is None else to_tensor(value, device=self.device_)
             for key, value in x.items()}
        with self._autocast():
            return self.module_(**x, **fit_params)

    def _autocast(self):
        """Autocast context of forward passes, as ``precision`` says (read at call time)."""
        return autocast(self.precision, self.device_)

    @contextlib.contextmanager
    def _prediction_module(self):
        """``module_`` as prediction runs it: the int8 copy where ``precision`` quantises."""
        encoder = self._text_encoder()
        if encoder is None or encoder.frozen or not quantizes(self.precision, self.device_):
            yield
            return
        module = self.module_.eval()
        try:
            int8 = int8_copy(module, encoder, self.tokenizer_)
        except Exception as error:  # torch.onnx or the quantiser refusing this encoder
            if self.precision == "auto":  # the default falls back to float32, and says so
                warnings.warn(f"precision='auto' predicts in float32: this encoder could not "
                              f"be exported to onnxruntime for int8 ({error}).", UserWarning,
                              stacklevel=4)
                yield
                return
            raise ValueError(f"precision='int8' could not export this encoder to "
                             f"onnxruntime ({error}); predict in 'bf16' or 'fp32'.") from error
        labels = contextlib.nullcontext()
        if isinstance(module, LabelTextModel):  # label embeddings stay float (and replaceable)
            with torch.inference_mode(), self._autocast():
                labels = int8.labels_replaced(module.label_embeddings())
        self.module_ = int8
        try:
            with labels:
                yield
        finally:
            self.module_ = module

    def get_loss(self, y_pred, y_true, X=None, training=False):
        return self.criterion_(y_pred, to_tensor(y_true, device=self.device_))

    @staticmethod
    def scores_from_output(output):
        """The label logits in a module output (a tensor, or a tuple's first item)."""
        return output[0] if isinstance(output, tuple) else output

    def proba_from_output(self, output):
        """Probabilities (numpy, float32) from a module output, calibrated where
        ``temperatures_`` is set."""
        scores = self.scores_from_output(output).float()
        temperatures = getattr(self, "temperatures_", None)
        if temperatures is not None:
            scores = scores / torch.as_tensor(temperatures, device=scores.device)
        proba = torch.sigmoid(scores) if self.multilabel_ else torch.softmax(scores, -1)
        return proba.cpu().numpy()

    # ------------------------------------------------------------------- fit
    def _prepare_fit_data(self, X, y, reset):
        texts = check_texts(X)
        if y is None:
            raise ValueError("y is required: skemo estimators are supervised.")
        y = as_targets(y)
        n_rows = y.shape[0] if hasattr(y, "shape") else len(y)
        if n_rows != len(texts):
            raise ValueError(f"X has {len(texts)} texts but y has {n_rows} rows.")
        if reset:
            self.target_encoder_ = TargetConverter(self.label_names).fit(y)
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

    def fit(self, X: Sequence[str], y: ArrayLike, **fit_params) -> EmotionClassifierBase:
        """Fit the model on texts ``X`` and targets ``y``.

        Parameters
        ----------
        X : sequence of str
        y : indicator matrix (n, L), list of label lists, or 1-D labels
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

    def _plan_epochs(self, n_texts):
        """Set ``n_epochs_`` (``max_epochs``, or the ``"auto"`` budget) and ``selects_epoch_``.

        ``selects_epoch_`` is False where the validation split is too small
        to pick an epoch from (fewer than :data:`MIN_SELECTION_TEXTS` texts):
        the fit then keeps its last epoch, and says so.
        """
        n_valid = math.ceil(self.validation_fraction * n_texts) if self.validation_fraction else 0
        self.selects_epoch_ = n_valid >= MIN_SELECTION_TEXTS
        if self.max_epochs != "auto":
            self.n_epochs_ = self.max_epochs
        else:
            steps = math.ceil((n_texts - n_valid) / self.batch_size)
            self.n_epochs_ = min(AUTO_MAX_EPOCHS,
                                 max(AUTO_MIN_EPOCHS, math.ceil(AUTO_MIN_STEPS / max(steps, 1))))
        if n_valid and not self.selects_epoch_ and self.n_epochs_ > 1:
            warnings.warn(
                f"{type(self).__name__}: the validation split holds {n_valid} texts, too "
                f"few to select the best epoch (fewer than {MIN_SELECTION_TEXTS}); the fit "
                f"trains all {self.n_epochs_} epochs and keeps the last. The split still "
                "calibrates the probabilities and tunes the thresholds, which stay near "
                "the pooled ones where a label has few validation positives.",
                UserWarning, stacklevel=3)

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

    def partial_fit(self, X, y, classes=None, **fit_params):
        """Continue training for ``max_epochs`` epochs (initialising on first call).

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

    def _finish_fit(self, texts, Y):
        """After training: method hooks, then calibration and thresholds on the validation split."""
        self._on_fit_end()
        self.thresholds_ = self.temperatures_ = None
        if self.validation_indices_ is None:
            return
        valid = self.validation_indices_
        with self._precision_set(tuning_precision(self.precision, self.device_)):
            proba = self.predict_proba([texts[i] for i in valid])
        scores = scores_from_proba(proba, self.multilabel_)
        self.temperatures_ = self._fit_temperatures(scores, Y[valid])
        if self.temperatures_ is not None:
            proba = proba_from_scores(scores / self.temperatures_, self.multilabel_)
        if self.multilabel_:
            self.thresholds_ = tune_thresholds(Y[valid], proba, default=0.5)
            self._check_predicted_rates(Y, proba)

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
        return fit_temperatures(scores, Y_valid, multilabel=self.multilabel_).astype(
            np.float32)

    def _check_predicted_rates(self, Y, proba_valid):
        """Warn when a label is predicted on the validation split far more (or less)
        often than its training prevalence says."""
        valid = self.validation_indices_
        expected = np.delete(Y, valid, axis=0).mean(axis=0) * len(valid)
        predicted = apply_thresholds(proba_valid, self.thresholds_).sum(axis=0)
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
                UserWarning, stacklevel=3)

    @contextlib.contextmanager
    def _precision_set(self, precision):
        """``precision`` set to ``precision`` for the length of the block."""
        saved, self.precision = self.precision, precision
        try:
            yield
        finally:
            self.precision = saved

    def _on_fit_end(self):
        """Hook for methods that cache state (e.g. label embeddings) after fit."""

    # --------------------------------------------------------------- predict
    def predict_proba(self, X: Sequence[str]) -> np.ndarray:
        """Label probabilities for texts ``X``.

        Parameters
        ----------
        X : sequence of str

        Returns
        -------
        ndarray of shape (n_texts, n_labels)
            Independent sigmoid probabilities (multi-label), or a softmax
            distribution per row (single-label).
        """
        check_is_fitted(self, ["classes_", "module_"])
        return self._predict_proba_texts(X, len(self.classes_))

    def _predict_proba_texts(self, X, n_labels):
        """Probabilities over ``n_labels`` columns, computed over length-sorted texts."""
        self._check_predict_parameters()
        texts = check_texts(X)
        dataset = self.get_dataset(texts)
        order = np.argsort(dataset.lengths, kind="stable")
        proba = np.empty((len(texts), n_labels), dtype=np.float32)
        start = 0
        outputs = self.forward_iter(dataset.subset(order), training=False,
                                    device=self.device_)
        n_batches = -(-len(texts) // self.batch_size)
        if self.verbose and n_batches >= PROGRESS_MIN_BATCHES:
            from tqdm.auto import tqdm

            outputs = tqdm(outputs, total=n_batches, desc="predict_proba", unit="batch")
        with torch.inference_mode(), self._prediction_module():
            for output in outputs:
                block = self.proba_from_output(output)
                proba[order[start:start + len(block)]] = block
                start += len(block)
        return proba

    def transform(self, X: Sequence[str]) -> np.ndarray:
        """The pooled text embeddings of the fitted encoder, one row per text.

        The encoder's token states pooled as the module pools them (see
        ``pooling``), before any head or projection of the method. With
        ``pooling="mean+normalize"`` the default MiniLM gives the embeddings
        of sentence-transformers' ``encode``. With ``freeze_encoder`` they are the frozen encoder's,
        read from the embedding cache where ``cache_dir`` holds them.

        Parameters
        ----------
        X : sequence of str

        Returns
        -------
        ndarray of shape (n_texts, hidden_size), float32

        Examples
        --------
        >>> from skemo import FineTunedEmotionClassifier
        >>> from skemo.datasets import load_goemotions_sample
        >>> data = load_goemotions_sample()
        >>> clf = FineTunedEmotionClassifier(max_epochs=0, label_names=data.target_names)
        >>> clf.fit(data.data[:32], data.target[:32]).transform(["thanks!"]).shape
        (1, 384)
        """
        check_is_fitted(self, ["classes_", "module_"])
        texts = check_texts(X)
        dataset = self.get_dataset(texts)
        order = np.argsort(dataset.lengths, kind="stable")
        encoder = self._text_encoder()
        embeddings = np.empty((len(texts), encoder.hidden_size), dtype=np.float32)
        start = 0
        self.module_.eval()
        with torch.inference_mode(), self._autocast():
            for x, _ in self.get_iterator(dataset.subset(order)):
                x = {key: value if value is None else to_tensor(value, device=self.device_)
                     for key, value in x.items()}
                block = encoder(**x).float().cpu().numpy()
                embeddings[order[start:start + len(block)]] = block
                start += len(block)
        return embeddings

    def decision_thresholds(self):
        """The per-label thresholds ``predict`` applies (multi-label only).

        Raises
        ------
        ValueError
            If ``threshold`` is not a number in [0, 1] or ``"tuned"``, or is
            ``"tuned"`` while the estimator has no tuned thresholds (fitted
            without a validation split, or loaded from a mid-fit checkpoint).
        """
        validate_parameter_constraints(
            {"threshold": self._parameter_constraints["threshold"]},
            {"threshold": self.threshold}, caller_name=type(self).__name__)
        if self.threshold == "auto":
            thresholds = getattr(self, "thresholds_", None)
            return (np.full(len(self.classes_), 0.5) if thresholds is None else thresholds)
        if self.threshold == "tuned":
            check_is_fitted(self, "thresholds_")
            if self.thresholds_ is None:
                raise ValueError(
                    "threshold='tuned' but this estimator has no tuned thresholds "
                    "(thresholds_ is None): it was fitted without a validation split, "
                    "or is a checkpoint saved before the end of its fit. Set a float "
                    "threshold, e.g. set_params(threshold=0.5), or refit with "
                    "validation_fraction.")
            return self.thresholds_
        return np.full(len(self.classes_), float(self.threshold))

    def predict(self, X: Sequence[str]) -> np.ndarray | list[list[str]]:
        """Predict labels, in the same kind of ``y`` the estimator was fitted on.

        Parameters
        ----------
        X : sequence of str

        Returns
        -------
        ndarray or list of lists
        """
        proba = self.predict_proba(X)
        if self.multilabel_:
            encoded = apply_thresholds(proba, self.decision_thresholds())
        else:
            encoded = proba.argmax(axis=1)
        return self.target_encoder_.inverse_transform(encoded)

    def predict_label_scores(self, X, top_k=None):
        """For each text, its labels with their probabilities, most probable first.

        The output of ``transformers.pipeline("text-classification")``: one
        list per text of ``{"label": name, "score": probability}``.

        Parameters
        ----------
        X : sequence of str
        top_k : None, int or "all", default=None
            None: the labels :meth:`predict` assigns (thresholds applied;
            the most probable one for single-label models). An int ``k``: the
            ``k`` most probable labels, whatever the thresholds. ``"all"``:
            every label.

        Returns
        -------
        list of list of dict

        Examples
        --------
        >>> import skemo
        >>> clf = skemo.pretrained("goemotions")  # doctest: +SKIP
        >>> clf.predict_label_scores(["Thank you so much!"], top_k=1)  # doctest: +SKIP
        [[{'label': 'gratitude', 'score': 0.97}]]
        """
        return self._label_scores(self.predict_proba(X), top_k)

    def _label_scores(self, proba, top_k):
        """:meth:`predict_label_scores` from the probabilities ``proba``."""
        if not (top_k is None or top_k == "all"
                or (isinstance(top_k, Integral) and not isinstance(top_k, bool) and top_k >= 1)):
            raise ValueError(f"top_k must be None, a positive int or 'all', got {top_k!r}.")
        if top_k is not None:
            chosen = np.ones_like(proba, dtype=bool)
        elif self.multilabel_:
            chosen = apply_thresholds(proba, self.decision_thresholds()).astype(bool)
        else:
            chosen = np.eye(proba.shape[1], dtype=bool)[proba.argmax(axis=1)]
        limit = None if top_k in (None, "all") else top_k
        names = self.label_names_
        return [[{"label": names[j], "score": float(row[j])}
                 for j in np.argsort(-row, kind="stable") if picks[j]][:limit]
                for row, picks in zip(proba, chosen)]

    def score(self, X: Sequence[str], y: ArrayLike, sample_weight: ArrayLike | None = None
              ) -> float:
        """Macro-averaged F1 of ``predict(X)`` against ``y``.

        skemo's estimators score with macro-F1 (not accuracy): emotion label
        sets are imbalanced, and macro-F1 weighs rare emotions like common ones.

        Returns
        -------
        float
        """
        check_is_fitted(self, ["classes_", "module_"])
        Y = self.target_encoder_.transform(y)
        if self.multilabel_:
            pred = apply_thresholds(self.predict_proba(X), self.decision_thresholds())
        else:
            pred = self.predict_proba(X).argmax(axis=1)
        return f1_score(Y, pred, average="macro", sample_weight=sample_weight,
                        zero_division=0)

    def __setstate__(self, state):
        requested = state["device"]
        state["device"] = state.get("device_", "cpu")
        super().__setstate__(state)
        self.device_ = self.device
        self.device = requested

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.classifier_tags.multi_label = True
        return tags
