"""``SimilarityEmotionClassifier``: text-label similarity, no classifier head.

Seed paper: "Do We Need a Classifier? Dual Objectives Go Beyond Baselines in
Fine-Grained Emotion Classification", preprint (Zenodo, version v1, 1 January
2026; the similarity-only model is its first stage).
"""

from numbers import Real

import torch
import torch.nn.functional as F
from sklearn.utils._param_validation import Interval
from torch import nn

from skemo.losses import multi_positive_contrastive_loss, one_hot_targets
from skemo.methods._label_text import LabelTextClassifierBase
from skemo.nn import LabelTextModel
from skemo.nn.encoder import DEFAULT_ENCODER


class SimilarityModel(LabelTextModel):
    """Shared encoder and projection for texts and label texts; cosine scores.

    ``forward`` returns ``(s - b, s)`` with ``s = cos(h_x, h_l) / τ`` and a
    per-label offset ``b_l = c_l / τ``. The projection starts as the identity,
    so training starts from the encoder's own similarity space. The projection
    and the cosine run in float32 outside autocast: in bfloat16 a cosine has
    only about a hundred distinct values per label over a few hundred texts,
    too coarse for per-label thresholds. The offsets are learned in cosine
    units ``c_l`` (starting at 0.5: a label is likely when its cosine passes
    0.5) as calibration parameters, at their own learning rate (see
    :meth:`calibration_parameters`). Labels scored in place of the training
    ones (:meth:`with_labels`, open vocabulary) get the mean offset.

    Parameters
    ----------
    encoder, n_labels, label_input_ids, label_attention_mask
        See :class:`~skemo.nn.LabelTextModel`.
    temperature : float
    """

    def __init__(self, encoder, n_labels, label_input_ids, label_attention_mask,
                 temperature=0.05):
        super().__init__(encoder, n_labels, label_input_ids, label_attention_mask)
        self.temperature = temperature
        self.projection = nn.Linear(encoder.hidden_size, encoder.hidden_size)
        nn.init.eye_(self.projection.weight)
        nn.init.zeros_(self.projection.bias)
        self.offset = nn.Parameter(torch.full((n_labels,), 0.5))
        self._other_labels = False

    def calibration_parameters(self):
        """The per-label offsets (trained at a fixed, larger lr)."""
        return [self.offset]

    def project(self, pooled):
        """``projection(pooled)`` in float32, outside autocast."""
        with torch.autocast(pooled.device.type, enabled=False):
            return self.projection(pooled.float())

    def encode_texts(self, input_ids, attention_mask):
        """Normalised, projected text embeddings ``h_x`` (float32)."""
        return F.normalize(self.project(self.encoder(input_ids, attention_mask)), dim=-1)

    def encode_labels(self, input_ids=None, attention_mask=None):
        return F.normalize(self.project(super().encode_labels(input_ids, attention_mask)),
                           dim=-1)

    def similarity(self, text_embeddings):
        """``s(x, l) = cos(h_x, h_l) / τ`` against every label, in float32."""
        labels = self.label_embeddings()
        with torch.autocast(text_embeddings.device.type, enabled=False):
            return text_embeddings.float() @ labels.float().T / self.temperature

    def calibrated(self, s):
        """``s - b``: per-label offsets, or their mean for replaced labels."""
        offset = self.offset.mean() if self._other_labels else self.offset
        return s - offset / self.temperature

    def with_labels(self, label_embeddings):
        """This module scoring against other labels, with the mean offset (see the base)."""
        view = super().with_labels(label_embeddings)
        view._other_labels = True
        return view

    def forward(self, input_ids, attention_mask):
        s = self.similarity(self.encode_texts(input_ids, attention_mask))
        return self.calibrated(s), s


