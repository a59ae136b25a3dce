"""``TACOClassifier``: triple-view instance-label joint embedding learning.

Seed paper: J. Gong, B. Yang and W. Shen (Nankai University), "A Triple-View
Framework for Fine-Grained Emotion Classification with Clustering-Guided
Contrastive Learning" (TACO); reference code https://github.com/Alcyoneus87/TACO.
"""

from numbers import Real

import numpy as np
import torch
from sklearn.utils._param_validation import Interval, StrOptions
from torch import nn

from skemo.losses import (
    ClassificationLoss,
    batch_kmeans,
    clustering_contrastive_loss,
    label_disentangling_loss,
    label_probabilities,
    n_distinct_labels,
)
from skemo.methods._label_text import LabelTextClassifierBase
from skemo.nn import LabelTextModel, two_layer_mlp
from skemo.nn.encoder import DEFAULT_ENCODER

#: τ_base of TACO's reference code: its CCL is multiplied by τ / τ_base.
REFERENCE_BASE_TEMPERATURE = 0.07


class TACOModel(LabelTextModel):
    """Dual encoder: ``h_u = FCN1(PLM(u))``, ``h_e = FCN2(PLM(s_e))``, ``ŝ = h_u · h_e + c``.

    Texts and label texts share the encoder (PLM). With ``shared_head`` (as in
    TACO's reference code) they also share one two-layer ReLU network,
    ``FCN1 = FCN2``, so the label texts start in the same space as the texts
    and the scores start from the encoder's own text-label similarity; else
    each has its own. ``forward`` returns ``(ŝ, h_u, h_e)``: the scores of
    every text against every label, the text embeddings (for the
    clustering-guided contrastive loss) and the label embeddings (for the
    label-aware disentangled loss). With ``label_bias`` the scores get a
    per-label bias ``c`` (:meth:`label_bias`), which ``fit`` starts at the
    label prior.

    Parameters
    ----------
    encoder, n_labels, label_input_ids, label_attention_mask
        See :class:`~skemo.nn.LabelTextModel`.
    embedding_dim : int or None, default=None
        Width of ``h_u`` and ``h_e``; None keeps the encoder's width. The
        hidden layer of the networks always has the encoder's width.
    shared_head : bool, default=True
    label_bias : bool, default=False
    """

    def __init__(self, encoder, n_labels, label_input_ids, label_attention_mask,
                 embedding_dim=None, shared_head=True, label_bias=False):
        super().__init__(encoder, n_labels, label_input_ids, label_attention_mask)
        width = encoder.hidden_size
        self.text_head = two_layer_mlp(width, width, embedding_dim or width)
        self.label_head = (self.text_head if shared_head
                           else two_layer_mlp(width, width, embedding_dim or width))
        self.bias = nn.Parameter(torch.zeros(n_labels)) if label_bias else None

    def encode_texts(self, input_ids, attention_mask):
        """Text embeddings ``h_u = FCN1(PLM(u))``."""
        return self.text_head(self.encoder(input_ids, attention_mask))

    def encode_labels(self, input_ids=None, attention_mask=None):
        """Label embeddings ``h_e = FCN2(PLM("name <#> description"))``."""
        return self.label_head(super().encode_labels(input_ids, attention_mask))

    def label_bias(self):
        """The per-label bias of the scores, or None without ``label_bias``."""
        return self.bias

    def forward(self, input_ids, attention_mask):
        h_u = self.encode_texts(input_ids, attention_mask)
        h_e = self.label_embeddings()
        scores = h_u @ h_e.T
        if self.bias is not None and h_e.shape[0] == self.bias.shape[0]:
            scores = scores + self.bias
        return scores, h_u, h_e


