"""Ensembles of skemo estimators: averaged probabilities, thresholds of their own.

:class:`EmotionEnsemble` averages the (calibrated) probabilities of fitted
skemo estimators -- any methods, any seeds -- and decides from the average
with its own per-label thresholds, tuned on texts its members did not train
on (:func:`skemo.thresholds.tune_thresholds`, the rule each estimator applies
to its own validation split), and answers through the decision function
every estimator's ``predict`` uses.

scikit-learn's :class:`~sklearn.ensemble.VotingClassifier` does not fit
here: it refuses multi-label targets (``NotImplementedError: VotingClassifier
only supports binary or multiclass classification. Multilabel and
multi-output classification are not supported.``), and its soft vote has no
per-label thresholds. The ensemble keeps scikit-learn's contract for heterogeneous
ensembles (``estimators`` as ``(name, estimator)`` pairs, nested
``get_params``/``set_params`` such as ``taco__lr``, ``clone``,
``Pipeline``, ``GridSearchCV``), and saves without pickle: a directory
holding each member's own save (:mod:`skemo.persistence`) and
``ensemble.json``, which :func:`skemo.load` reads back.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from numbers import Real
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import ClassifierMixin, clone
from sklearn.frozen import FrozenEstimator
from sklearn.metrics import f1_score
from sklearn.utils import Bunch, check_random_state
from sklearn.utils._param_validation import (
    Interval,
    StrOptions,
    validate_parameter_constraints,
)
from sklearn.utils.metaestimators import _BaseComposition
from sklearn.utils.validation import check_is_fitted

from skemo._estimator.prediction import decide, thresholds_for
from skemo.base import EmotionClassifierBase
from skemo.model_selection import validation_split
from skemo.persistence import class_path, recover_directory, write_directory_atomically
from skemo.thresholds import tune_thresholds
from skemo.utils._targets import TargetConverter, as_targets
from skemo.utils._validation import check_texts

__all__ = ["ENSEMBLE_FILE", "EmotionEnsemble", "is_ensemble_save"]

#: The file that makes a directory an ensemble's save (beside ``members/``).
ENSEMBLE_FILE = "ensemble.json"
FORMAT_VERSION = 1
#: Member names are directory names in a save, and parameter prefixes.
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def is_ensemble_save(path):
    """Whether directory ``path`` holds a save of :class:`EmotionEnsemble`.

    Examples
    --------
    >>> from skemo.ensemble import is_ensemble_save
    >>> is_ensemble_save("no-such-directory")
    False
    """
    path = Path(path)
    if not path.exists():
        recover_directory(path)
    return (path / ENSEMBLE_FILE).is_file()


def _member(estimator):
    """The skemo estimator inside a member (unwrapping :class:`~sklearn.frozen.FrozenEstimator`)."""
    return estimator.estimator if isinstance(estimator, FrozenEstimator) else estimator


def _rows(y, indices):
    """Rows ``indices`` of targets ``y``, of the kind ``y`` is."""
    if hasattr(y, "iloc"):
        return y.iloc[indices]
    if hasattr(y, "ndim"):
        return y[indices]
    return [y[i] for i in indices]


class EmotionEnsemble(ClassifierMixin, _BaseComposition):
    """Average the probabilities of skemo estimators; decide with thresholds of its own.

    Members are fitted on the training texts less a held-out split
    (``validation_fraction``); each calibrates its probabilities on a split
    of its own. The ensemble averages the members' probabilities (weighted
    by ``weights``) and, multi-label, tunes per-label thresholds on the
    held-out split with :func:`skemo.thresholds.tune_thresholds`, as every
    estimator tunes its own. Single-label, it answers the most probable
    class of the averaged distribution.

    Members that share a tokenizer and ``max_length`` (e.g. several methods
    on the same encoder) tokenise the texts once per prediction
    (:meth:`~skemo.base.EmotionClassifierBase.tokenized_texts`).

    Parameters
    ----------
    estimators : list of (str, estimator)
        The members, by name: skemo estimators (any method, any seed). A
        name is a parameter prefix (``taco__lr``) and a directory in a save:
        letters, digits, ``_``, ``.`` and ``-``, without ``__``. ``"drop"``
        in place of an estimator leaves that member out.
        :class:`~sklearn.frozen.FrozenEstimator` keeps a fitted member as it
        is while the others are fitted.
    weights : array-like of shape (n_estimators,) or None, default=None
        Weight of each member's probabilities in the average; None weighs
        them equally. Read at prediction time, so it can be changed after
        ``fit`` (the thresholds stay those tuned with the weights of the fit).
    threshold : float, "tuned" or "auto", default="auto"
        Multi-label decision threshold on the averaged probabilities, as in
        the estimators: ``"tuned"`` uses ``thresholds_``, ``"auto"`` uses them
        where the fit had a held-out split and 0.5 otherwise. Read at
        prediction time.
    validation_fraction : float or None, default=0.1
        Fraction of the fit data held out (multilabel-stratified) from the
        members' training, on which the ensemble's thresholds are tuned;
        None fits the members on all of it and tunes no thresholds.
    prefit : bool, default=False
        The members are fitted already (as scikit-learn's
        :class:`~sklearn.ensemble.StackingClassifier` with ``cv="prefit"``):
        ``fit`` uses them as they are, not cloned, and tunes the thresholds
        on all of ``X, y``, which must then be texts the members did not
        train on. ``validation_fraction`` is not used.
    label_names : sequence of str or None, default=None
        Names of the columns of an indicator ``y``, passed to the members
        that are fitted here unless they name their own.
    random_state : int, RandomState or None, default=None
        Seeds the held-out split (the members keep their own seeds).

    Attributes
    ----------
    estimators_ : list of estimator
        The fitted members, in the order of ``estimators`` (dropped ones left out).
    named_estimators_ : sklearn.utils.Bunch
        The fitted members by name.
    classes_ : ndarray
        The labels, in the column order of ``predict_proba``.
    label_names_ : list of str
    multilabel_ : bool
    thresholds_ : ndarray of shape (n_labels,) or None
        Per-label thresholds tuned on the held-out split (multi-label).
    validation_indices_ : ndarray or None
        Positions in the fit data of the held-out texts.

    Examples
    --------
    >>> from skemo import FineTunedEmotionClassifier, TACOClassifier
    >>> from skemo.ensemble import EmotionEnsemble
    >>> from skemo.datasets import load_goemotions_sample
    >>> data = load_goemotions_sample()
    >>> ensemble = EmotionEnsemble([
    ...     ("baseline", FineTunedEmotionClassifier(max_epochs=1, random_state=0)),
    ...     ("taco", TACOClassifier(max_epochs=1, random_state=0))],
    ...     label_names=data.target_names)
    >>> ensemble.get_params()["taco__max_epochs"]
    1
    >>> ensemble.fit(data.data[:64], data.target[:64]).predict_proba(["thanks!"]).shape
    ... # doctest: +SKIP
    (1, 28)
    """

    _parameter_constraints = {
        "estimators": [list],
        "weights": [None, "array-like"],
        "threshold": [Interval(Real, 0, 1, closed="both"), StrOptions({"tuned", "auto"})],
        "validation_fraction": [None, Interval(Real, 0, 1, closed="neither")],
        "prefit": ["boolean"],
        "label_names": [None, "array-like"],
        "random_state": ["random_state"],
    }

    def __init__(self, estimators, *, weights=None, threshold="auto",
                 validation_fraction=0.1, prefit=False, label_names=None,
                 random_state=None):
        self.estimators = estimators
        self.weights = weights
        self.threshold = threshold
        self.validation_fraction = validation_fraction
        self.prefit = prefit
        self.label_names = label_names
        self.random_state = random_state

    # ------------------------------------------------------------ parameters
    def get_params(self, deep=True):
        """Parameters of the ensemble and, with ``deep``, of its members (``name__param``).

        Returns
        -------
        dict
        """
        return self._get_params("estimators", deep=deep)

    def set_params(self, **params):
        """Set parameters of the ensemble, replace members by name, or set theirs (``name__param``).

        Returns
        -------
        self
        """
        self._set_params("estimators", **params)
        return self

    @property
    def named_estimators(self):
        """The members given (fitted or not) by name.

        Returns
        -------
        sklearn.utils.Bunch
        """
        return Bunch(**dict(self.estimators))

    def _check_parameters(self):
        """The members kept and their weights, or a ValueError/TypeError naming the problem."""
        validate_parameter_constraints(self._parameter_constraints,
                                       self.get_params(deep=False),
                                       caller_name=type(self).__name__)
        if not self.estimators or not all(
                isinstance(item, tuple) and len(item) == 2 for item in self.estimators):
            raise ValueError("estimators must be a non-empty list of (name, estimator) "
                             "pairs.")
        names = [name for name, _ in self.estimators]
        self._validate_names(names)
        bad = [name for name in names if not (isinstance(name, str) and _NAME.match(name))]
        if bad:
            raise ValueError(f"member names {bad} are not usable as directory names; use "
                             "letters, digits, '_', '.' and '-'.")
        for name, est in self.estimators:
            if est != "drop" and not isinstance(_member(est), EmotionClassifierBase):
                raise TypeError(f"member {name!r} is a {type(est).__name__}, not a skemo "
                                "estimator (a subclass of EmotionClassifierBase).")
        kept = [i for i, (_, est) in enumerate(self.estimators) if est != "drop"]
        if not kept:
            raise ValueError("every member is 'drop'; keep at least one.")
        if self.threshold == "tuned" and (self.validation_fraction is None
                                          and not self.prefit):
            raise ValueError("threshold='tuned' needs a held-out split to tune on; set "
                             "validation_fraction (e.g. 0.1), prefit=True, or a float "
                             "threshold.")
        if self.weights is None:
            return kept, None
        weights = np.asarray(self.weights, dtype=np.float64)
        if weights.shape != (len(self.estimators),):
            raise ValueError(f"weights has {weights.size} values for "
                             f"{len(self.estimators)} estimators; give one per estimator.")
        weights = weights[kept]
        if not (np.all(np.isfinite(weights)) and np.all(weights >= 0) and weights.sum() > 0):
            raise ValueError("weights must be finite, non-negative, and not all 0 for the "
                             "members kept.")
        return kept, weights

    # ------------------------------------------------------------------- fit
    def fit(self, X: Sequence[str], y: ArrayLike) -> EmotionEnsemble:
        """Fit the members on ``X, y`` less a held-out split, then tune the thresholds on it.

        Parameters
        ----------
        X : sequence of str
            The training texts, one string each.
        y : indicator matrix (n, L), list of label lists, or 1-D labels
            Their labels, in any form the members take.

        Returns
        -------
        self

        Raises
        ------
        ValueError
            If a fitted member has other labels (or another kind of target)
            than ``y``.
        """
        kept, _ = self._check_parameters()
        texts = check_texts(X)
        y = as_targets(y)
        n_rows = y.shape[0] if hasattr(y, "shape") else len(y)
        if n_rows != len(texts):
            raise ValueError(f"X has {len(texts)} texts but y has {n_rows} rows.")
        targets = TargetConverter(self.label_names).fit(y)
        Y = targets.transform(y)
        if self.prefit:
            train, valid = None, np.arange(len(texts))
            members = [self.estimators[i] for i in kept]
        else:
            if self.validation_fraction is None:
                train, valid = np.arange(len(texts)), None
            else:
                seed = check_random_state(self.random_state).randint(2**31 - 1)
                train, valid = validation_split(Y, self.validation_fraction, seed)
            members = [(name, self._fitted_member(est, [texts[i] for i in train],
                                                  _rows(y, train)))
                       for name, est in (self.estimators[i] for i in kept)]
        for name, est in members:
            self._check_member(name, est, targets)
        self.estimators_ = [est for _, est in members]
        self.named_estimators_ = Bunch(**dict(members))
        self.target_encoder_ = targets
        self.classes_ = targets.classes_
        self.label_names_ = targets.label_names_
        self.multilabel_ = targets.multilabel
        self.validation_indices_ = valid
        self.thresholds_ = None
        if valid is not None and self.multilabel_:
            proba = self.predict_proba([texts[i] for i in valid])
            self.thresholds_ = tune_thresholds(Y[valid], proba, default=0.5)
        return self

    def _fitted_member(self, estimator, texts, y):
        """A clone of ``estimator`` fitted on ``texts, y`` (a frozen member as it is)."""
        member = clone(estimator)
        if self.label_names is not None and "label_names" in member.get_params() \
                and member.get_params()["label_names"] is None:
            member.set_params(label_names=self.label_names)
        return member.fit(texts, y)

    @staticmethod
    def _check_member(name, estimator, targets):
        """Raise unless the fitted member predicts the labels of ``targets``, in their order."""
        member = _member(estimator)
        check_is_fitted(member, ["classes_", "module_"])
        if (member.multilabel_ != targets.multilabel
                or list(map(str, member.classes_)) != list(map(str, targets.classes_))):
            raise ValueError(
                f"member {name!r} predicts the labels {list(member.label_names_)} "
                f"({'multi' if member.multilabel_ else 'single'}-label), but y has "
                f"{list(targets.label_names_)} "
                f"({'multi' if targets.multilabel else 'single'}-label); every member must "
                "be fitted on the labels of y, in the same order.")

    # ------------------------------------------------------------ prediction
    def member_probas(self, X: Sequence[str]) -> list[np.ndarray]:
        """Each member's (calibrated) probabilities for texts ``X``.

        Members that share a tokenisation
        (:meth:`~skemo.base.EmotionClassifierBase.tokenization_key`) read one
        tokenisation of the texts.

        Parameters
        ----------
        X : sequence of str
            The texts, one string each.

        Returns
        -------
        list of ndarray of shape (n_texts, n_labels)
            In the order of ``estimators_``.
        """
        check_is_fitted(self, "estimators_")
        texts = check_texts(X)
        members = [_member(est) for est in self.estimators_]
        tokenized = {}
        probas = []
        for member in members:
            key = member.tokenization_key()
            if key is None:
                probas.append(member.predict_proba(texts))
                continue
            if key not in tokenized:
                tokenized[key] = member.tokenized_texts(texts)
            probas.append(member.predict_proba(tokenized[key]))
        return probas

    def predict_proba(self, X: Sequence[str]) -> np.ndarray:
        """The members' probabilities for texts ``X``, averaged with ``weights``.

        Parameters
        ----------
        X : sequence of str
            The texts, one string each.

        Returns
        -------
        ndarray of shape (n_texts, n_labels), float32
        """
        probas = self.member_probas(X)
        return np.average(np.stack(probas), axis=0,
                          weights=self._member_weights()).astype(np.float32)

    def _member_weights(self):
        """The weights of the members in ``estimators_`` (read at prediction, as ``threshold``)."""
        kept, weights = self._check_parameters()
        if len(kept) != len(self.estimators_):
            raise ValueError(f"estimators names {len(kept)} members but the ensemble was "
                             f"fitted with {len(self.estimators_)}; refit it.")
        return weights

    def decision_thresholds(self):
        """The per-label thresholds ``predict`` applies (multi-label only).

        Returns
        -------
        ndarray of shape (n_labels,)
        """
        check_is_fitted(self, "estimators_")
        validate_parameter_constraints(
            {"threshold": self._parameter_constraints["threshold"]},
            {"threshold": self.threshold}, caller_name=type(self).__name__)
        if self.threshold == "tuned" and self.thresholds_ is None:
            raise ValueError("threshold='tuned' but this ensemble has no tuned thresholds "
                             "(it was fitted without a held-out split); set a float "
                             "threshold, or refit with validation_fraction.")
        return thresholds_for(self.threshold, self.thresholds_, len(self.classes_))

    def _decide(self, proba, *, encoded=False):
        thresholds = self.decision_thresholds() if self.multilabel_ else None
        return decide(proba, self.target_encoder_, thresholds, encoded=encoded)

    def predict(self, X: Sequence[str]) -> np.ndarray | list[list[str]]:
        """Predict labels, in the kind of ``y`` the ensemble was fitted on.

        Parameters
        ----------
        X : sequence of str
            The texts, one string each.

        Returns
        -------
        ndarray or list of lists
        """
        return self._decide(self.predict_proba(X))

    def score(self, X: Sequence[str], y: ArrayLike, sample_weight: ArrayLike | None = None
              ) -> float:
        """Macro-averaged F1 of ``predict(X)`` against ``y``, as the estimators score.

        Returns
        -------
        float
        """
        check_is_fitted(self, "estimators_")
        Y = self.target_encoder_.transform(y)
        pred = self._decide(self.predict_proba(X), encoded=True)
        return f1_score(Y, pred, average="macro", sample_weight=sample_weight,
                        zero_division=0)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.classifier_tags.multi_label = True
        return tags

    # ------------------------------------------------------------ persistence
    def save(self, path):
        """Save the fitted ensemble to directory ``path``, without pickle.

        The directory holds ``ensemble.json`` (the member names, weights,
        threshold, tuned thresholds and labels) and ``members/<name>/``, each
        member's own save (:meth:`~skemo.base.EmotionClassifierBase.save`).
        The save is atomic as an estimator's is
        (:func:`skemo.persistence.write_directory_atomically`). Load it with
        :func:`skemo.load` or :meth:`from_pretrained`.

        Parameters
        ----------
        path : str or path-like
            The directory of the save.
        """
        check_is_fitted(self, "estimators_")
        names = list(self.named_estimators_)
        weights = self._member_weights()

        def write(directory):
            for name, est in zip(names, self.estimators_):
                folder = directory / "members" / name
                folder.mkdir(parents=True)
                _member(est)._save_pretrained(folder)
            meta = {
                "format_version": FORMAT_VERSION,
                "class": class_path(type(self)),
                "members": names,
                "weights": None if weights is None else weights.tolist(),
                "params": {"threshold": self.threshold,
                           "validation_fraction": self.validation_fraction,
                           "prefit": self.prefit},
                "target": {"kind": self.target_encoder_.kind,
                           "classes": self.classes_.tolist(),
                           "label_names": list(self.label_names_)},
                "thresholds": None if self.thresholds_ is None else self.thresholds_.tolist(),
            }
            (directory / ENSEMBLE_FILE).write_text(json.dumps(meta, indent=2))

        def refuse(path):
            if path.is_file() or (path.is_dir() and any(path.iterdir())
                                  and not (path / ENSEMBLE_FILE).is_file()):
                raise ValueError(f"cannot save to {path}: it is a file or a directory "
                                 "holding files that are not an ensemble's save; give a "
                                 "new or empty directory.")

        path = Path(path)
        refuse(path)
        write_directory_atomically(path, write, check=refuse)

    save_pretrained = save

    @classmethod
    def from_pretrained(cls, path, *, device=None):
        """Load an ensemble saved with :meth:`save`.

        Parameters
        ----------
        path : str or path-like
            The directory of the save.
        device : str or None, default=None
            As in :func:`skemo.load`, for every member.

        Returns
        -------
        EmotionEnsemble
            Fitted.

        Raises
        ------
        ValueError
            If ``ensemble.json`` is missing, corrupt, of an unknown format, or
            names a member whose save is not complete.
        """
        path = Path(path)
        file = path / ENSEMBLE_FILE
        if not is_ensemble_save(path):
            raise ValueError(f"{path} is not a saved ensemble: {ENSEMBLE_FILE} is missing.")
        try:
            meta = json.loads(file.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise ValueError(f"{file} is not valid JSON ({error}).") from error
        if not isinstance(meta, dict) or meta.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"{file} is not an ensemble save of format {FORMAT_VERSION}.")
        for key in ("members", "weights", "params", "target", "thresholds"):
            if key not in meta:
                raise ValueError(f"{file} is corrupt: the key {key!r} is missing.")
        names = meta["members"]
        members = [EmotionClassifierBase._load(path / "members" / name, device=device)
                   for name in names]
        ensemble = cls(list(zip(names, members)), weights=meta["weights"], **meta["params"])
        target = meta["target"]
        targets = TargetConverter.from_state(target["kind"], target["classes"],
                                             target["label_names"])
        for name, est in zip(names, members):
            cls._check_member(name, est, targets)
        ensemble.estimators_ = members
        ensemble.named_estimators_ = Bunch(**dict(zip(names, members)))
        ensemble.target_encoder_ = targets
        ensemble.classes_ = targets.classes_
        ensemble.label_names_ = targets.label_names_
        ensemble.multilabel_ = targets.multilabel
        ensemble.thresholds_ = (None if meta["thresholds"] is None
                                else np.asarray(meta["thresholds"], dtype=np.float64))
        ensemble.validation_indices_ = None
        return ensemble
