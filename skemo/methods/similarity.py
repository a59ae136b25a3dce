"""``SimilarityEmotionClassifier``: text-label similarity, no classifier head.

Seed paper: "Do We Need a Classifier? Dual Objectives of Similarity and
Classification for Multi-Label Emotion Detection" (see ``METHODS.md``).
"""

from numbers import Real

import torch
import torch.nn.functional as F
from sklearn.utils._param_validation import Interval
from torch import nn

from skemo.nn.encoder import DEFAULT_ENCODER
from skemo.methods._label_text import LabelTextClassifierBase
from skemo.nn import LabelTextModel
from skemo.losses import multi_positive_contrastive_loss, one_hot_targets


class SimilarityModel(LabelTextModel):
    """Shared encoder and projection for texts and label texts; cosine scores.

    ``forward`` returns ``(s - b, s)`` with ``s = cos(h_x, h_l) / τ``. The
    projection starts as the identity, so training starts from the encoder's
    own similarity space. The scalar ``b = c / τ`` only calibrates
    probabilities: it sees ``s`` detached, so it never pulls on the encoder.
    It is learned in cosine units ``c`` (starting at 0.5: a label is likely
    when its cosine passes 0.5) as a calibration parameter, at its own
    learning rate (see :meth:`calibration_parameters`).

    Parameters
    ----------
    encoder, n_labels, label_input_ids, label_attention_mask
        See :class:`~skemo.methods._label_text.LabelTextModel`.
    temperature : float
    """

    def __init__(self, encoder, n_labels, label_input_ids, label_attention_mask,
                 temperature=0.05):
        super().__init__(encoder, n_labels, label_input_ids, label_attention_mask)
        self.temperature = temperature
        self.projection = nn.Linear(encoder.hidden_size, encoder.hidden_size)
        nn.init.eye_(self.projection.weight)
        nn.init.zeros_(self.projection.bias)
        self.offset = nn.Parameter(torch.tensor(0.5))

    def calibration_parameters(self):
        """Scalars that only calibrate probabilities (trained at a fixed, larger lr)."""
        return [self.offset]

    def encode_texts(self, input_ids, attention_mask):
        """Normalised, projected text embeddings ``h_x``."""
        return F.normalize(self.projection(self.encoder(input_ids, attention_mask)), dim=-1)

    def encode_labels(self, input_ids=None, attention_mask=None):
        return F.normalize(self.projection(super().encode_labels(input_ids, attention_mask)),
                           dim=-1)

    def similarity(self, text_embeddings):
        """``s(x, l) = cos(h_x, h_l) / τ`` against every label."""
        return text_embeddings @ self.label_embeddings().T / self.temperature

    def forward(self, input_ids, attention_mask):
        s = self.similarity(self.encode_texts(input_ids, attention_mask))
        return s.detach() - self.offset / self.temperature, s


class SimilarityLoss(nn.Module):
    """Multi-positive contrastive loss on ``s`` (+ BCE calibrating ``b``, multi-label).

    With one positive per text the contrastive loss is exactly cross-entropy
    over the label similarities.

    Parameters
    ----------
    multilabel : bool
    class_weight : None
        Not supported by this loss: the contrastive objective has no per-label
        weights.
    """

    def __init__(self, multilabel, class_weight=None):
        super().__init__()
        if class_weight is not None:
            raise ValueError("class_weight is not supported by the similarity objective; "
                             "use class_weight=None.")
        self.multilabel = multilabel

    def forward(self, output, target):
        calibrated, s = output
        targets = one_hot_targets(target, s.shape[1], self.multilabel)
        loss = multi_positive_contrastive_loss(s.float(), targets)
        if self.multilabel:
            loss = loss + F.binary_cross_entropy_with_logits(calibrated.float(), targets)
        return loss


class SimilarityEmotionClassifier(LabelTextClassifierBase):
    """Emotion classification by similarity between texts and label descriptions.

    No classifier head: texts and label texts (``"<label>: <description>"``)
    go through the same encoder and a projection, and each label is scored
    by ``s(x, l) = cos(h_x, h_l) / τ``. Training minimises the multi-positive
    contrastive loss

    .. math::

        L_{sim} = -\\frac{1}{|P(x)|} \\sum_{p \\in P(x)} \\log
        \\frac{e^{s(x,p)}}{e^{s(x,p)} + \\sum_{n \\notin P(x)} e^{s(x,n)}}

    Multi-label probabilities are ``sigmoid(s(x, l) - b)`` with one scalar
    ``b`` fitted by BCE on the detached scores, then per-label thresholds
    (``threshold="tuned"`` is the default); single-label probabilities are
    ``softmax(s)``. Label embeddings are computed once per training step (with
    gradients) and cached for prediction. Because labels are texts,
    ``predict_proba(X, labels={...})`` also scores labels never seen in training.

    Parameters
    ----------
    encoder : str, path-like or transformers.PretrainedConfig, default="all-MiniLM-L6-v2"
    temperature : float, default=0.05
        τ, the softmax temperature of the cosine scores.
    threshold : float or "tuned", default="tuned"
    **kwargs
        Parameters of :class:`~skemo.methods._label_text.LabelTextClassifierBase`
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
    module = SimilarityModel
    criterion = SimilarityLoss

    _parameter_constraints = {
        **LabelTextClassifierBase._parameter_constraints,
        "temperature": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(self, encoder=DEFAULT_ENCODER, *, temperature=0.05, threshold="tuned",
                 **kwargs):
        self.temperature = temperature
        super().__init__(encoder, threshold=threshold, **kwargs)

    def _module_kwargs(self):
        return {**super()._module_kwargs(), "temperature": self.temperature}
