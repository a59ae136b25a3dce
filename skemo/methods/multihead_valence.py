"""``MultiHeadValenceClassifier``: emotion, valence and intensity heads with an exclusivity loss.

Seed paper: "CMHL: Contrastive Multi-Head Learning for Emotionally Consistent
Text Classification" (M. Elgabry et al., October University for Modern
Sciences and Arts and Qatar University; preprint).
"""

from numbers import Real

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.utils._param_validation import Interval
from torch import nn

from skemo.base import EmotionClassifierBase
from skemo.labels import circumplex_coordinates
from skemo.losses import (
    ClassificationLoss,
    exclusivity_loss,
    exclusivity_margins,
    one_hot_targets,
)
from skemo.nn import EmotionModule
from skemo.nn.encoder import DEFAULT_ENCODER

#: Classes of the valence head, in the column order of ``predict_valence_proba``.
VALENCE_CLASSES = ("negative", "neutral", "positive")
#: Classes of the intensity head, in the column order of ``predict_intensity_proba``.
INTENSITY_CLASSES = ("low", "high")
#: Valences with ``|v|`` below this are neutral.
NEUTRAL_BAND = 0.1


def label_coordinates(names, circumplex=None):
    """The (valence, arousal) coordinates of each label, by name.

    Parameters
    ----------
    names : sequence of str
    circumplex : dict of str to (float, float), or None, default=None
        Coordinates that override (or add to) skemo's built-in ones
        (:func:`skemo.labels.circumplex_coordinates`).

    Returns
    -------
    ndarray of shape (n_labels, 2), float32

    Raises
    ------
    ValueError
        If a label has no coordinates, or a coordinate is not a pair in [-1, 1].

    Examples
    --------
    >>> from skemo.methods.multihead_valence import label_coordinates
    >>> coordinates = label_coordinates(["joy", "calm"], {"calm": (0.5, -0.5)})
    >>> coordinates.shape, coordinates[1].tolist()
    ((2, 2), [0.5, -0.5])
    """
    lookup = {**circumplex_coordinates(), **(circumplex or {})}
    missing = [name for name in names if name not in lookup]
    if missing:
        raise ValueError(f"no circumplex coordinates for label(s) {missing}; pass "
                         "circumplex={label: (valence, arousal)} with values in [-1, 1].")
    coordinates = np.array([np.asarray(lookup[name], dtype=np.float32).reshape(-1)
                            for name in names], dtype=np.float32).reshape(len(names), -1)
    if coordinates.shape[1] != 2 or not np.all(np.abs(coordinates) <= 1):
        raise ValueError("circumplex coordinates must be (valence, arousal) pairs in "
                         "[-1, 1].")
    return coordinates


def circumplex_targets(target, coordinates, multilabel):
    """Valence and intensity class ids of each text, from its labels' coordinates.

    A text sits at the mean (valence, arousal) of its labels; its valence is
    ``"neutral"`` when ``|v| < 0.1``, else the sign of ``v``, and its
    intensity is ``"high"`` when ``a > 0``, else ``"low"``. A text with no
    label sits at the origin: neutral, low (as the ``neutral`` label does).

    Parameters
    ----------
    target : torch.Tensor
        Indicator (B, L) when ``multilabel``, else class ids (B,).
    coordinates : torch.Tensor of shape (L, 2)
    multilabel : bool

    Returns
    -------
    valence : torch.LongTensor of shape (B,)
        Indices into :data:`VALENCE_CLASSES`.
    intensity : torch.LongTensor of shape (B,)
        Indices into :data:`INTENSITY_CLASSES`.

    Examples
    --------
    >>> import torch
    >>> coords = torch.tensor([[0.8, 0.4], [-0.75, -0.45]])  # joy, sadness
    >>> valence, intensity = circumplex_targets(torch.tensor([[1, 0], [1, 1]]), coords, True)
    >>> valence.tolist(), intensity.tolist()  # joy; mean (0.025, -0.025)
    ([2, 1], [1, 0])
    """
    indicator = one_hot_targets(target, coordinates.shape[0], multilabel)
    indicator = indicator.to(coordinates.dtype)
    counts = indicator.sum(dim=1, keepdim=True).clamp(min=1)
    valence, arousal = (indicator @ coordinates / counts).unbind(dim=1)
    valence_class = torch.where(valence.abs() < NEUTRAL_BAND, 1,
                                torch.where(valence > 0, 2, 0))
    return valence_class.long(), (arousal > 0).long()


