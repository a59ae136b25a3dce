"""``DefinitionAuxiliaryClassifier``: the baseline, trained alongside emotion-definition tasks.

Seed paper: "Fine-Grained Emotion Prediction by Modeling Emotion Definitions"
(G. Singh, D. Brahma, P. Rai and A. Modi, 9th International Conference on
Affective Computing and Intelligent Interaction, ACII 2021; arXiv:2107.12135).
"""

import warnings
from numbers import Real

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.utils._param_validation import Interval
from skorch.callbacks import PassthroughScoring
from skorch.dataset import unpack_data
from skorch.utils import to_tensor
from torch import nn

from skemo.base import EmotionClassifierBase
from skemo.labels import label_texts
from skemo.losses import ClassificationLoss
from skemo.nn import (
    DEFAULT_ENCODER,
    ClassifierHeadModel,
    MaskedLMHead,
    load_checkpoint_mlm_head,
    pool,
)
from skemo.utils._text_data import PadCollator, _truncate

#: The auxiliary tasks: class definition prediction and masked language modelling.
AUX_TASKS = ("cdp", "mlm")


def definition_suffixes(tokenizer, definitions, max_length):
    """Token ids that turn a tokenised text into a ``(text, definition)`` pair.

    A suffix is what the tokenizer's own pair encoding appends after the
    first sequence: ``definition [SEP]`` for BERT, ``</s> definition </s>``
    for RoBERTa. Suffixes are cut to ``max_length // 2`` tokens (keeping the
    closing special token), so every pair keeps at least half of its text.

    Parameters
    ----------
    tokenizer : transformers.PreTrainedTokenizerBase
    definitions : sequence of str
    max_length : int
        The longest pair allowed.

    Returns
    -------
    list of list of int

    Examples
    --------
    >>> from skemo.nn.encoder import load_tokenizer
    >>> from skemo.methods.definition_auxiliary import definition_suffixes
    >>> tok = load_tokenizer("all-MiniLM-L6-v2")
    >>> tok.convert_ids_to_tokens(definition_suffixes(tok, ["a deep joy"], 16)[0])
    ['a', 'deep', 'joy', '[SEP]']
    """
    single = tokenizer("")["input_ids"]
    suffixes = []
    for definition in definitions:
        pair = tokenizer("", definition)["input_ids"]
        if pair[: len(single)] == single:
            suffix = pair[len(single) :]
        else:  # a tokenizer whose pair encoding does not extend the single one
            suffix = tokenizer(definition, add_special_tokens=False)["input_ids"]
        suffixes.append(_truncate(suffix, max(max_length // 2, 1), tokenizer))
    return suffixes


def sample_definition_labels(target, rng):
    """Draw one true and one other label per text, ``-1`` where a text has none.

    Parameters
    ----------
    target : ndarray of shape (n_texts, n_labels)
        0/1 indicator of each text's labels.
    rng : numpy.random.Generator

    Returns
    -------
    positive, negative : ndarray of shape (n_texts,)
        A uniformly drawn true label, and a uniformly drawn label the text
        does not have.

    Examples
    --------
    >>> import numpy as np
    >>> from skemo.methods.definition_auxiliary import sample_definition_labels
    >>> rng = np.random.default_rng(0)
    >>> pos, neg = sample_definition_labels(np.array([[0, 1], [1, 0]]), rng)
    >>> pos.tolist(), neg.tolist()
    ([1, 0], [0, 1])
    >>> sample_definition_labels(np.array([[1, 1]]), rng)[1].tolist()  # no other label
    [-1]
    """
    positive = np.full(len(target), -1)
    negative = np.full(len(target), -1)
    for i, row in enumerate(np.asarray(target)):
        true, other = np.flatnonzero(row), np.flatnonzero(row == 0)
        if len(true):
            positive[i] = rng.choice(true)
        if len(other):
            negative[i] = rng.choice(other)
    return positive, negative


class DefinitionAuxiliaryModel(ClassifierHeadModel):
    """The baseline's encoder and head, plus the heads of the definition tasks.

    ``forward`` is the baseline's (texts in, label logits out); the
    auxiliary heads only serve :meth:`auxiliary_losses` during training.
    They draw their initial weights from a forked random generator, so the
    encoder, the primary head and every dropout mask start exactly as in
    :class:`~skemo.methods.finetuned.ClassifierHeadModel`.

    Parameters
    ----------
    encoder : skemo.nn.encoder.TextEncoder
    n_labels : int
    dropout : float, default=0.1
        Dropout before the primary head.
    aux_tasks : tuple of {"cdp", "mlm"}, default=("cdp",)
        ``"cdp"`` adds ``definition_head`` (pooled pair → IsNotDefinition /
        IsDefinition logits), ``"mlm"`` adds ``mlm_head`` (:class:`MaskedLMHead`).
    """

    def __init__(self, encoder, n_labels, dropout=0.1, aux_tasks=("cdp",)):
        super().__init__(encoder, n_labels, dropout)
        backbone = encoder.backbone
        self.uses_token_types = getattr(backbone.config, "type_vocab_size", 0) > 1
        with torch.random.fork_rng(devices=[]):
            self.definition_head = (
                nn.Linear(encoder.hidden_size, 2) if "cdp" in aux_tasks else None
            )
            self.mlm_head = (
                MaskedLMHead(backbone.config, backbone.get_input_embeddings())
                if "mlm" in aux_tasks
                else None
            )

    def encode_pairs(self, input_ids, attention_mask, token_type_ids):
        """Token states ``(B, T, H)`` and pooled vectors ``(B, H)`` of (text, definition) pairs."""
        segments = {"token_type_ids": token_type_ids} if self.uses_token_types else {}
        states = self.encoder.backbone(
            input_ids=input_ids, attention_mask=attention_mask, **segments
        ).last_hidden_state
        return states, pool(states, attention_mask, self.encoder.pooling)

    def auxiliary_losses(
        self,
        input_ids,
        attention_mask,
        token_type_ids,
        is_definition=None,
        mlm_labels=None,
    ):
        """The auxiliary losses of one batch of pairs, ``{"cdp": ..., "mlm": ...}``.

        Parameters
        ----------
        input_ids, attention_mask, token_type_ids : torch.Tensor of shape (B, T)
            The (possibly masked) pairs, ``token_type_ids`` 1 on the definition.
        is_definition : torch.Tensor of shape (B,) or None
            CDP targets (1 = IsDefinition); None skips CDP.
        mlm_labels : torch.Tensor of shape (B, T) or None
            Original ids at masked positions, -100 elsewhere; None skips MLM.

        Returns
        -------
        dict of str to scalar torch.Tensor
            Cross-entropy of the definition head over the pairs, and mean
            cross-entropy of the MLM head over the masked tokens.
        """
        states, pooled = self.encode_pairs(input_ids, attention_mask, token_type_ids)
        losses = {}
        if is_definition is not None:
            logits = self.definition_head(pooled).float()
            losses["cdp"] = F.cross_entropy(logits, is_definition.long())
        if mlm_labels is not None:
            masked = mlm_labels != -100
            logits = self.mlm_head(states[masked]).float()
            losses["mlm"] = F.cross_entropy(
                logits, mlm_labels[masked], reduction="sum"
            ) / masked.sum().clamp(min=1)
        return losses


class DefinitionAuxiliaryClassifier(EmotionClassifierBase):
    """The baseline classifier, multi-tasked with modelling the emotions' definitions.

    The primary task is the baseline's: encoder → dropout → linear head,
    trained with BCE (multi-label, ``class_weight`` as the baseline) or CE
    (single-label), on every training batch, as many steps as the baseline
    takes. On top of that, a Bernoulli draw with probability ``aux_prob``
    adds to a batch's step the auxiliary tasks in ``aux_tasks``, built from
    each text :math:`x` of the batch and the definitions :math:`d_l` of the
    labels (``label_descriptions``); their gradients add to the primary one
    before the step's single optimiser update:

    - CDP (class definition prediction): the sentence pairs
      ``[CLS] x [SEP] d [SEP]`` for one true label :math:`l^+ \\in P(x)` and
      one other label :math:`l^- \\notin P(x)`, each drawn uniformly, are
      classified IsDefinition / IsNotDefinition by a separate linear head
      on the pooled pair:

      .. math::

          L_{CDP} = -\\tfrac{1}{2}\\left[\\log \\sigma_1(W_c h_{x, d_{l^+}})
                    + \\log \\sigma_0(W_c h_{x, d_{l^-}})\\right]

      (:math:`\\sigma` the softmax over the two classes, averaged over the batch).
    - MLM: BERT's masking (15% of the non-special tokens, of which 80% become
      ``[MASK]``, 10% a random token, 10% stay) of the positive pairs
      ``(x, d_{l^+})``; :math:`L_{MLM}` is the cross-entropy of the masked
      tokens under an MLM head whose decoder is tied to the input embeddings
      (the checkpoint's own head when it has one, else freshly initialised).

    With both tasks, an auxiliary step masks the positive and the negative
    pairs and adds :math:`L_{CDP} + L_{MLM}` on them, as the paper's CDP+MLM
    setup does. The step's loss is

    .. math::

        L = L_{primary} + \\frac{\\lambda}{L'} (L_{CDP} + L_{MLM}),

    with :math:`\\lambda` = ``aux_weight`` and :math:`L'` the number of labels
    in multi-label mode (1 single-label): the primary BCE is averaged over
    the :math:`B \\times L'` entries of the batch, the auxiliary losses over
    pairs, so dividing by :math:`L'` puts both on the same scale per text
    (unscaled, CDP's encoder gradient was 8x the primary one on GoEmotions).
    Prediction uses the primary head alone, on the text
    alone; the paper thresholds its probabilities at 0.3 (``threshold=0.3``),
    while the default, ``"auto"``, tunes per-label thresholds on the
    validation split as every estimator does.

    Parameters
    ----------
    encoder : str, path-like or transformers.PretrainedConfig, default="all-MiniLM-L6-v2"
    aux_prob : float, default=0.5
        Probability that a batch's step adds the auxiliary tasks. The paper
        alternates tasks with probability 0.5; here the primary task never
        gives way, so at equal epochs the primary head gets exactly the
        baseline's updates (the paper's alternation halved them).
    aux_weight : float, default=0.5
        :math:`\\lambda`, the weight of the auxiliary losses (see above).
        Chosen on GoEmotions (``benchmarks/RESULTS.md``): at 0.5 CDP lifted
        the rarest quarter of labels above the baseline, on the full
        training set and on a 10,000-text subset; at 1.0 it fell below the
        baseline on that subset.
    aux_tasks : tuple of {"cdp", "mlm"}, default=("cdp",)
        ``("cdp",)``, ``("mlm",)`` or ``("cdp", "mlm")``. MLM needs a
        tokenizer with a mask token and word embeddings as wide as the
        hidden states; its head starts from the checkpoint's own when that
        is a BERT- or RoBERTa-style masked-LM head.
    mlm_probability : float, default=0.15
        Fraction of pair tokens the MLM task masks.
    label_descriptions : dict of str to str, or None, default=None
        Definitions that override skemo's built-in ones, keyed by label name.
        Labels without any definition use their name (with a warning).
    **kwargs
        Parameters of :class:`~skemo.base.EmotionClassifierBase`; the primary
        head's dropout is ``module__dropout`` (default 0.1).

    Attributes
    ----------
    definition_ids_ : list of list of int
        Per label, the token ids its definition appends to a text.
    task_rng_, pair_rng_ : numpy.random.Generator
        Draw whether a step adds the auxiliary tasks, and the labels of the
        pairs; reseeded from ``seed_`` every epoch.
    history_ : skorch.History
        ``train_loss`` and ``train_primary_loss`` are the primary loss of
        every step; ``train_cdp_loss`` and ``train_mlm_loss`` average the
        weighted auxiliary losses of the steps that added them.

    Notes
    -----
    Deviations from the paper: the auxiliary pairs are drawn afresh at every
    auxiliary step from the step's batch (one true and one other label per
    text) instead of being enumerated once into a second data set with one
    positive per annotated label; the pair's pooled vector is skemo's pooling
    (mean pooling for the offline MiniLM) instead of BERT's pooler output;
    pairs are cut to ``max_length`` tokens, definitions to half of it. A
    text without a true label (or with every label) gives only the pair it
    can, and a batch that gives no pair adds no auxiliary loss. The paper
    alternates whole steps between the tasks (at its best mixing
    probability 0.5, the primary head got half of the baseline's updates);
    here every step trains the primary task and auxiliary losses are added
    on top.

    References
    ----------
    G. Singh, D. Brahma, P. Rai and A. Modi, "Fine-Grained Emotion Prediction
    by Modeling Emotion Definitions", ACII 2021.

    Examples
    --------
    >>> from skemo import DefinitionAuxiliaryClassifier
    >>> from skemo.datasets import load_goemotions_sample
    >>> data = load_goemotions_sample()
    >>> clf = DefinitionAuxiliaryClassifier(aux_tasks=("cdp", "mlm"), max_epochs=1,
    ...                                     label_names=data.target_names, random_state=0)
    >>> clf.fit(data.data[:64], data.target[:64]).predict_proba(["thanks!"]).shape
    (1, 28)
    """

    method_key = "definition_auxiliary"
    #: Parameter sets and ``module__*`` values of the estimator checks
    #: (:func:`skemo.utils.estimator_checks.instances`).
    _estimator_check_params = ({"aux_tasks": ("cdp",)}, {"aux_tasks": ("mlm",)},
                               {"aux_tasks": ("cdp", "mlm")},
                               {"aux_tasks": ("cdp",), "freeze_encoder": True})
    _estimator_check_module_params = {"module__dropout": 0.2}
    module = DefinitionAuxiliaryModel
    criterion = ClassificationLoss
    needs_token_ids = (
        True  # auxiliary steps build (text, definition) pairs from token ids
    )

    _parameter_constraints = {
        **EmotionClassifierBase._parameter_constraints,
        "aux_prob": [Interval(Real, 0, 1, closed="both")],
        "aux_weight": [Interval(Real, 0, None, closed="left")],
        "aux_tasks": [tuple, list],
        "mlm_probability": [Interval(Real, 0, 1, closed="neither")],
        "label_descriptions": [None, dict],
    }

    def __init__(
        self,
        encoder=DEFAULT_ENCODER,
        *,
        aux_prob=0.5,
        aux_weight=0.5,
        aux_tasks=("cdp",),
        mlm_probability=0.15,
        label_descriptions=None,
        **kwargs,
    ):
        self.aux_prob = aux_prob
        self.aux_weight = aux_weight
        self.aux_tasks = aux_tasks
        self.mlm_probability = mlm_probability
        self.label_descriptions = label_descriptions
        super().__init__(encoder, **kwargs)

    def _check_parameters(self):
        super()._check_parameters()
        tasks = list(self.aux_tasks)
        if (
            not tasks
            or len(set(tasks)) != len(tasks)
            or not set(tasks) <= set(AUX_TASKS)
        ):
            raise ValueError(
                "aux_tasks must be ('cdp',), ('mlm',) or ('cdp', 'mlm'); "
                f"got {self.aux_tasks!r}."
            )

    # ------------------------------------------------------------ initialise
    def initialize_module(self):
        from transformers import DataCollatorForLanguageModeling, PretrainedConfig

        super().initialize_module()
        definitions = label_texts(
            self.label_names_, self.label_descriptions, "{description}"
        )
        self.definition_ids_ = definition_suffixes(
            self.tokenizer_, definitions, self.max_length
        )
        self.mlm_collator_ = None
        if "mlm" in self.aux_tasks:
            if self.tokenizer_.mask_token is None:
                raise ValueError(
                    "aux_tasks 'mlm' needs a tokenizer with a mask token; "
                    "this encoder's has none. Use aux_tasks=('cdp',)."
                )
            self.mlm_collator_ = DataCollatorForLanguageModeling(
                self.tokenizer_, mlm_probability=self.mlm_probability
            )
            config = self.module_.encoder.backbone.config
            trained_head = any(
                name.endswith(("ForMaskedLM", "ForPreTraining"))
                for name in config.architectures or ()
            )
            if (
                trained_head
                and not isinstance(self.encoder, PretrainedConfig)
                and not load_checkpoint_mlm_head(self.encoder, self.module_.mlm_head,
                                             self.trust_remote_code)
            ):
                warnings.warn(
                    f"{config.architectures} has no BERT- or RoBERTa-style MLM "
                    "head to reuse; the MLM head starts from random weights.",
                    UserWarning,
                    stacklevel=2,
                )
        return self

    def _module_kwargs(self):
        return {"aux_tasks": tuple(self.aux_tasks)}

    def get_default_callbacks(self):
        names = ["train_primary_loss", *(f"train_{task}_loss" for task in AUX_TASKS)]
        return [
            *super().get_default_callbacks(),
            *((name, PassthroughScoring(name=name, on_train=True)) for name in names),
        ]

    def on_epoch_begin(self, net, **kwargs):
        """Seed the epoch's task and pair draws from ``seed_`` and the epoch number.

        Tasks and pairs have generators of their own, so the sequence of
        primary and auxiliary steps depends on nothing but ``random_state``
        and the epoch: fits with other ``aux_tasks``, and a fit resumed from
        a checkpoint, train the primary task at the same steps.
        """
        super().on_epoch_begin(net, **kwargs)
        tasks, pairs = np.random.SeedSequence((self.seed_, len(self.history))).spawn(2)
        self.task_rng_ = np.random.default_rng(tasks)
        self.pair_rng_ = np.random.default_rng(pairs)

    # --------------------------------------------------------------- compute
    def _draw_step_tasks(self):
        """The auxiliary tasks added to the next training step: ``()`` for none."""
        if self.task_rng_.random() < self.aux_prob:
            return tuple(self.aux_tasks)
        return ()

    def _definition_pairs(self, X, y, tasks):
        """The auxiliary batch for ``tasks``, from a batch of texts and targets.

        CDP takes one positive and one negative pair per text, MLM-only the
        positive pairs. Returns the keyword arguments of
        :meth:`DefinitionAuxiliaryModel.auxiliary_losses` (CPU tensors), or
        None when the batch gives no pair.
        """
        target = np.asarray(y)
        if not self.multilabel_:
            target = np.eye(len(self.classes_), dtype=np.int64)[target]
        positive, negative = sample_definition_labels(target, self.pair_rng_)
        pairs = [(i, label, 1) for i, label in enumerate(positive) if label >= 0]
        if "cdp" in tasks:
            pairs += [(i, label, 0) for i, label in enumerate(negative) if label >= 0]
        if not pairs:
            return None
        lengths = X["attention_mask"].sum(dim=1).tolist()
        texts = [row[:n] for row, n in zip(X["input_ids"].tolist(), lengths)]
        rows, text_lengths = [], []
        for i, label, is_definition in pairs:
            suffix = self.definition_ids_[label]
            text = _truncate(texts[i], self.max_length - len(suffix), self.tokenizer_)
            rows.append((text + suffix, is_definition))
            text_lengths.append(len(text))
        batch, is_definition = PadCollator(self.tokenizer_.pad_token_id)(rows)
        positions = torch.arange(batch["input_ids"].shape[1])
        in_definition = positions >= torch.tensor(text_lengths).unsqueeze(1)
        batch["token_type_ids"] = (
            in_definition & batch["attention_mask"].bool()
        ).long()
        if "cdp" in tasks:
            batch["is_definition"] = is_definition
        if "mlm" in tasks:
            batch["input_ids"], batch["mlm_labels"] = (
                self.mlm_collator_.torch_mask_tokens(batch["input_ids"])
            )
        return batch

    def auxiliary_loss_terms(self, X, y, tasks=None):
        """The weighted auxiliary losses of one batch, ``{"cdp": ..., "mlm": ...}``.

        Each is ``aux_weight`` times the task's loss per pair, divided by the
        number of labels ``L`` in multi-label mode, where the primary BCE is
        averaged over ``B x L`` entries (a loss per text divided by ``L``).
        Empty when the batch gives no pair.

        Parameters
        ----------
        X : dict with ``input_ids`` and ``attention_mask`` of shape (B, T)
            A tokenised batch.
        y : array-like of shape (B, L) or (B,)
            The batch's encoded targets.
        tasks : tuple of str or None, default=None
            None: every task in ``aux_tasks``.
        """
        if not hasattr(self, "pair_rng_"):
            self.pair_rng_ = np.random.default_rng(self.seed_)
        pairs = self._definition_pairs(
            X, y, tuple(self.aux_tasks) if tasks is None else tasks
        )
        if pairs is None:
            return {}
        with self._autocast():
            losses = self.module_.auxiliary_losses(
                **to_tensor(pairs, device=self.device_)
            )
        scale = self.aux_weight / (len(self.classes_) if self.multilabel_ else 1)
        return {task: scale * value for task, value in losses.items()}

    def _check_distillable(self):
        super()._check_distillable()
        if self.aux_prob and self.aux_tasks:
            raise ValueError("DefinitionAuxiliaryClassifier cannot be distilled with its "
                             "auxiliary tasks: they are built from every text's gold "
                             "labels, which unlabelled texts lack. Set aux_prob=0 to "
                             "distil its classification head alone.")

    def train_step_single(self, batch, **fit_params):
        """The baseline's step on the batch, plus, if drawn, an auxiliary step (skorch's hook).

        The primary head sees every training batch. With probability
        ``aux_prob`` the batch's (text, definition) pairs also feed the
        auxiliary heads; their gradients add to the primary one before the
        single optimiser step, and their losses are recorded per batch as
        ``train_cdp_loss`` / ``train_mlm_loss``.
        """
        step = super().train_step_single(batch, **fit_params)
        self.history.record_batch("train_primary_loss", step["loss"].item())
        tasks = self._draw_step_tasks()
        if tasks:
            Xi, yi = unpack_data(batch)
            losses = self.auxiliary_loss_terms(Xi, yi, tasks)
            if losses:
                self.backward(sum(losses.values()))  # through the fp16 loss scaler
                for task, value in losses.items():
                    self.history.record_batch(f"train_{task}_loss", value.item())
        return step


__all__ = [
    "DefinitionAuxiliaryClassifier",
    "DefinitionAuxiliaryModel",
    "definition_suffixes",
    "sample_definition_labels",
]