class TACOLoss(nn.Module):
    """``L = L_CE + α L_CCL + β L_LDL`` in training; ``L_CE`` alone in evaluation.

    ``L_CE`` is :class:`~skemo.losses.ClassificationLoss` on the scores ``ŝ``
    (cross-entropy; multi-label, BCE summed over the labels, a loss per text
    like the two others; ``class_weight`` applies to it). ``L_CCL`` is
    :func:`~skemo.losses.clustering_contrastive_loss` on ``h_u`` with the
    clusters of :func:`~skemo.losses.batch_kmeans` (``K`` = the number of
    distinct labels in the batch), scaled by ``τ / base_temperature`` and
    averaged over ``ccl_mean_over``. ``L_LDL`` is
    :func:`~skemo.losses.label_disentangling_loss` of ``h_e``, with the
    batch's predicted probabilities (softmax, or sigmoid for multi-label) as
    the score matrix ``M``.

    In evaluation mode (skorch switches criteria with the module) only
    ``L_CE`` is computed: the two other views are training regularisers,
    k-means is random, and a validation loss without them is comparable
    across values of ``α`` and ``β``.

    Parameters
    ----------
    multilabel : bool
    class_weight : torch.Tensor of shape (n_labels,) or None
        Weights of ``L_CE`` (CE class weights, or BCE ``pos_weight``).
    alpha : float, default=0.45
        Weight of the clustering-guided contrastive loss.
    beta : float, default=0.5
        Weight of the label-aware disentangled loss.
    temperature : float, default=0.5
        Temperature of the clustering-guided contrastive loss.
    base_temperature : float, None or "auto", default="auto"
        ``L_CCL`` is multiplied by ``temperature / base_temperature`` (TACO's
        reference code uses 0.07); None leaves it unscaled. "auto": 0.07 in
        multi-label mode, None in single-label mode.
    ccl_mean_over : {"batch", "anchors", "auto"}, default="auto"
        What ``L_CCL`` averages over (see
        :func:`~skemo.losses.clustering_contrastive_loss`); "auto": "batch"
        in multi-label mode, "anchors" in single-label mode.
    random_state : int or None, default=None
        Seeds the generator that draws a k-means seed per training batch, so
        batches are clustered differently but a fit can be repeated.

    Examples
    --------
    >>> import torch
    >>> from skemo.methods.taco import TACOLoss
    >>> loss = TACOLoss(multilabel=False, alpha=0.0, beta=0.0)
    >>> output = (torch.zeros(2, 3), torch.randn(2, 4), torch.randn(3, 4))
    >>> round(loss(output, torch.tensor([0, 2])).item(), 4)  # log 3
    1.0986
    """

    def __init__(self, multilabel, class_weight=None, alpha=0.45, beta=0.5,
                 temperature=0.5, base_temperature="auto", ccl_mean_over="auto",
                 random_state=None):
        super().__init__()
        self.multilabel = multilabel
        self.alpha = alpha
        self.beta = beta
        self.temperature = temperature
        self.base_temperature = (
            (REFERENCE_BASE_TEMPERATURE if multilabel else None)
            if base_temperature == "auto" else base_temperature)
        self.ccl_mean_over = (("batch" if multilabel else "anchors")
                              if ccl_mean_over == "auto" else ccl_mean_over)
        self.random_state = random_state
        self.classification = ClassificationLoss(multilabel, class_weight,
                                                 sum_over_labels=True)
        self._kmeans_seeds = np.random.RandomState(random_state)

    def probabilities(self, scores):
        """The predicted probabilities: ``sigmoid(ŝ)`` (multi-label) or ``softmax(ŝ)``."""
        return label_probabilities(scores, self.multilabel)

    def clustering_loss(self, h_u, target):
        """``L_CCL`` over the batch, clustered by k-means with ``K`` distinct labels."""
        seed = int(self._kmeans_seeds.randint(2**31 - 1))
        clusters = batch_kmeans(h_u.detach(), n_distinct_labels(target), random_state=seed)
        return clustering_contrastive_loss(h_u, target, clusters, self.temperature,
                                           base_temperature=self.base_temperature,
                                           mean_over=self.ccl_mean_over)

    def disentangling_loss(self, scores, h_e):
        """``L_LDL`` with the batch's predicted probabilities as the score matrix."""
        return label_disentangling_loss(self.probabilities(scores), h_e)

    def terms(self, output, target):
        """The weighted terms ``classification``, ``clustering``, ``disentangling``.

        The two auxiliary terms are left out in evaluation mode, and where
        their weight is 0.
        """
        scores, h_u, h_e = output[:3]
        terms = {"classification": self.classification(scores, target)}
        if self.training and self.alpha:
            terms["clustering"] = self.alpha * self.clustering_loss(h_u, target)
        if self.training and self.beta:
            terms["disentangling"] = self.beta * self.disentangling_loss(scores, h_e)
        return terms

    def forward(self, output, target):
        return sum(self.terms(output, target).values())