class MultiHeadValenceModel(EmotionModule):
    """A shared encoder with emotion, valence (3 classes) and intensity (2) heads.

    ``forward`` returns ``(emotion_logits, valence_logits, intensity_logits)``.
    Without gating the three heads are linear layers on the pooled, dropped
    out text embedding ``h``. With gating, each head ``k`` reads its own
    feature stream ``f_k = tanh(U_k h)``; a bottleneck MLP over the
    concatenated head logits gives softmax weights ``α`` over the three
    streams, and the emotion logits are a final linear layer on the mixture:
    ``W_o (Σ_k α_k f_k)``.

    Parameters
    ----------
    encoder : skemo.nn.encoder.TextEncoder
    n_labels : int
    dropout : float, default=0.1
    gating : bool, default=False
    gate_dim : int, default=64
        Bottleneck width of the gate's MLP.
    """

    def __init__(self, encoder, n_labels, dropout=0.1, gating=False, gate_dim=64):
        super().__init__(encoder)
        hidden = encoder.hidden_size
        self.dropout = nn.Dropout(dropout)
        self.gating = gating
        self.heads = nn.ModuleList([nn.Linear(hidden, n) for n in
                                    (n_labels, len(VALENCE_CLASSES), len(INTENSITY_CLASSES))])
        if gating:
            self.streams = nn.ModuleList([nn.Sequential(nn.Linear(hidden, hidden), nn.Tanh())
                                          for _ in self.heads])
            self.gate = nn.Sequential(nn.Linear(n_labels + 5, gate_dim), nn.ReLU(),
                                      nn.Linear(gate_dim, len(self.heads)))
            self.output = nn.Linear(hidden, n_labels)

    def forward(self, input_ids, attention_mask):
        h = self.dropout(self.encoder(input_ids, attention_mask))
        if not self.gating:
            return tuple(head(h) for head in self.heads)
        features = torch.stack([stream(h) for stream in self.streams], dim=1)  # (B, 3, H)
        logits = [head(features[:, k]) for k, head in enumerate(self.heads)]
        weights = torch.softmax(self.gate(torch.cat(logits, dim=-1)), dim=-1)  # (B, 3)
        mixed = (weights.unsqueeze(-1) * features).sum(dim=1)
        return self.output(self.dropout(mixed)), logits[1], logits[2]

    def label_bias(self):
        """The bias of the emotion logits (initialised to the label prior by ``fit``)."""
        return (self.output if self.gating else self.heads[0]).bias


