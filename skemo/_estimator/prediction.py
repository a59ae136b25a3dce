"""Prediction: one batched path for every score, one function from probabilities to answers.

Every score of a text goes through :func:`predict_in_batches`: the
estimators' probabilities, embeddings (``transform``), auxiliary heads (e.g.
the valence head) and open-vocabulary label scores, through
``EmotionClassifierBase._predict_texts``, and
:class:`skemo.export.ONNXEmotionClassifier` with its onnxruntime session.
Texts are checked, sorted by length so that each batch pads little, scored
batch by batch, and the rows put back in input order.

Every answer comes from :func:`decide`: ``predict``, ``score``,
``predict_label_scores``, the validation macro-F1 of training and the ONNX
classifier's ``predict``.

Prediction never changes the estimator: the network to run (the fitted
module, its int8 copy, or a copy scoring other labels) and the precision
are arguments of the forward pass, so threads can share a fitted estimator.
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral

import numpy as np
import torch
from numpy.typing import ArrayLike
from sklearn.metrics import f1_score
from sklearn.utils._param_validation import validate_parameter_constraints
from sklearn.utils._set_output import _SetOutputMixin
from sklearn.utils.validation import check_is_fitted

from skemo.calibration import proba_from_scores, scores_from_proba
from skemo.thresholds import apply_thresholds
from skemo.utils._text_data import TextDataset, tokenize_texts
from skemo.utils._validation import check_texts

#: Prediction shows a progress bar (when ``verbose``) from this many batches.
PROGRESS_MIN_BATCHES = 20


def predict_in_batches(dataset, batches, run):
    """Score the rows of ``dataset`` in length-sorted batches; rows come back in input order.

    Parameters
    ----------
    dataset : skemo.utils._text_data.TextDataset
        The texts' token ids (or embeddings), with their lengths.
    batches : callable
        ``batches(sorted_dataset)`` iterates over ``(X, y)`` batches of the
        dataset it is given, in order (e.g. the estimator's ``get_iterator``).
    run : callable
        ``run(X)`` scores one batch: an array with one row per text.

    Returns
    -------
    ndarray
        Row ``i`` scores row ``i`` of ``dataset``.

    Examples
    --------
    >>> import numpy as np
    >>> from torch.utils.data import DataLoader
    >>> from skemo._estimator.prediction import predict_in_batches
    >>> from skemo.utils._text_data import PadCollator, TextDataset
    >>> dataset = TextDataset([[101, 7, 8, 102], [101, 102], [101, 9, 102]])
    >>> batches = lambda d: DataLoader(d, batch_size=2, collate_fn=PadCollator(0))
    >>> predict_in_batches(dataset, batches, lambda X: X["attention_mask"].sum(1).numpy())
    array([4, 2, 3])
    """
    order = np.argsort(dataset.lengths, kind="stable")
    scores, start = None, 0
    for X, _ in batches(dataset.subset(order)):
        block = run(X)
        if scores is None:
            scores = np.empty((len(dataset), *block.shape[1:]), dtype=block.dtype)
        scores[order[start:start + len(block)]] = block
        start += len(block)
    return scores


def thresholds_for(threshold, tuned, n_labels):
    """The per-label thresholds that a ``threshold`` parameter stands for.

    Parameters
    ----------
    threshold : float, "tuned" or "auto"
    tuned : array-like of shape (n_labels,) or None
        The tuned thresholds (``thresholds_``); ``"auto"`` takes them where
        there are some, and 0.5 otherwise.
    n_labels : int

    Returns
    -------
    ndarray of shape (n_labels,)

    Raises
    ------
    ValueError
        If ``threshold`` is ``"tuned"`` and there are no tuned thresholds.

    Examples
    --------
    >>> from skemo._estimator.prediction import thresholds_for
    >>> thresholds_for(0.3, None, 2).tolist()
    [0.3, 0.3]
    """
    if threshold == "auto":
        return np.full(n_labels, 0.5) if tuned is None else np.asarray(tuned)
    if threshold != "tuned":
        return np.full(n_labels, float(threshold))
    if tuned is None:
        raise ValueError(
            "threshold='tuned' but this estimator has no tuned thresholds "
            "(thresholds_ is None): it was fitted without a validation split, "
            "or is a checkpoint saved before the end of its fit. Set a float "
            "threshold, e.g. set_params(threshold=0.5), or refit with "
            "validation_fraction.")
    return np.asarray(tuned)


def decide(proba, targets, thresholds=None, *, encoded=False):
    """The answer for probabilities ``proba``: the one way from scores to labels.

    Multi-label, every label whose probability reaches its threshold
    (:func:`skemo.thresholds.apply_thresholds`); single-label, the most
    probable label.

    Parameters
    ----------
    proba : ndarray of shape (n_texts, n_labels)
    targets : skemo.utils._targets.TargetConverter
        Fitted on the estimator's ``y``: whether it is multi-label, and the
        kind of ``y`` to answer in.
    thresholds : float, array-like of shape (n_labels,) or None, default=None
        The decision thresholds (multi-label only).
    encoded : bool, default=False
        Answer with the encoded decisions (an indicator matrix, or class
        ids) instead of in the kind of ``y`` the estimator was fitted on.

    Returns
    -------
    ndarray or list of lists
        An indicator matrix, label lists or labels, as ``y`` was.

    Examples
    --------
    >>> import numpy as np
    >>> from skemo._estimator.prediction import decide
    >>> from skemo.utils._targets import TargetConverter
    >>> targets = TargetConverter().fit([["joy"], ["anger", "joy"]])
    >>> decide(np.array([[0.7, 0.2], [0.1, 0.9]]), targets, 0.5)
    [['anger'], ['joy']]
    """
    if targets.multilabel:
        decisions = apply_thresholds(proba, thresholds)
    else:
        decisions = np.asarray(proba).argmax(axis=1)
    return decisions if encoded else targets.inverse_transform(decisions)


class PredictionMixin(_SetOutputMixin):
    """Scores and answers of a fitted estimator (see the module docstring).

    scikit-learn's ``_SetOutputMixin`` gives :meth:`transform` its
    ``set_output(transform="pandas")``, with the columns named by
    :meth:`get_feature_names_out`.
    """

    def _predict_texts(self, X, score, *, precision=None, module=None):
        """``score`` of the network's output for every text of ``X``, one row per text.

        The batched prediction path of the estimators (:func:`predict_in_batches`):
        texts checked and tokenised (``get_dataset``), sorted by length,
        batched (``get_iterator``) and run through ``infer`` in
        ``precision``; rows in the order of ``X``.

        Parameters
        ----------
        X : sequence of str or tokenised texts
            Texts, or texts already tokenised as :meth:`tokenized_texts`
            does (estimators sharing a tokenizer then tokenise once, e.g.
            the members of :class:`skemo.ensemble.EmotionEnsemble`).
        score : callable
            Turns the network's output for a batch into an array with one row
            per text (e.g. :meth:`proba_from_output`).
        precision : str or None, default=None
            None: the ``precision`` parameter.
        module : torch.nn.Module or None, default=None
            The network to run; None: the one ``precision`` predicts with
            (``module_``, or its int8 copy).

        Returns
        -------
        ndarray
        """
        check_is_fitted(self, ["classes_", "module_"])
        self._check_predict_parameters()
        precision = self.precision if precision is None else precision
        dataset = X if isinstance(X, TextDataset) else self.get_dataset(check_texts(X))
        self.module_.eval()
        if module is None:
            module = self._prediction_module(precision)

        def run(batch):
            with torch.inference_mode():
                return score(self.infer(batch, module=module, precision=precision))

        return predict_in_batches(dataset, self._prediction_batches, run)

    def tokenized_texts(self, X):
        """Texts ``X`` tokenised as prediction reads them, to predict from more than once.

        ``predict_proba``, ``predict`` and ``transform`` take the result in
        place of the texts, and so does every estimator whose tokenisation
        this one shares (:meth:`tokenization_key`): estimators on one
        tokenizer tokenise a batch of texts once.

        Parameters
        ----------
        X : sequence of str
            The texts, one string each.

        Returns
        -------
        TextDataset
            The texts' token ids, in the form ``predict_proba`` takes.

        Raises
        ------
        ValueError
            If the encoder is frozen (``freeze_encoder``): prediction then reads
            the frozen encoder's embeddings, not token ids.
        """
        check_is_fitted(self, ["classes_", "module_"])
        if self.tokenization_key() is None:
            raise ValueError(f"{type(self).__name__} with freeze_encoder=True predicts "
                             "from embeddings of its frozen encoder, not token ids; "
                             "pass it the texts.")
        return TextDataset(tokenize_texts(self.tokenizer_, check_texts(X), self.max_length))

    def tokenization_key(self):
        """What :meth:`tokenized_texts` depends on; equal keys mean equal token ids.

        The tokenizer's full serialisation (vocabulary, normalisation,
        special tokens) and ``max_length``; None where the estimator does
        not predict from token ids (a frozen encoder, or a slow tokenizer
        that cannot be serialised).

        Returns
        -------
        tuple or None
        """
        check_is_fitted(self, ["classes_", "module_"])
        encoder = self._text_encoder()
        backend = getattr(self.tokenizer_, "backend_tokenizer", None)
        if encoder is None or encoder.frozen or backend is None:
            return None
        return backend.to_str(), self.max_length

    def _prediction_batches(self, dataset):
        """``get_iterator`` over ``dataset``, behind a progress bar for long runs (``verbose``)."""
        batches = self.get_iterator(dataset)
        if self.verbose and -(-len(dataset) // self.batch_size) >= PROGRESS_MIN_BATCHES:
            from tqdm.auto import tqdm

            batches = tqdm(batches, desc="predict", unit="batch")
        return batches

    @staticmethod
    def scores_from_output(output):
        """The label logits in a module output (a tensor, or a tuple's first item)."""
        return output[0] if isinstance(output, tuple) else output

    def proba_tensor_from_output(self, output):
        """Probabilities (a float32 tensor, differentiable) from a module output, uncalibrated."""
        scores = self.scores_from_output(output).float()
        return torch.sigmoid(scores) if self.multilabel_ else torch.softmax(scores, -1)

    def proba_from_output(self, output):
        """Probabilities (numpy, float32) from a module output, before calibration."""
        return self.proba_tensor_from_output(output).detach().cpu().numpy()

    def predict_proba(self, X: Sequence[str]) -> np.ndarray:
        """Label probabilities for texts ``X``.

        Parameters
        ----------
        X : sequence of str
            The texts, one string each, or the texts tokenised once by :meth:`tokenized_texts`.

        Returns
        -------
        ndarray of shape (n_texts, n_labels)
            Independent sigmoid probabilities (multi-label), or a softmax
            distribution per row (single-label).
        """
        return self._calibrated(self._predict_texts(X, self.proba_from_output))

    def _calibrated(self, proba, labels=None):
        """``proba`` rescaled by the fitted temperatures, where there are some.

        The temperatures divide the scores behind the probabilities (their
        log-odds, or log-probabilities for a softmax), so they apply to
        whatever view a method computes its probabilities from
        (:mod:`skemo.calibration`). ``labels`` names the columns when they
        are not ``classes_`` (open-vocabulary scoring): a label seen in
        training (a class or its name) keeps its temperature, any other
        takes their geometric mean.
        """
        temperatures = self._temperatures_for(labels)
        if temperatures is None:
            return proba
        scores = scores_from_proba(proba, self.multilabel_) / temperatures
        return proba_from_scores(scores, self.multilabel_).astype(np.float32)

    def _temperatures_for(self, labels=None):
        """The temperatures of columns ``labels`` (None: ``classes_``); None if uncalibrated."""
        temperatures = getattr(self, "temperatures_", None)
        if temperatures is None or labels is None:
            return temperatures
        own = {**dict(zip(np.asarray(self.classes_).tolist(), temperatures)),
               **dict(zip(self.label_names_, temperatures))}
        pooled = float(np.exp(np.mean(np.log(temperatures))))
        return np.array([own.get(name, pooled) for name in labels], dtype=np.float32)

    def transform(self, X: Sequence[str]) -> np.ndarray:
        """The pooled text embeddings of the fitted encoder, one row per text.

        The encoder's token states pooled as the module pools them (see
        ``pooling``), before any head or projection of the method, in float32
        where ``precision`` runs the int8 encoder. With
        ``pooling="mean+normalize"`` the default MiniLM gives the embeddings
        of sentence-transformers' ``encode``. With ``freeze_encoder`` they are
        the frozen encoder's, read from the embedding cache where
        ``cache_dir`` holds them. :meth:`set_output` makes them a DataFrame
        with the columns :meth:`get_feature_names_out` names.

        Parameters
        ----------
        X : sequence of str
            The texts, one string each.

        Returns
        -------
        ndarray of shape (n_texts, hidden_size), float32

        Examples
        --------
        >>> from skemo import FineTunedEmotionClassifier
        >>> from skemo.datasets import load_goemotions_sample
        >>> data = load_goemotions_sample()
        >>> clf = FineTunedEmotionClassifier(max_epochs=0, label_names=data.target_names)
        >>> clf.fit(data.data[:32], data.target[:32]).transform(["thanks!"]).shape
        (1, 384)
        """
        check_is_fitted(self, ["classes_", "module_"])
        return self._predict_texts(X, lambda pooled: pooled.float().cpu().numpy(),
                                   module=self._text_encoder())

    def get_feature_names_out(self, input_features=None):
        """The names of the columns of :meth:`transform`: ``embedding0``, ``embedding1``, ...

        One name per dimension of the pooled text embeddings, whatever the
        text column is called, so that ``set_output(transform="pandas")``,
        :class:`~sklearn.pipeline.Pipeline` and
        :class:`~sklearn.compose.ColumnTransformer` can name them.

        Parameters
        ----------
        input_features : None or array-like of one str, default=None
            The name of the text column (what ``ColumnTransformer`` passes);
            it does not change the names.

        Returns
        -------
        ndarray of str objects, of shape (hidden_size,)

        Raises
        ------
        ValueError
            If ``input_features`` names more or fewer than one column: the
            input is one column of texts.

        Examples
        --------
        >>> from skemo import FineTunedEmotionClassifier
        >>> from skemo.datasets import load_goemotions_sample
        >>> data = load_goemotions_sample()
        >>> clf = FineTunedEmotionClassifier(max_epochs=0, label_names=data.target_names)
        >>> clf.fit(data.data[:32], data.target[:32]).get_feature_names_out()[:2]
        array(['embedding0', 'embedding1'], dtype=object)
        """
        check_is_fitted(self, ["classes_", "module_"])
        if input_features is not None and (isinstance(input_features, str)
                                           or len(input_features) != 1):
            raise ValueError(f"input_features must name the one column of texts; got "
                             f"{input_features!r}.")
        width = self._text_encoder().hidden_size
        return np.asarray([f"embedding{i}" for i in range(width)], dtype=object)

    def set_output(self, *, transform=None):
        """Have :meth:`transform` return a DataFrame, or arrays again.

        scikit-learn's ``set_output``: the DataFrame's columns are named by
        :meth:`get_feature_names_out`, and its rows take the index of a
        pandas ``X``. Pipelines and ``ColumnTransformer`` call it on their steps.

        Parameters
        ----------
        transform : {"default", "pandas", "polars"} or None, default=None
            ``"default"``: numpy arrays; ``"pandas"`` or ``"polars"``: a
            DataFrame of that library; None: leave the setting as it is.

        Returns
        -------
        self
        """
        return super().set_output(transform=transform)

    def decision_thresholds(self, threshold=None):
        """The per-label thresholds ``predict`` applies (multi-label only).

        Parameters
        ----------
        threshold : float, "tuned", "auto" or None, default=None
            The thresholds another ``threshold`` would apply, without
            setting it; None: the ``threshold`` parameter.

        Returns
        -------
        ndarray of shape (n_labels,)

        Raises
        ------
        ValueError
            If ``threshold`` is not a number in [0, 1], ``"tuned"`` or ``"auto"``, or is
            ``"tuned"`` while the estimator has no tuned thresholds (fitted
            without a validation split, or loaded from a mid-fit checkpoint).

        Examples
        --------
        >>> import skemo
        >>> clf = skemo.pretrained("goemotions")  # doctest: +SKIP
        >>> clf.decision_thresholds(0.3)[:2]  # doctest: +SKIP
        array([0.3, 0.3])
        """
        threshold = self.threshold if threshold is None else threshold
        validate_parameter_constraints(
            {"threshold": self._parameter_constraints["threshold"]},
            {"threshold": threshold}, caller_name=type(self).__name__)
        if threshold == "tuned":
            check_is_fitted(self, "thresholds_")
        return thresholds_for(threshold, getattr(self, "thresholds_", None),
                              len(self.classes_))

    def _decide(self, proba, *, encoded=False, threshold=None):
        """:func:`decide` with this estimator's targets and thresholds (or ``threshold``'s)."""
        thresholds = self.decision_thresholds(threshold) if self.multilabel_ else None
        return decide(proba, self.target_encoder_, thresholds, encoded=encoded)

    def predict(self, X: Sequence[str]) -> np.ndarray | list[list[str]]:
        """Predict labels, in the same kind of ``y`` the estimator was fitted on.

        Parameters
        ----------
        X : sequence of str
            The texts, one string each.

        Returns
        -------
        ndarray or list of lists
            An indicator matrix, label lists or labels, as ``y`` was.
        """
        return self._decide(self.predict_proba(X))

    def predict_label_scores(self, X, top_k=None):
        """For each text, its labels with their probabilities, most probable first.

        The output of ``transformers.pipeline("text-classification")``: one
        list per text of ``{"label": name, "score": probability}``.

        Parameters
        ----------
        X : sequence of str
            The texts, one string each.
        top_k : None, int or "all", default=None
            None: the labels :meth:`predict` assigns (thresholds applied;
            the most probable one for single-label models). An int ``k``: the
            ``k`` most probable labels, whatever the thresholds. ``"all"``:
            every label.

        Returns
        -------
        list of list of dict

        Examples
        --------
        >>> import skemo
        >>> clf = skemo.pretrained("goemotions")  # doctest: +SKIP
        >>> clf.predict_label_scores(["Thank you so much!"], top_k=1)  # doctest: +SKIP
        [[{'label': 'gratitude', 'score': 0.97}]]
        """
        return self._label_scores(self.predict_proba(X), top_k)

    def _label_scores(self, proba, top_k, threshold=None):
        """:meth:`predict_label_scores` from the probabilities ``proba``.

        ``threshold`` replaces the ``threshold`` parameter (None keeps it).
        """
        if not (top_k is None or top_k == "all"
                or (isinstance(top_k, Integral) and not isinstance(top_k, bool) and top_k >= 1)):
            raise ValueError(f"top_k must be None, a positive int or 'all', got {top_k!r}.")
        if top_k is not None:
            chosen = np.ones_like(proba, dtype=bool)
        elif self.multilabel_:
            chosen = self._decide(proba, encoded=True, threshold=threshold).astype(bool)
        else:
            chosen = np.eye(proba.shape[1], dtype=bool)[self._decide(proba, encoded=True)]
        limit = None if top_k in (None, "all") else top_k
        names = self.label_names_
        return [[{"label": names[j], "score": float(row[j])}
                 for j in np.argsort(-row, kind="stable") if picks[j]][:limit]
                for row, picks in zip(proba, chosen)]

    def _prediction_records(self, texts, proba, top_k=None, threshold=None):
        """The answer of ``skemo predict`` (JSON lines) and ``skemo serve`` for each text.

        Parameters
        ----------
        texts : sequence of str
        proba : ndarray of shape (n_texts, n_labels)
            The texts' probabilities (:meth:`predict_proba`).
        top_k, threshold
            As in :meth:`_label_scores`.

        Returns
        -------
        list of dict
            ``{"text": text, "labels": [...], "scores": [...], "probabilities":
            {label: p}}`` per text, the chosen labels most probable first and
            every number rounded to 4 decimals.
        """
        names = self.label_names_
        return [{"text": text,
                 "labels": [item["label"] for item in labels],
                 "scores": [round(item["score"], 4) for item in labels],
                 "probabilities": {label: round(float(p), 4) for label, p in zip(names, row)}}
                for text, row, labels in zip(texts, proba,
                                             self._label_scores(proba, top_k, threshold))]

    def score(self, X: Sequence[str], y: ArrayLike, sample_weight: ArrayLike | None = None
              ) -> float:
        """Macro-averaged F1 of ``predict(X)`` against ``y``.

        skemo's estimators score with macro-F1 (not accuracy): emotion label
        sets are imbalanced, and macro-F1 weighs rare emotions like common ones.

        Parameters
        ----------
        X : sequence of str
            The texts, one string each.
        y : indicator matrix, label lists or 1-D labels
            Of the kind the estimator was fitted on.
        sample_weight : array-like of shape (n_texts,) or None, default=None
            Weights of the texts in the macro-F1; None weighs them equally.

        Returns
        -------
        float
        """
        check_is_fitted(self, ["classes_", "module_"])
        Y = self.target_encoder_.transform(y)
        pred = self._decide(self.predict_proba(X), encoded=True)
        return f1_score(Y, pred, average="macro", sample_weight=sample_weight,
                        zero_division=0)