class SimilarityLoss(nn.Module):
    r"""Multi-positive contrastive loss on ``s``, plus (multi-label) a sigmoid term on ``s - b``.

    Multi-label, the sigmoid term is SigLIP's: a binary cross-entropy per
    label on the calibrated logits ``s - b``, summed over the labels and
    averaged over the texts. Unlike the contrastive loss, which ignores a
    shift of all of a text's scores, it makes each score meaningful on its
    own, so that one threshold per label can separate the texts. It trains
    the encoder too (not only the offsets ``b``). With one positive per text
    the contrastive loss is exactly cross-entropy over the label
    similarities, and there is no sigmoid term.

    Parameters
    ----------
    multilabel : bool
    class_weight : None
        Not supported by this loss: the contrastive objective has no per-label
        weights.
    sigmoid_weight : float, default=0.1
        Weight of the sigmoid term. At 0.1 its encoder gradient starts at
        0.3–1x the contrastive term's on SemEval and GoEmotions
        (``benchmarks/gradients.py``).

    Examples
    --------
    >>> import torch
    >>> from skemo.methods.similarity import SimilarityLoss
    >>> loss = SimilarityLoss(multilabel=True, sigmoid_weight=1.0)
    >>> s, target = torch.zeros(1, 2), torch.tensor([[1.0, 0.0]])
    >>> {k: round(v.item(), 4) for k, v in loss.terms((s, s), target).items()}  # log 2, 2 log 2
    {'contrastive': 0.6931, 'sigmoid': 1.3863}
    """

    def __init__(self, multilabel, class_weight=None, sigmoid_weight=0.1):
        super().__init__()
        if class_weight is not None:
            raise ValueError("class_weight is not supported by the similarity objective; "
                             "use class_weight=None.")
        self.multilabel = multilabel
        self.sigmoid_weight = sigmoid_weight

    def terms(self, output, target):
        """The weighted terms ``{"contrastive": ..., "sigmoid": ...}`` (no sigmoid single-label)."""
        calibrated, s = output[-2:]
        targets = one_hot_targets(target, s.shape[1], self.multilabel)
        terms = {"contrastive": multi_positive_contrastive_loss(s.float(), targets)}
        if self.multilabel:
            bce = F.binary_cross_entropy_with_logits(calibrated.float(), targets,
                                                     reduction="sum") / len(targets)
            terms["sigmoid"] = self.sigmoid_weight * bce
        return terms

    def forward(self, output, target):
        return sum(self.terms(output, target).values())


class SimilarityEmotionClassifier(LabelTextClassifierBase):
    """Emotion classification by similarity between texts and label descriptions.

    No classifier head: texts and label texts (``"<label>: <description>"``)
    go through the same encoder and a projection, and each label is scored
    by ``s(x, l) = cos(h_x, h_l) / τ``. Training minimises the multi-positive
    contrastive loss

    .. math::

        L_{sim} = -\\frac{1}{|P(x)|} \\sum_{p \\in P(x)} \\log
        \\frac{e^{s(x,p)}}{e^{s(x,p)} + \\sum_{n \\notin P(x)} e^{s(x,n)}}

    Multi-label, a SigLIP-style sigmoid term is added,
    ``sigmoid_weight · Σ_l BCE(s(x, l) - b_l, y_l)`` with a learned offset
    ``b_l`` per label; it makes each label's score comparable across texts
    (the contrastive loss alone ignores a shift of all of a text's scores),
    and probabilities are ``sigmoid(s(x, l) - b_l)``, then per-label
    thresholds (tuned, with the default ``threshold="auto"``). Single-label
    probabilities are ``softmax(s)``. Scores are computed in float32, outside
    autocast. Label embeddings are computed once per training step (with
    gradients) and cached for prediction. Because labels are texts,
    ``predict_proba(X, labels={...})`` also scores labels never seen in training.

    Parameters
    ----------
    encoder : str, path-like or transformers.PretrainedConfig, default="all-MiniLM-L6-v2"
    temperature : float, default=0.05
        τ, the softmax temperature of the cosine scores.
    sigmoid_weight : float, default=0.1
        Weight of the sigmoid (per-label BCE) term, multi-label only. With 0
        the contrastive loss trains alone and the offsets stay at 0.5 (in
        cosine units), so only tuned thresholds make the probabilities usable.
    **kwargs
        Parameters of :class:`~skemo.methods.LabelTextClassifierBase`
        and :class:`~skemo.base.EmotionClassifierBase`.

    References
    ----------
    "Do We Need a Classifier? Dual Objectives of Similarity and Classification
    for Multi-Label Emotion Detection" (seed abstract in the project's papers).

    Examples
    --------
    >>> from skemo import SimilarityEmotionClassifier
    >>> from skemo.datasets import load_goemotions_sample
    >>> data = load_goemotions_sample()
    >>> clf = SimilarityEmotionClassifier(max_epochs=1, label_names=data.target_names,
    ...                                   random_state=0)
    >>> clf.fit(data.data[:64], data.target[:64]).predict_proba(
    ...     ["I miss the old days"], labels={"nostalgia": "longing for the past"}).shape
    (1, 1)
    """

    method_key = "similarity"
    #: Parameter sets and ``module__*`` values of the estimator checks
    #: (:func:`skemo.utils.estimator_checks.instances`).
    _estimator_check_params = ({}, {"freeze_encoder": True}, {"lora_r": 2})
    _estimator_check_module_params = {}
    module = SimilarityModel
    criterion = SimilarityLoss

    _parameter_constraints = {
        **LabelTextClassifierBase._parameter_constraints,
        "temperature": [Interval(Real, 0, None, closed="neither")],
        "sigmoid_weight": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(self, encoder=DEFAULT_ENCODER, *, temperature=0.05, sigmoid_weight=0.1,
                 **kwargs):
        self.temperature = temperature
        self.sigmoid_weight = sigmoid_weight
        super().__init__(encoder, **kwargs)

    def _module_kwargs(self):
        return {**super()._module_kwargs(), "temperature": self.temperature}

    def _criterion_kwargs(self):
        return {"sigmoid_weight": self.sigmoid_weight}