class MultiHeadValenceLoss(nn.Module):
    """``L_emo + λ_v L_val + λ_i L_int + λ_c L_excl`` for :class:`MultiHeadValenceModel`.

    ``L_emo`` is the baseline's :class:`~skemo.losses.ClassificationLoss`
    (``class_weight`` applies to it); multi-label, its BCE is summed over the
    labels and averaged over the texts, so that it is a loss per text like
    the three others (averaged over the labels too, it was 11-28x smaller
    than the heads' terms and the heads trained the encoder). ``L_val`` and
    ``L_int`` are unweighted cross-entropies against the targets of
    :func:`circumplex_targets`; ``L_excl`` is
    :func:`~skemo.losses.exclusivity_loss` over the emotion probabilities
    (sigmoid multi-label, softmax single-label) for every pair of a
    positive-valence (``v ≥ 0.1``) and a negative-valence (``v ≤ -0.1``)
    label, with the margins of :func:`~skemo.losses.exclusivity_margins`,
    summed over the pairs; multi-label, a pair that is gold for a text is
    not penalised for it.

    Parameters
    ----------
    multilabel : bool
    class_weight : torch.Tensor of shape (n_labels,) or None
    coordinates : array-like of shape (n_labels, 2)
        Circumplex (valence, arousal) of each label.
    lambda_valence, lambda_intensity : float, default=0.5
    lambda_exclusivity : float, default=0.4
    theta0, gamma : float, default=0.02, 0.2
        Margin parameters of :func:`~skemo.losses.exclusivity_margins`.

    Examples
    --------
    >>> import torch
    >>> from skemo.methods.multihead_valence import MultiHeadValenceLoss
    >>> loss = MultiHeadValenceLoss(False, coordinates=[[0.8, 0.5], [-0.8, -0.4]],
    ...                             lambda_exclusivity=0.0)
    >>> output = (torch.zeros(1, 2), torch.zeros(1, 3), torch.zeros(1, 2))
    >>> {k: round(v.item(), 4) for k, v in loss.terms(output, torch.tensor([0])).items()}
    {'emotion': 0.6931, 'valence': 0.5493, 'intensity': 0.3466, 'exclusivity': 0.0}
    """

    def __init__(self, multilabel, class_weight=None, *, coordinates, lambda_valence=0.5,
                 lambda_intensity=0.5, lambda_exclusivity=0.4, theta0=0.02, gamma=0.2):
        super().__init__()
        self.multilabel = multilabel
        self.lambdas = (lambda_valence, lambda_intensity, lambda_exclusivity)
        self.emotion = ClassificationLoss(multilabel, class_weight, sum_over_labels=True)
        coordinates = torch.as_tensor(coordinates, dtype=torch.float32)
        valence = coordinates[:, 0]
        pairs, margins = exclusivity_margins(
            coordinates, torch.nonzero(valence >= NEUTRAL_BAND).flatten(),
            torch.nonzero(valence <= -NEUTRAL_BAND).flatten(), theta0=theta0, gamma=gamma)
        self.register_buffer("coordinates", coordinates, persistent=False)
        self.register_buffer("pairs", pairs, persistent=False)
        self.register_buffer("margins", margins, persistent=False)

    def terms(self, output, target):
        """The weighted terms ``emotion``, ``valence``, ``intensity``, ``exclusivity``."""
        emotion, valence, intensity = (t.float() for t in output)
        valence_target, intensity_target = circumplex_targets(target, self.coordinates,
                                                              self.multilabel)
        proba = torch.sigmoid(emotion) if self.multilabel else torch.softmax(emotion, -1)
        gold = target if self.multilabel else None
        lambda_v, lambda_i, lambda_c = self.lambdas
        return {"emotion": self.emotion(emotion, target),
                "valence": lambda_v * F.cross_entropy(valence, valence_target),
                "intensity": lambda_i * F.cross_entropy(intensity, intensity_target),
                "exclusivity": lambda_c * exclusivity_loss(proba, self.pairs, self.margins,
                                                           gold)}

    def forward(self, output, target):
        return sum(self.terms(output, target).values())


