"""Distillation: train a skemo estimator on a teacher's probabilities.

:func:`distill` fits a student -- any skemo estimator, typically a small
fast one -- on the (calibrated) probabilities of a teacher -- an
:class:`~skemo.ensemble.EmotionEnsemble`, an estimator on a larger encoder,
or a saved model -- over the training texts and, optionally, unlabelled
texts, in the spirit of SetFit's ``DistillationTrainer``. The loss is
:class:`~skemo.losses.distillation.DistillationLoss`: binary cross-entropy
(multi-label) or Kullback-Leibler divergence (single-label) to the
teacher's probabilities, mixed with the gold labels' loss by ``alpha``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from numbers import Real

import numpy as np
from numpy.typing import ArrayLike
from sklearn.utils._param_validation import Interval, validate_params
from sklearn.utils.validation import check_is_fitted

from skemo._estimator.distillation import Distillation
from skemo.base import EmotionClassifierBase
from skemo.ensemble import EmotionEnsemble
from skemo.hub import load
from skemo.utils._validation import check_texts

__all__ = ["distill"]


@validate_params(
    {"alpha": [Interval(Real, 0, 1, closed="both")],
     "temperature": [Interval(Real, 0, None, closed="neither")]},
    prefer_skip_nested_validation=True)
def distill(student: EmotionClassifierBase, teacher, X: Sequence[str],
            y: ArrayLike | None = None, *, X_unlabelled: Sequence[str] | None = None,
            alpha: float = 0.5, temperature: float = 1.0) -> EmotionClassifierBase:
    r"""Fit ``student`` on texts ``X`` (and ``X_unlabelled``) toward ``teacher``'s probabilities.

    The student trains its label logits on
    ``alpha L_gold + (1 - alpha) T² L_soft``
    (:class:`~skemo.losses.distillation.DistillationLoss`): the soft term
    over every text, toward the teacher's calibrated probabilities softened
    by ``temperature``; the gold term over the texts of ``X`` when ``y`` is
    given. The student takes the teacher's labels and kind of targets. Its
    validation split -- early stopping, calibration, thresholds -- is drawn
    from the labelled texts with their gold labels, or, without ``y``, from
    all texts with the teacher's answers as labels.

    The student's method keeps its network; its auxiliary losses
    (contrastive, valence heads...), which need every text's gold labels,
    are not trained.

    Parameters
    ----------
    student : skemo estimator
        Fitted in place (as ``fit`` does), with its own parameters.
    teacher : fitted skemo estimator or EmotionEnsemble, or str or path-like
        The teacher, or the directory (or Hub id) of its save
        (:func:`skemo.load`).
    X : sequence of str
        The training texts.
    y : indicator matrix, label lists, 1-D labels or None, default=None
        Gold labels of ``X``, with the teacher's labels; None trains on the
        teacher's probabilities alone.
    X_unlabelled : sequence of str or None, default=None
        More texts, without labels: they count in the soft term only.
    alpha : float in [0, 1], default=0.5
        Weight of the gold labels' loss; ``1 - alpha`` weighs the teacher's.
    temperature : float > 0, default=1.0
        Softens the teacher's and the student's probabilities in the soft
        term (Hinton et al., 2015); the term is scaled by its square.

    Returns
    -------
    student
        Fitted.

    Raises
    ------
    TypeError
        If ``student`` is not a skemo estimator, or ``teacher`` not a fitted
        skemo estimator or ensemble.
    ValueError
        If ``y`` has labels the teacher does not know, or the student's
        method cannot train toward soft targets (e.g.
        :class:`~skemo.DualObjectiveClassifier` with ``score_from="mean"``).

    Examples
    --------
    >>> import skemo
    >>> from skemo import FineTunedEmotionClassifier
    >>> teacher = skemo.load("my-ensemble")  # doctest: +SKIP
    >>> student = FineTunedEmotionClassifier(random_state=0)
    >>> skemo.distill(student, teacher, X_train, y_train,
    ...               X_unlabelled=more_texts)  # doctest: +SKIP
    """
    if not isinstance(student, EmotionClassifierBase):
        raise TypeError(f"student must be a skemo estimator, not a "
                        f"{type(student).__name__}.")
    student._check_distillable()
    if isinstance(teacher, (str, os.PathLike)):
        teacher = load(teacher)
    if not isinstance(teacher, (EmotionClassifierBase, EmotionEnsemble)):
        raise TypeError(f"teacher must be a fitted skemo estimator or EmotionEnsemble, or "
                        f"the path of its save, not a {type(teacher).__name__}.")
    check_is_fitted(teacher, "classes_")
    labelled_texts = check_texts(X)
    unlabelled = [] if X_unlabelled is None else check_texts(X_unlabelled, name="X_unlabelled")
    texts = labelled_texts + unlabelled
    soft_targets = np.asarray(teacher.predict_proba(texts), dtype=np.float32)
    targets = teacher.target_encoder_
    Y = teacher._decide(soft_targets, encoded=True)
    labelled = np.zeros(len(texts), dtype=bool)
    if y is not None:
        try:
            gold = targets.transform(y)
        except (ValueError, KeyError) as error:
            raise ValueError(f"y does not hold the teacher's labels "
                             f"{list(targets.label_names_)} ({error}).") from error
        if len(gold) != len(labelled_texts):
            raise ValueError(f"X has {len(labelled_texts)} texts but y has {len(gold)} rows.")
        Y[:len(gold)] = gold
        labelled[:len(gold)] = True
    distillation = Distillation(soft_targets, labelled, targets, float(alpha),
                                float(temperature))
    return student._fit_distilled(texts, targets.inverse_transform(Y), distillation)
