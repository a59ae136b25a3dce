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
  once per fit, or once per text for many fits with ``cache_dir``;
- prediction that never changes the estimator, so that threads can share
  one fitted estimator.

The class is composed of one mixin per concern, each in its own module of a
private package (not part of the API; their methods are documented on
:class:`EmotionClassifierBase`), to be read one at a time:

================  ====================================================================
``parameters``    the parameter constraints, and their checks at fit and at prediction
``device``        ``device_``, seeding, the forward pass (``infer``) in ``precision``,
                  and the int8 copy of the module that prediction may run
``network``       building ``module_`` and the tokenizer; texts to datasets and batches
``training``      ``fit``, ``partial_fit``, resuming, the optimiser, the callbacks, and
                  the epochs a fit plans (``max_epochs="auto"``)
``distillation``  a fit toward a teacher's probabilities (:func:`skemo.distill`)
``held_out``      what the validation split decides once training ends
                  (``_finish_fit``): calibration temperatures and thresholds
``prediction``    the one batched prediction path and the one decision function:
                  ``predict_proba``, ``transform``, ``predict``, ``score``...
``explanation``   what ``explain`` (word attributions, :mod:`skemo.explain`) needs of
                  an estimator: its label scorers and differentiable network
================  ====================================================================

Saving and loading (``save``, ``save_pretrained``, ``push_to_hub``,
``from_pretrained`` and the hooks ``_save_pretrained``/``_from_pretrained``
under them) come from a persistence mixin that :mod:`skemo.persistence`
describes, and the method registry
(``method_key``) from :mod:`skemo.utils.discovery`.

A method is a subclass that sets two class attributes: ``module`` (an
:class:`~skemo.nn.EmotionModule` class built as ``module(encoder=TextEncoder,
n_labels=L, **module_kwargs)`` whose forward returns the label logits, or a
tuple whose first item they are; the module protocol, ``skemo.nn.module``,
says what else a module may declare) and ``criterion`` (its loss, called as
``criterion(output, target)``), plus ``_module_kwargs``/``_criterion_kwargs``
when they need more than the defaults, and ``needs_token_ids`` when its
training steps read token ids.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import torch
from sklearn.base import ClassifierMixin
from skorch import NeuralNet

from skemo._estimator.device import DeviceMixin
from skemo._estimator.distillation import DistillationMixin
from skemo._estimator.explanation import ExplanationHooksMixin
from skemo._estimator.held_out import HeldOutMixin
from skemo._estimator.network import NetworkMixin
from skemo._estimator.parameters import ParameterChecksMixin
from skemo._estimator.prediction import PredictionMixin
from skemo._estimator.training import CALIBRATION_LR, TrainingMixin
from skemo._persistence_hooks import PretrainedMixin
from skemo.nn.encoder import DEFAULT_ENCODER
from skemo.utils._docstring import inherit_parameters
from skemo.utils._repr import estimator_repr
from skemo.utils.discovery import RegisteredMethod

if TYPE_CHECKING:
    from transformers import PretrainedConfig

__all__ = ["CALIBRATION_LR", "EmotionClassifierBase"]


