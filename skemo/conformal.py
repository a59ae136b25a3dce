"""Label sets with a guarantee: conformal prediction on held-out texts.

:class:`ConformalEmotionSets` turns a fitted model's probabilities into a
*set* of labels per text, calibrated on held-out labelled texts that the
model never trained on, through `MAPIE <https://mapie.readthedocs.io>`_:

- **single-label** (one emotion per text): split conformal prediction
  (MAPIE's ``SplitConformalClassifier``, LAC score ``1 - p(true label)``).
  Guarantee: a new text's true label is in its set with probability at
  least ``1 - alpha``. A set holds every label whose probability passes one
  calibrated threshold, so it may be empty for a text the model finds like
  no label.
- **multi-label**: conformal risk control of the recall (MAPIE's
  ``MultiLabelClassificationController``, ``risk="recall"``,
  ``method="crc"``): every label whose probability exceeds one threshold
  calibrated on the held-out texts. Guarantee: the expected recall of a new
  text's set -- the share of its true labels the set holds -- is at least
  ``1 - alpha``. Recall is undefined for a text with no label, so those
  texts are left out of the calibration and the guarantee is over texts
  that have at least one label.

Both hold on average over calibration sets and new texts, provided they are
exchangeable (drawn from the same distribution: the calibration texts must
look like the texts the sets are for), whatever the model. They say nothing
about any one text, and hold for the precision the probabilities were
computed in (calibrate an int8 model with its own int8 probabilities).

MAPIE's estimators check the number of features of ``X``, which a list of
texts does not have, so the calibration hands MAPIE the model's probabilities
(one column per label), through an estimator that returns its input.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

__all__ = ["ConformalEmotionSets", "set_coverage"]

#: The multi-label thresholds searched: 0, 40 log-spaced steps from 1e-4 to 0.01
#: (where rare labels' probabilities lie), then steps of 0.01. MAPIE computes the
#: risk of every text at every threshold in a Python loop, so the grid stays short.
RECALL_THRESHOLDS = np.concatenate([[0.0], np.geomspace(1e-4, 1e-2, 41)[:-1],
                                    np.arange(0.01, 1, 0.01)])


class _GivenProbabilities(ClassifierMixin, BaseEstimator):
    """A prefit classifier whose input *is* its probabilities (for MAPIE)."""

    def __init__(self, n_labels):
        self.n_labels = n_labels
        self.classes_ = np.arange(n_labels)
        self.n_features_in_ = n_labels

    def fit(self, X, y):
        return self

    def predict_proba(self, X):
        return np.asarray(X, dtype=np.float64)

    def predict(self, X):
        return np.asarray(X).argmax(axis=1)


def set_coverage(sets, y):
    """How often label sets hold the true labels: the quantity the guarantee bounds.

    Parameters
    ----------
    sets : array-like of bool, shape (n_texts, n_labels)
        The label sets, as :meth:`ConformalEmotionSets.sets_from_proba` gives them.
    y : ndarray
        The true labels, encoded: class ids (single-label) or an indicator
        matrix (multi-label).

    Returns
    -------
    float
        Single-label: the share of texts whose label is in their set.
        Multi-label: the mean recall of the sets over the texts with at
        least one label.

    Examples
    --------
    >>> import numpy as np
    >>> from skemo.conformal import set_coverage
    >>> set_coverage(np.array([[True, False], [True, True]]), np.array([1, 0]))
    0.5
    >>> set_coverage(np.array([[True, False]]), np.array([[1, 1]]))
    0.5
    """
    sets, y = np.asarray(sets, dtype=bool), np.asarray(y)
    if y.ndim == 1:
        return float(sets[np.arange(len(y)), y].mean())
    labelled = y.sum(axis=1) > 0
    hits = (sets & (y > 0)).sum(axis=1)[labelled]
    return float(np.mean(hits / y.sum(axis=1)[labelled]))


class ConformalEmotionSets:
    """Prediction sets of labels with a coverage or recall guarantee (see the module docstring).

    Parameters
    ----------
    estimator : fitted skemo estimator or :class:`~skemo.export.ONNXEmotionClassifier`
        Anything with ``predict_proba``, ``label_names_``, ``multilabel_``
        and ``target_encoder_``; it is not refitted.
    alpha : float, default=0.1
        The miscoverage: single-label sets hold the true label with
        probability at least ``1 - alpha``; multi-label sets have an
        expected recall of at least ``1 - alpha``.

    Attributes
    ----------
    label_names_ : list of str
    multilabel_ : bool
    threshold_ : float or None
        Multi-label: a set holds every label whose probability exceeds it.
    n_calibration_ : int
        The held-out texts the calibration used.
    mapie_ : object
        The calibrated MAPIE object.

    Examples
    --------
    >>> import skemo
    >>> from skemo.conformal import ConformalEmotionSets
    >>> clf = skemo.pretrained("goemotions")  # doctest: +SKIP
    >>> sets = ConformalEmotionSets(clf, alpha=0.1).fit(X_dev, y_dev)  # doctest: +SKIP
    >>> sets.predict_sets(["I can't believe you did that!"])  # doctest: +SKIP
    [['anger', 'surprise']]
    """

    def __init__(self, estimator, alpha=0.1):
        self.estimator = estimator
        self.alpha = alpha

    def fit(self, X, y):
        """Calibrate on held-out texts ``X`` with their labels ``y``.

        Parameters
        ----------
        X : sequence of str
            Texts the estimator was not trained on.
        y : indicator matrix, label lists or 1-D labels
            Of the kind the estimator was fitted on.

        Returns
        -------
        self
        """
        return self.fit_proba(self.estimator.predict_proba(X), y)

    def fit_proba(self, proba, y):
        """Calibrate on the estimator's probabilities ``proba`` of held-out texts.

        Parameters
        ----------
        proba : ndarray of shape (n_texts, n_labels)
            Probabilities, one row per text and one column per label.
        y : indicator matrix, label lists or 1-D labels
            The true labels of the texts, in any form ``fit`` takes.

        Returns
        -------
        self
        """
        from sklearn.exceptions import NotFittedError

        alpha = self.alpha
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 < alpha < 1:
            raise ValueError(f"alpha must be a float in (0, 1); got {alpha!r}.")
        if not hasattr(self.estimator, "label_names_"):
            raise NotFittedError(f"{type(self.estimator).__name__} is not fitted: fit it "
                                 "before calibrating its label sets.")
        self.label_names_ = list(self.estimator.label_names_)
        self.multilabel_ = bool(self.estimator.multilabel_)
        proba = np.asarray(proba, dtype=np.float64)
        Y = np.asarray(self.estimator.target_encoder_.transform(y))
        if proba.shape != (len(Y), len(self.label_names_)):
            raise ValueError(f"proba has shape {proba.shape}; expected ({len(Y)}, "
                             f"{len(self.label_names_)}): one row per text of y, one "
                             "column per label.")
        if self.multilabel_:
            labelled = Y.sum(axis=1) > 0
            proba, Y = proba[labelled], Y[labelled]
        minimum = int(np.ceil(1 / alpha)) - 1
        if len(Y) < max(minimum, 1):
            raise ValueError(
                f"{len(Y)} calibration texts{' with a label' if self.multilabel_ else ''} "
                f"are too few for alpha={alpha}: the guarantee needs at least {minimum}.")
        self.n_calibration_ = len(Y)
        given = _GivenProbabilities(len(self.label_names_))
        try:
            import mapie.classification
            import mapie.risk_control
        except ImportError as error:
            raise ImportError("conformal label sets need MAPIE: "
                              "pip install 'skemo[conformal]'") from error
        if self.multilabel_:
            self.mapie_ = mapie.risk_control.MultiLabelClassificationController(
                predict_function=given.predict_proba, risk="recall", method="crc",
                target_level=1 - alpha, predict_params=RECALL_THRESHOLDS).calibrate(proba, Y)
            self.threshold_ = float(np.ravel(self.mapie_.best_predict_param)[0])
        else:
            self.mapie_ = mapie.classification.SplitConformalClassifier(
                given, confidence_level=1 - alpha, conformity_score="lac",
                prefit=True).conformalize(proba, Y)
            self.threshold_ = None
        return self

    def sets_from_proba(self, proba):
        """The label sets of texts with probabilities ``proba``, as an indicator matrix.

        Parameters
        ----------
        proba : ndarray of shape (n_texts, n_labels)
            Probabilities, one row per text and one column per label.

        Returns
        -------
        ndarray of bool, shape (n_texts, n_labels)
        """
        from sklearn.exceptions import NotFittedError

        if not hasattr(self, "mapie_"):
            raise NotFittedError("This ConformalEmotionSets is not calibrated yet: call fit "
                                 "with held-out texts first.")
        proba = np.asarray(proba, dtype=np.float64)
        if self.multilabel_:
            return self.mapie_.predict(proba)[:, :, 0]
        return self.mapie_.predict_set(proba)[1][:, :, 0]

    def predict_sets(self, X):
        """The label set of each text of ``X``, as lists of label names.

        Parameters
        ----------
        X : sequence of str
            The texts, one string each.

        Returns
        -------
        list of list of str
            In the column order of ``predict_proba``.
        """
        sets = self.sets_from_proba(self.estimator.predict_proba(X))
        return [[self.label_names_[j] for j in np.flatnonzero(row)] for row in sets]