class MultiHeadValenceClassifier(EmotionClassifierBase):
    """Emotion, valence and intensity heads on one encoder, with an exclusivity loss.

    A shared encoder feeds three heads: the emotions (``L`` labels), valence
    (negative / neutral / positive) and intensity (low / high). Valence and
    intensity targets are derived from the emotion labels' Russell
    circumplex coordinates ``(v, a)``: a text sits at the mean of its labels'
    coordinates, its valence is neutral when ``|v| < 0.1`` and the sign of
    ``v`` otherwise, its intensity high when ``a > 0``. Texts without any
    label count as neutral and low. Training minimises

    .. math::

        L = L_{emo} + \\lambda_v L_{val} + \\lambda_i L_{int}
            + \\lambda_c L_{excl}, \\qquad
        L_{excl} = \\operatorname{mean}_{b} \\sum_{(i, j)}
            \\max\\big(0, \\min(p_{b,i}, p_{b,j}) - \\theta_{ij}\\big)

    with ``L_emo`` the baseline's BCE summed over the labels (CE
    single-label), so that all four terms are losses per text, ``L_val`` and
    ``L_int`` cross-entropies, and ``(i, j)`` every pair of a
    positive-valence (``v ≥ 0.1``) and a negative-valence (``v ≤ -0.1``)
    label; ``p`` are the emotion probabilities (sigmoid multi-label, softmax
    single-label) and ``θ_ij = θ_0 + γ (1 - d_ij)`` with ``d_ij`` the
    normalised circumplex distance of the two labels
    (:func:`~skemo.losses.exclusivity_margins`). Multi-label, a pair that is
    gold for a text is not penalised for that text.

    Parameters
    ----------
    encoder : str, path-like or transformers.PretrainedConfig, default="all-MiniLM-L6-v2"
    circumplex : dict of str to (float, float), or None, default=None
        ``{label: (valence, arousal)}`` in [-1, 1], overriding or adding to
        the built-in coordinates (:func:`skemo.labels.circumplex_coordinates`),
        looked up by label name. A label with no coordinates fails ``fit``.
    lambda_valence : float, default=0.5
        λ_v, weight of the valence head's loss. At 0.5 (with λ_i) each head's
        encoder gradient starts at about 0.5-0.7x the emotion term's, on
        SemEval E-c and GoEmotions alike (``benchmarks/gradients.py``).
    lambda_intensity : float, default=0.5
        λ_i, weight of the intensity head's loss.
    lambda_exclusivity : float, default=0.4
        λ_c, weight of the exclusivity loss (the paper's value).
    theta0 : float, default=0.02
        Base co-activation margin θ_0 (the default of ``exclusivity_margins``;
        margins then lie in [0.02, 0.22]).
    gamma : float, default=0.2
        Extra margin γ for close pairs (the default of ``exclusivity_margins``).
    gating : bool, default=False
        The paper's gated variant: each head reads its own feature stream
        ``f_k = tanh(U_k h)``, a bottleneck MLP (``module__gate_dim``,
        default 64) over the concatenated logits of the three heads gives
        softmax weights ``α`` over the streams, and the emotion logits are a
        final linear layer on ``Σ_k α_k f_k``. ``L_emo`` and ``L_excl`` then
        apply to these gated logits; the first emotion head is trained only
        through the gate.
    **kwargs
        Parameters of :class:`~skemo.base.EmotionClassifierBase`; the heads'
        dropout is ``module__dropout`` (default 0.1).

    Notes
    -----
    Deviations from the paper: its valence/intensity loss weights are not
    given (skemo's defaults come from the gradient balance of
    ``benchmarks/gradients.py``), nor are θ_0 and γ; ``L_excl`` is summed over
    the pairs (their mean made it ~100x weaker on GoEmotions' 28 labels) and
    averaged over the texts; multi-label targets (the paper is
    single-label) use sigmoid probabilities and the mean of the labels'
    coordinates. The paper's gating (its mental-health variant) mixes two
    streams (diagnosis and intensity); here it mixes all three heads'
    streams, and its learnable loss weighting is not implemented (the λ
    stay fixed). Its checkpoint selection on ``0.7 · macro-F1 + 0.3 · mean
    confidence`` is :class:`skemo.SelectCheckpoint`, usable by every
    estimator: ``callbacks=[SelectCheckpoint()]``.

    References
    ----------
    M. Elgabry et al., "CMHL: Contrastive Multi-Head Learning for Emotionally
    Consistent Text Classification".

    Examples
    --------
    >>> from skemo import MultiHeadValenceClassifier
    >>> from skemo.datasets import load_goemotions_sample
    >>> data = load_goemotions_sample()
    >>> clf = MultiHeadValenceClassifier(max_epochs=1, label_names=data.target_names,
    ...                                  random_state=0)
    >>> clf.fit(data.data[:64], data.target[:64]).predict_proba(["thanks!"]).shape
    (1, 28)
    >>> clf.predict_valence(["thanks!"]).shape
    (1,)
    """

    method_key = "multihead_valence"
    #: Parameter sets and ``module__*`` values of the estimator checks
    #: (:func:`skemo.utils.estimator_checks.instances`).
    _estimator_check_params = ({}, {"gating": True}, {"freeze_encoder": True})
    _estimator_check_module_params = {"gating": True, "module__gate_dim": 16}
    module = MultiHeadValenceModel
    criterion = MultiHeadValenceLoss

    _parameter_constraints = {
        **EmotionClassifierBase._parameter_constraints,
        "circumplex": [None, dict],
        "lambda_valence": [Interval(Real, 0, None, closed="left")],
        "lambda_intensity": [Interval(Real, 0, None, closed="left")],
        "lambda_exclusivity": [Interval(Real, 0, None, closed="left")],
        "theta0": [Interval(Real, 0, None, closed="left")],
        "gamma": [Interval(Real, 0, None, closed="left")],
        "gating": ["boolean"],
    }

    def __init__(self, encoder=DEFAULT_ENCODER, *, circumplex=None, lambda_valence=0.5,
                 lambda_intensity=0.5, lambda_exclusivity=0.4, theta0=0.02, gamma=0.2,
                 gating=False, **kwargs):
        self.circumplex = circumplex
        self.lambda_valence = lambda_valence
        self.lambda_intensity = lambda_intensity
        self.lambda_exclusivity = lambda_exclusivity
        self.theta0 = theta0
        self.gamma = gamma
        self.gating = gating
        super().__init__(encoder, **kwargs)

    def _module_kwargs(self):
        return {"gating": self.gating}

    def _criterion_kwargs(self):
        return {"coordinates": label_coordinates(self.label_names_, self.circumplex),
                "lambda_valence": self.lambda_valence,
                "lambda_intensity": self.lambda_intensity,
                "lambda_exclusivity": self.lambda_exclusivity,
                "theta0": self.theta0, "gamma": self.gamma}

    def _head_proba(self, X, head):
        """Softmax probabilities of output ``head`` of the module (1: valence, 2: intensity)."""
        return self._predict_texts(
            X, lambda output: torch.softmax(output[head].float(), dim=-1).cpu().numpy())

    def predict_valence_proba(self, X):
        """Probabilities of the valence classes (columns: ``VALENCE_CLASSES``).

        Returns
        -------
        ndarray of shape (n_texts, 3)
            Columns ``negative``, ``neutral``, ``positive``.
        """
        return self._head_proba(X, 1)

    def predict_intensity_proba(self, X):
        """Probabilities of the intensity classes (columns: ``INTENSITY_CLASSES``).

        Returns
        -------
        ndarray of shape (n_texts, 2)
            Columns ``low``, ``high``.
        """
        return self._head_proba(X, 2)

    def predict_valence(self, X):
        """The valence of each text: ``"negative"``, ``"neutral"`` or ``"positive"``.

        Returns
        -------
        ndarray of str, shape (n_texts,)
        """
        return np.asarray(VALENCE_CLASSES)[self.predict_valence_proba(X).argmax(axis=1)]

    def predict_intensity(self, X):
        """The intensity of each text: ``"low"`` or ``"high"``.

        Returns
        -------
        ndarray of str, shape (n_texts,)
        """
        return np.asarray(INTENSITY_CLASSES)[self.predict_intensity_proba(X).argmax(axis=1)]


__all__ = [
    "INTENSITY_CLASSES",
    "VALENCE_CLASSES",
    "MultiHeadValenceClassifier",
    "MultiHeadValenceLoss",
    "MultiHeadValenceModel",
    "circumplex_targets",
    "label_coordinates",
]