class EmotionClassifierBase(RegisteredMethod, PredictionMixin, ExplanationHooksMixin,
                            DistillationMixin, TrainingMixin, HeldOutMixin, NetworkMixin,
                            DeviceMixin, ParameterChecksMixin, PretrainedMixin,
                            ClassifierMixin, NeuralNet):
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
        Texts per optimiser step, and per forward pass at prediction. Lower
        it (and raise ``max_epochs`` if the steps matter) when a fit runs out
        of memory; prediction memory grows with it and with ``max_length``.
    lr : float or "auto", default="auto"
        Peak learning rate of AdamW for the pretrained encoder. ``"auto"`` is
        5e-5, or 1e-4 on small data, where three epochs are fewer than the
        300 optimiser steps of ``max_epochs="auto"``'s budget (below about
        3,500 texts at batch 32 with a 10% validation split): on 300 texts of
        dair-ai emotion the larger rate scored 0.592 and 0.576 macro-F1 (seeds
        0 and 1) against 0.542 and 0.538 (``benchmarks/learning_curve.py``).
        ``lr_`` holds the rate a fit used.
    head_lr : float or None, default=1e-3
        Peak learning rate of the parameters that start from random
        initialisation (classification heads, projections); None uses ``lr``.
        Heads need far larger steps than pretrained weights: at ``lr`` they
        take most of a short fine-tune to leave their initial values.
    max_epochs : int or "auto", default="auto"
        Epochs of training. ``"auto"`` sizes them to the data: 3 epochs, or
        as many as it takes to reach 300 optimiser steps (at most 100
        epochs): 100 epochs of
        100 texts at batch 32, and 3 epochs from about 3,500 texts up. Three
        epochs of a few hundred texts are a few dozen steps, too few for a
        new head and the encoder (Mosbach et al., 2021, "On the Stability of
        Fine-tuning BERT"). ``n_epochs_`` holds the epochs a fit planned.
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
        trains on all. A split of fewer than 100 texts is too noisy to pick
        an epoch from: the fit then trains every epoch and keeps the last
        (with a warning), and uses the split only to calibrate and tune
        thresholds, which stay near safe values where they have little
        evidence.
    patience : int or None, default=2
        Epochs without validation macro-F1 improvement before stopping; None
        never stops early. The best epoch's weights are restored either way.
    label_names : sequence of str or None, default=None
        Names of the columns of an indicator ``y`` (or of integer class ids).
        With string labels (label lists, or one label per text) it is the
        label set, in the column order of ``predict_proba``: a label of ``y``
        it does not list is an error, and a name no text carries is still a
        label (with a warning), so that the folds of a cross-validation
        share their columns.
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
        Scale of the LoRA update: the adapters' product is multiplied by
        ``lora_alpha / lora_r`` before it is added to a frozen weight. Used
        only with ``lora_r``.
    lora_dropout : float, default=0.05
        Dropout on the input of each LoRA adapter during training. Used only
        with ``lora_r``.
    freeze_encoder : bool, default=False
        Train only the heads and projections on top of a frozen encoder (no
        gradients, evaluation mode). Texts are then encoded once per fit --
        not once per epoch -- and batches carry their pooled embeddings;
        label texts are still encoded by the
        frozen encoder. The heads then train at ``head_lr``. Cannot be
        combined with ``lora_r``.
    cache_dir : str, path-like or None, default=None
        With ``freeze_encoder``, cache each text's embedding in this
        directory, keyed on the encoder's weights, pooling, precision and the
        text's token ids, so that fits sharing texts -- the folds and
        parameter points of a grid search -- encode each text only once.
        Unused without ``freeze_encoder``.
    trust_remote_code : bool, default=False
        Let an ``encoder`` or ``tokenizer`` checkpoint run Python code of its
        own: one whose ``config.json`` or ``tokenizer_config.json`` names
        classes in its ``auto_map`` (``transformers``' ``trust_remote_code``).
        False refuses such a checkpoint with a ``ValueError`` before any of its
        code is imported. Read that code before setting True. Never taken
        from a saved model (:func:`skemo.load` runs no code from files).
    device : str or None, default="auto"
        ``"auto"`` (or None) uses CUDA when available, else the CPU.
    precision : {"auto", "fp32", "bf16", "fp16", "int8"}, default="auto"
        Number type of forward passes (weights stay fp32): an autocast type,
        or ``"int8"``, which predicts with the encoder exported to onnxruntime
        with int8 weights (CPU only; built at the first prediction after the
        weights change; a fit in ``"int8"`` trains as ``"auto"``; it runs
        each text alone, so a text's probabilities do not depend on the texts
        predicted with it). ``"auto"`` is bf16 on GPUs and fp32 on CPUs,
        where fp32 predicted faster than the int8 encoder; :doc:`/user_guide/gpu`
        gives the measurements behind this.
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
        for long ``predict_proba`` calls (one bar per call). 0 also keeps
        transformers' progress bars (``Loading weights``) off while the
        encoder loads.
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
        Per-label thresholds tuned on the validation split's calibrated
        probabilities (multi-label with a validation split), used when
        ``threshold`` is ``"tuned"`` or ``"auto"``. Where ``precision``
        predicts with the int8 encoder they are tuned on float32 probabilities,
        whose decisions int8 reproduces closely.
    temperatures_ : ndarray of shape (n_labels,) or None
        The temperatures ``predict_proba`` divides the label scores by
        (``calibration``); None when the probabilities are not rescaled.
    n_epochs_ : int
        The epochs the last fit planned (``max_epochs``, or its ``"auto"``
        budget).
    lr_ : float
        The encoder's peak learning rate the last fit planned (``lr``, or its
        ``"auto"`` value).
    selects_epoch_ : bool
        Whether the validation split was large enough to select the best
        epoch (early stopping, best-epoch restoring).
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
    #: Whether training steps read the token ids of their batches (e.g. to build
    #: auxiliary inputs from them). If so, ``freeze_encoder`` keeps token batches
    #: and runs the frozen encoder at every step instead of precomputing embeddings.
    needs_token_ids = False

    def __init__(
        self,
        encoder: str | os.PathLike | PretrainedConfig = DEFAULT_ENCODER,
        *,
        tokenizer: str | os.PathLike | None = None,
        pooling: str = "auto",
        max_length: int = 128,
        batch_size: int = 32,
        lr: float | str = "auto",
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
        trust_remote_code: bool = False,
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
        self.trust_remote_code = trust_remote_code
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

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.classifier_tags.multi_label = True
        return tags