class TACOClassifier(LabelTextClassifierBase):
    r"""TACO: instance-label, instance-instance and label-label views of emotion.

    Texts and label texts (``"<label> <#> <description>"``) go through the
    same encoder and the same two-layer ReLU network (``shared_head``; as in
    the reference code), :math:`h_u = FCN_1(PLM(u))` and
    :math:`h_e = FCN_2(PLM(s_e))`, and each label is scored by the dot
    product :math:`\hat s(u, e) = h_u \cdot h_e` (plus a per-label prior
    bias in multi-label mode).
    Training minimises

    .. math::

        \mathcal{L} = \mathcal{L}_{CE} + \alpha \mathcal{L}_{CCL}
            + \beta \mathcal{L}_{LDL}

    - **instance-label view**: :math:`\mathcal{L}_{CE}`, cross-entropy of
      the softmax over :math:`\hat s` (single-label, as in the paper);
    - **instance-instance view**: :math:`\mathcal{L}_{CCL}`, the
      clustering-guided contrastive loss. The batch's :math:`h_u` are
      clustered by k-means into :math:`K` clusters, :math:`K` the number of
      distinct labels in the batch; hard positives are same-label texts in
      other clusters, hard negatives other-label texts in the same cluster:

      .. math::

          l_{i,p} = -\log \frac{e^{h_i \cdot h_p / \tau}}
              {\sum_{j \in P(i) \cup N(i)} e^{h_i \cdot h_j / \tau}}

      averaged over :math:`P(i)`, then over the batch, and multiplied by
      :math:`\tau / 0.07` as in the reference code (see
      :func:`~skemo.losses.clustering_contrastive_loss`);
    - **label-label view**: :math:`\mathcal{L}_{LDL}`, the label-aware
      disentangled loss. With :math:`M` the batch's (B × L) predictions, the
      confusability of two labels is the cosine of their columns, normalised
      over label pairs, and the loss is
      :math:`\exp(\sum_{j \neq j'} f(j, j') \cos(h_{e_j}, h_{e_{j'}}))`
      (see :func:`~skemo.losses.label_disentangling_loss`).

    Prediction is ``softmax(ŝ)`` (single-label; ``predict`` is the paper's
    :math:`\arg\max_e \hat s(u, e)`) or ``sigmoid(ŝ)`` (multi-label). Because
    labels are texts, ``predict_proba(X, labels={...})`` also scores labels
    never seen in training.

    Parameters
    ----------
    encoder : str, path-like or transformers.PretrainedConfig, default="all-MiniLM-L6-v2"
    alpha : float, default=0.45
        α, the weight of the clustering-guided contrastive loss (the paper's
        GoEmotions value; 0.4 for EmpatheticDialogues).
    beta : float, default=0.5
        β, the weight of the label-aware disentangled loss (the paper's
        GoEmotions value; 0.4 for EmpatheticDialogues).
    temperature : float, default=0.5
        τ of the clustering-guided contrastive loss.
    base_temperature : float, None or "auto", default="auto"
        The CCL is multiplied by ``temperature / base_temperature`` (0.07 in
        TACO's reference code: about seven times); None leaves it unscaled.
        "auto" is None on single-label data, where the unscaled CCL scored
        0.569 macro-F1 against 0.549 on full GE-27 (seed 0) and its gradient
        stays within 0.1-10x of the cross-entropy's, and 0.07 on multi-label data, where the
        unscaled CCL pulls at 0.04x the summed BCE (``benchmarks/RESULTS.md``).
    ccl_mean_over : {"batch", "anchors", "auto"}, default="auto"
        Average the CCL over the whole batch (reference code) or over the
        texts that have a hard positive (the paper's formula); "auto":
        "batch" on multi-label data, "anchors" on single-label data.
    shared_head : bool, default=True
        One projection network for texts and label texts, as in the reference
        code (which keeps the label-description prior of the encoder);
        False gives each its own, as the paper's notation reads.
    label_bias : bool or "auto", default="auto"
        A per-label bias on the scores, started at the label prior by
        ``fit``; "auto" adds it in multi-label mode only (the paper and its
        code are single-label and have none).
    batch_size : int, default=64
        The reference code's batch: at 32 only about half of the anchors
        have both a hard positive and a hard negative. It also halves an
        epoch's optimiser steps: where a schedule gives few (dair-ai emotion
        at two epochs, 500 steps), 32 scored higher; on GE-27, 64 did.
    **kwargs
        Parameters of :class:`~skemo.methods.LabelTextClassifierBase`
        (``label_descriptions``, ``label_max_length``) and
        :class:`~skemo.base.EmotionClassifierBase`. skemo's defaults apply to
        the rest of the optimisation; the paper trains RoBERTa-base with AdamW
        at ``lr=2e-5``, ``weight_decay=1e-3``. The width of
        ``h_u`` and ``h_e`` is ``module__embedding_dim`` (default: the
        encoder's width).

    Notes
    -----
    Choices and deviations from the paper:

    - *Score matrix of the label-label view.* The paper's :math:`M_{i,j}` is
      "the prediction score :math:`\hat s(u_i, e_j)`", read as a
      collaborative-filtering rating matrix, and the confusability is
      computed "based on the prediction distribution of instances over" the
      labels. skemo uses that distribution, the predicted probabilities
      (softmax of :math:`\hat s`; sigmoid in multi-label mode), rather than
      the raw, signed dot products (which TACO's reference code feeds in).
      Probabilities are non-negative like ratings, so :math:`f` is a
      distribution over label pairs and the loss stays in
      :math:`[e^{-1}, e]`; with signed scores :math:`f` can turn negative
      (pulling labels *together*) and its normaliser can approach zero (an
      exploding :math:`\exp`). Probabilities also ignore a shift of all of a
      text's scores, which the prediction ignores too, so :math:`f` follows
      what the model actually confuses. :math:`f` is a constant in the
      gradient: the loss moves the label embeddings only.
    - :math:`h_u` is L2-normalised inside :math:`\mathcal{L}_{CCL}`, and
      texts without hard positives count as zeros rather than being given
      random negatives (see :func:`~skemo.losses.clustering_contrastive_loss`).
      The k-means seed of each batch is drawn from ``random_state``.
    - The validation loss (``valid_loss`` in ``history_``) is
      :math:`\mathcal{L}_{CE}` alone; the two other views act in training
      only.
    - The paper's ``[EMO]`` separator is the plain text ``<#>`` (TACO's
      reference code adds it as a new special token; skemo keeps the
      encoder's vocabulary). Pooling follows the encoder (mean for the
      default MiniLM) rather than always ``[CLS]``.
    - Label descriptions are skemo's built-in ones, looked up by label name:
      for GoEmotions names that is the GoEmotions rater definition. TACO's
      own (longer, ChatGPT-written) descriptions are
      ``skemo.labels.label_descriptions("taco_goemotions")`` (and
      ``"empathetic_dialogues"``), or the ``descriptions`` of
      :func:`skemo.datasets.load_taco_goemotions`; pass them as
      ``label_descriptions`` (with ``label_max_length=128`` as in TACO) to
      train as the paper did.
    - **Multi-label extension** (the paper is single-label):
      :math:`\mathcal{L}_{CE}` becomes BCE over :math:`\hat s` (summed over
      the labels, a loss per text like the two other views), two texts
      "share a label" in :math:`\mathcal{L}_{CCL}` when their label sets
      intersect, :math:`K` is the number of labels present in the batch, and
      :math:`M` holds sigmoid probabilities.

    References
    ----------
    J. Gong, B. Yang and W. Shen, "A Triple-View Framework for Fine-Grained
    Emotion Classification with Clustering-Guided Contrastive Learning".
    Reference code: https://github.com/Alcyoneus87/TACO

    Examples
    --------
    >>> import numpy as np
    >>> from skemo import TACOClassifier
    >>> from skemo.datasets import load_goemotions_sample
    >>> data = load_goemotions_sample()
    >>> y = np.array(data.target_names)[data.target.argmax(axis=1)]
    >>> clf = TACOClassifier(max_epochs=1, random_state=0)
    >>> clf.fit(data.data[:64], y[:64]).predict_proba(
    ...     ["I miss the old days"], labels={"nostalgia": "longing for the past"}).shape
    (1, 1)
    """

    method_key = "taco"
    #: Parameter sets and ``module__*`` values of the estimator checks
    #: (:func:`skemo.utils.estimator_checks.instances`).
    _estimator_check_params = ({}, {"freeze_encoder": True})
    _estimator_check_module_params = {"module__embedding_dim": 16}
    module = TACOModel
    criterion = TACOLoss
    label_template = "{name} <#> {description}"

    _parameter_constraints = {
        **LabelTextClassifierBase._parameter_constraints,
        "alpha": [Interval(Real, 0, None, closed="left")],
        "beta": [Interval(Real, 0, None, closed="left")],
        "temperature": [Interval(Real, 0, None, closed="neither")],
        "base_temperature": [None, Interval(Real, 0, None, closed="neither"),
                             StrOptions({"auto"})],
        "ccl_mean_over": [StrOptions({"batch", "anchors", "auto"})],
        "shared_head": ["boolean"],
        "label_bias": ["boolean", StrOptions({"auto"})],
    }

    def __init__(self, encoder=DEFAULT_ENCODER, *, alpha=0.45, beta=0.5, temperature=0.5,
                 base_temperature="auto", ccl_mean_over="auto", shared_head=True,
                 label_bias="auto", batch_size=64, **kwargs):
        self.alpha = alpha
        self.beta = beta
        self.temperature = temperature
        self.base_temperature = base_temperature
        self.ccl_mean_over = ccl_mean_over
        self.shared_head = shared_head
        self.label_bias = label_bias
        super().__init__(encoder, batch_size=batch_size, **kwargs)

    def _module_kwargs(self):
        bias = self.multilabel_ if self.label_bias == "auto" else bool(self.label_bias)
        return {**super()._module_kwargs(), "shared_head": self.shared_head,
                "label_bias": bias}

    def _criterion_kwargs(self):
        return {"alpha": self.alpha, "beta": self.beta, "temperature": self.temperature,
                "base_temperature": self.base_temperature,
                "ccl_mean_over": self.ccl_mean_over, "random_state": self.seed_}


__all__ = ["TACOClassifier", "TACOModel", "TACOLoss"]
