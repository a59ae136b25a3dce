"""``DualObjectiveClassifier``: text-label similarity plus a classification head.

Seed paper: "Do We Need a Classifier? Dual Objectives Go Beyond Baselines in
Fine-Grained Emotion Classification", preprint (Zenodo, version v1, 1 January
2026).
"""

from numbers import Real

import torch.nn.functional as F
from sklearn.utils._param_validation import Interval, StrOptions
from torch import nn

from skemo.losses import ClassificationLoss
from skemo.methods.similarity import (
    SimilarityEmotionClassifier,
    SimilarityLoss,
    SimilarityModel,
)
from skemo.nn.encoder import DEFAULT_ENCODER

#: The views ``predict_proba`` can score from (``score_from``).
SCORE_VIEWS = ("head", "similarity", "mean")


class DualObjectiveModel(SimilarityModel):
    """The similarity model plus a linear classification head on ``h_x``.

    ``forward`` returns ``(z, s - b, s)``: the head's logits ``z = W h_x + c``,
    then the outputs of :class:`~skemo.methods.similarity.SimilarityModel`. The head
    reads ``h_x`` *before* its L2 normalisation (the normalised vector has
    norm 1, which would leave a freshly initialised linear head with logits
    near zero for thousands of steps), through dropout as in the baseline.

    Parameters
    ----------
    encoder, n_labels, label_input_ids, label_attention_mask, temperature
        See :class:`~skemo.methods.similarity.SimilarityModel`.
    dropout : float, default=0.1
        Dropout before the head.
    """

    def __init__(self, encoder, n_labels, label_input_ids, label_attention_mask,
                 temperature=0.05, dropout=0.1):
        super().__init__(encoder, n_labels, label_input_ids, label_attention_mask,
                         temperature=temperature)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(encoder.hidden_size, n_labels)

    def forward(self, input_ids, attention_mask):
        projected = self.project(self.encoder(input_ids, attention_mask))
        s = self.similarity(F.normalize(projected, dim=-1))
        logits = self.head(self.dropout(projected))
        return logits, self.calibrated(s), s

    def label_bias(self):
        """The bias of the head's label logits (initialised to the label prior by ``fit``)."""
        return self.head.bias


class DualObjectiveLoss(nn.Module):
    r"""``λ_cls L_cls + λ_sim τ L_sim`` on the outputs of :class:`DualObjectiveModel`.

    ``L_sim`` is :class:`~skemo.methods.similarity.SimilarityLoss` (the
    multi-positive contrastive loss, plus, multi-label, the per-label sigmoid
    term on the calibrated scores); ``L_cls`` is the baseline's
    :class:`~skemo.losses.ClassificationLoss` on the head's logits, which alone
    takes ``class_weight``.

    **Scale.** Both terms are losses per text: multi-label, ``L_cls`` is the
    BCE summed over the labels (not averaged over them, which would shrink it
    by ``L``), and ``L_sim`` is multiplied by the temperature ``τ``, which
    turns its gradient from logit units (``s = cos / τ``) into cosine units.
    Without these two factors the similarity term's encoder gradient was
    94x the classification term's on SemEval E-c and 350x on GoEmotions, and
    the head was in effect a linear probe.

    Parameters
    ----------
    multilabel : bool
    class_weight : torch.Tensor of shape (n_labels,) or None
    lambda_sim, lambda_cls : float, default=1.0
    temperature : float, default=0.05
        τ of the similarity scores.
    sigmoid_weight : float, default=0.1
        Weight of the sigmoid term inside ``L_sim`` (multi-label).

    Examples
    --------
    >>> import torch
    >>> from skemo.methods.dual_objective import DualObjectiveLoss
    >>> loss = DualObjectiveLoss(multilabel=False, lambda_sim=0.0)
    >>> logits = torch.zeros(1, 2)
    >>> round(loss((logits, logits, logits), torch.tensor([0])).item(), 4)  # log 2
    0.6931
    """

    def __init__(self, multilabel, class_weight=None, lambda_sim=1.0, lambda_cls=1.0,
                 temperature=0.05, sigmoid_weight=0.1):
        super().__init__()
        self.lambda_sim = lambda_sim
        self.lambda_cls = lambda_cls
        self.temperature = temperature
        self.similarity = SimilarityLoss(multilabel, sigmoid_weight=sigmoid_weight)
        self.classification = ClassificationLoss(multilabel, class_weight,
                                                 sum_over_labels=True)

    def terms(self, output, target):
        """The weighted terms: ``classification``, ``contrastive`` (and ``sigmoid``)."""
        logits, calibrated, s = output
        weight = self.lambda_sim * self.temperature
        return {"classification": self.lambda_cls * self.classification(logits, target),
                **{name: weight * term for name, term
                   in self.similarity.terms((calibrated, s), target).items()}}

    def forward(self, output, target):
        return sum(self.terms(output, target).values())


class DualObjectiveClassifier(SimilarityEmotionClassifier):
    """Similarity to label descriptions and a classification head, trained jointly.

    The model of :class:`~skemo.SimilarityEmotionClassifier` (texts and label
    texts ``"<label>: <description>"`` through one encoder and projection,
    ``s(x, l) = cos(h_x, h_l) / τ``) plus a linear head ``z = W h_x + c`` on
    the text embedding, trained on

    .. math::

        L = \\lambda_{sim} L_{sim} + \\lambda_{cls} L_{cls}, \\qquad
        L_{sim} = -\\frac{1}{|P(x)|} \\sum_{p \\in P(x)} \\log
        \\frac{e^{s(x,p)}}{e^{s(x,p)} + \\sum_{n \\notin P(x)} e^{s(x,n)}}

    with ``L_cls`` the baseline's BCE on ``z`` (CE single-label;
    ``class_weight`` applies to this term only). Multi-label, ``L_sim`` also
    holds the BCE that fits the similarity view's offset ``b`` on detached
    scores, as in :class:`~skemo.SimilarityEmotionClassifier`.

    Both views give probabilities: the head ``sigmoid(z)`` (softmax
    single-label) and the similarity ``sigmoid(s - b)`` (softmax of ``s``).
    ``score_from`` picks the one ``predict_proba`` returns, or their mean.

    Parameters
    ----------
    encoder : str, path-like or transformers.PretrainedConfig, default="all-MiniLM-L6-v2"
    lambda_sim : float, default=1.0
        Weight λ_sim of the similarity objective.
    lambda_cls : float, default=1.0
        Weight λ_cls of the classification objective.
    score_from : {"head", "similarity", "mean"}, default="head"
        The view ``predict_proba`` (and so ``predict``, ``score`` and the
        validation macro-F1 that early stopping monitors) scores from;
        ``"mean"`` averages the two views' probabilities. Read at prediction
        time, so it can be switched after ``fit``. Only ``"similarity"`` can
        score labels never seen in training (``predict_proba(X, labels=...)``).
    temperature : float, default=0.05
        τ of the cosine scores.
    **kwargs
        Parameters of :class:`~skemo.methods.LabelTextClassifierBase`
        and :class:`~skemo.base.EmotionClassifierBase`; the head's dropout is
        ``module__dropout`` (default 0.1).

    Notes
    -----
    The paper is available to us only as an abstract, so the formulation is
    skemo's reading of it. Deviations: the head reads the
    projected embedding before its normalisation, and the similarity view's
    probabilities use skemo's learned offset ``b``.

    References
    ----------
    "Do We Need a Classifier? Dual Objectives Go Beyond Baselines in
    Fine-Grained Emotion Classification" (preprint, 2026).

    Examples
    --------
    >>> from skemo import DualObjectiveClassifier
    >>> from skemo.datasets import load_goemotions_sample
    >>> data = load_goemotions_sample()
    >>> clf = DualObjectiveClassifier(max_epochs=1, label_names=data.target_names,
    ...                               random_state=0)
    >>> clf.fit(data.data[:64], data.target[:64]).predict_proba(["thanks!"]).shape
    (1, 28)
    >>> clf.set_params(score_from="similarity").predict_proba(
    ...     ["I miss the old days"], labels={"nostalgia": "longing for the past"}).shape
    (1, 1)
    """

    method_key = "dual_objective"
    #: Parameter sets and ``module__*`` values of the estimator checks
    #: (:func:`skemo.utils.estimator_checks.instances`).
    _estimator_check_params = ({"score_from": "head"}, {"score_from": "similarity"},
                               {"score_from": "mean"}, {"freeze_encoder": True})
    _estimator_check_module_params = {"module__dropout": 0.2}
    module = DualObjectiveModel
    criterion = DualObjectiveLoss

    _parameter_constraints = {
        **SimilarityEmotionClassifier._parameter_constraints,
        "lambda_sim": [Interval(Real, 0, None, closed="left")],
        "lambda_cls": [Interval(Real, 0, None, closed="left")],
        "score_from": [StrOptions(set(SCORE_VIEWS))],
    }

    def __init__(self, encoder=DEFAULT_ENCODER, *, lambda_sim=1.0, lambda_cls=1.0,
                 score_from="head", temperature=0.05, **kwargs):
        self.lambda_sim = lambda_sim
        self.lambda_cls = lambda_cls
        self.score_from = score_from
        super().__init__(encoder, temperature=temperature, **kwargs)

    def _check_parameters(self):
        super()._check_parameters()
        if self.lambda_sim == 0 and self.lambda_cls == 0:
            raise ValueError("lambda_sim and lambda_cls are both 0: nothing would be "
                             "trained; make at least one positive.")

    def _criterion_kwargs(self):
        return {"lambda_sim": self.lambda_sim, "lambda_cls": self.lambda_cls,
                "temperature": self.temperature, "sigmoid_weight": self.sigmoid_weight}

    def _check_distillable(self):
        super()._check_distillable()
        if self.score_from == "mean":
            raise ValueError("DualObjectiveClassifier with score_from='mean' cannot be "
                             "distilled: its probabilities average two views, not the "
                             "sigmoid (softmax) of one set of logits. Set score_from to "
                             "'head' or 'similarity'.")

    def distillation_logits(self, output):
        """The logits of the ``score_from`` view (see ``_check_distillable``)."""
        logits, calibrated, _ = output
        return calibrated if self.score_from == "similarity" else logits

    def proba_tensor_from_output(self, output):
        """Probabilities of the ``score_from`` view (a float32 tensor)."""
        logits, calibrated, _ = output
        if self.score_from not in SCORE_VIEWS:
            raise ValueError(f"score_from must be one of {SCORE_VIEWS}; "
                             f"got {self.score_from!r}.")
        views = {"head": logits, "similarity": calibrated}
        if self.score_from != "mean":
            return super().proba_tensor_from_output(views[self.score_from])
        return (super().proba_tensor_from_output(logits)
                + super().proba_tensor_from_output(calibrated)) / 2

    def predict_proba(self, X, labels=None):
        """Label probabilities from the ``score_from`` view.

        Parameters
        ----------
        X : sequence of str
            The texts, one string each.
        labels : dict of str to str, sequence of str, or None, default=None
            Labels to score instead of ``classes_`` (see
            :meth:`~skemo.methods.LabelTextClassifierBase.predict_proba`);
            needs ``score_from="similarity"``, since the head only knows the
            labels it was trained on.

        Returns
        -------
        ndarray of shape (n_texts, n_labels)
        """
        return super().predict_proba(X, labels=labels)

    def _check_open_vocabulary(self):
        if self.score_from != "similarity":
            raise ValueError(
                f"labels=... needs score_from='similarity' (got {self.score_from!r}): "
                "the classification head cannot score labels unseen in training. "
                "Call set_params(score_from='similarity') first.")


__all__ = ["DualObjectiveClassifier", "DualObjectiveLoss", "DualObjectiveModel"]
