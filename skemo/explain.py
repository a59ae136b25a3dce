"""Which words carried a prediction: word attributions per emotion label.

An attribution says how much each word of a text moved one label's
probability (as ``predict_proba`` reports it, calibration included).
Words are those of the original text -- runs of letters and digits, with
inner apostrophes (``"don't"``), or of punctuation (:func:`word_spans`) --
never a tokenizer's sub-word pieces: the attributions of a word's pieces are
summed. Three methods, all from `captum <https://captum.ai>`_:

``"integrated_gradients"``
    captum's ``LayerIntegratedGradients`` on the encoder's input embeddings,
    from a reference in which every word's tokens are the padding token
    (special tokens kept), through the float32 network. The attributions of
    a text sum to its probability minus the reference's, up to the
    integral's error (completeness; ``Explanation`` records both scores).
    Needs the network's gradients: skemo's estimators whose encoder is not
    frozen.
``"occlusion"``
    captum's ``FeatureAblation`` over words, through ``predict_proba``
    alone: a word's attribution is the probability of the text minus that
    of the text without it. One forward pass per word.
``"shapley"``
    captum's ``ShapleyValueSampling`` over words, through ``predict_proba``
    alone: each word's mean marginal effect over ``n_samples`` random word
    orders. Attributions sum to the probability of the text minus that of
    the empty text.

The two last methods work for any model with ``predict_proba`` -- the int8
encoder of ``precision="int8"``, :class:`skemo.export.ONNXEmotionClassifier`
-- and explain the probabilities that model reports. Estimators answer
through :meth:`~skemo.base.EmotionClassifierBase.explain`; ``"auto"`` takes
integrated gradients where the estimator predicts with its float network
and occlusion otherwise (int8, frozen encoders, ONNX).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Callable

import numpy as np

from skemo.utils._text_data import kept_positions
from skemo.utils._validation import check_texts

__all__ = ["EXPLANATION_METHODS", "Explanation", "ExplanationMixin", "GradientScorer",
           "attribute_words", "remove_words", "word_spans"]

#: The attribution methods, and ``"auto"``.
EXPLANATION_METHODS = ("auto", "integrated_gradients", "occlusion", "shapley")
_WORD = re.compile(r"\w+(?:['’]\w+)*|[^\w\s]+")


def word_spans(text):
    """The ``(start, end)`` character spans of the words of ``text``.

    A word is a run of letters and digits (with inner apostrophes) or a run
    of punctuation.

    Parameters
    ----------
    text : str
        A text.

    Returns
    -------
    list of tuple of (int, int)

    Examples
    --------
    >>> from skemo.explain import word_spans
    >>> text = "I don't love it!!"
    >>> [text[s:e] for s, e in word_spans(text)]
    ['I', "don't", 'love', 'it', '!!']
    """
    return [match.span() for match in _WORD.finditer(text)]


def remove_words(text, spans, keep):
    """``text`` without the words whose ``keep`` flag is false (spaces tidied).

    Parameters
    ----------
    text : str
        A text.
    spans : list of tuple of (int, int)
        The words' spans (:func:`word_spans`).
    keep : sequence of bool
        One flag per span.

    Returns
    -------
    str
        ``text`` itself where every word is kept.

    Examples
    --------
    >>> from skemo.explain import remove_words, word_spans
    >>> text = "I don't love it"
    >>> remove_words(text, word_spans(text), [True, False, True, True])
    'I love it'
    """
    if all(keep):
        return text
    pieces, last = [], 0
    for (start, end), kept in zip(spans, keep):
        if not kept:
            pieces.append(text[last:start])
            last = end
    pieces.append(text[last:])
    return " ".join("".join(pieces).split())


@dataclass
class GradientScorer:
    """What integrated gradients need of a torch model.

    Parameters
    ----------
    forward : callable
        ``forward(input_ids, attention_mask)``: a float tensor of the label
        probabilities ``(batch, n_labels)``, differentiable.
    embeddings : torch.nn.Module
        The layer whose output (the input embeddings) is attributed.
    tokenizer : transformers.PreTrainedTokenizerFast
        The network's fast tokenizer (its offsets map pieces to words).
    max_length : int
        Texts are truncated as the model truncates them.
    device : str
        Where the network runs (``"cpu"``, ``"cuda"``...).
    """

    forward: Callable
    embeddings: object
    tokenizer: object
    max_length: int
    device: str = "cpu"


class Explanation:
    """Word attributions of texts for labels: one record per (text, label).

    Each record is a dict with ``text``, ``label``, ``score`` (the label's
    probability for the text), ``reference_score`` (its probability for the
    reference the method compares with: the padded-out text for integrated
    gradients, the empty text for occlusion and Shapley sampling), ``method``
    and ``words``: one dict per word the model read, with ``word``,
    ``start``, ``end`` (its characters in ``text``) and ``attribution``.
    A positive attribution raised the label's probability.

    In a notebook an explanation shows as the texts with their words
    highlighted (green raises the label, red lowers it);
    :func:`skemo.plot.plot_explanation` draws it as a figure.

    Parameters
    ----------
    records : list of dict
        One dict per text and label, as :meth:`Explanation.to_records` gives them.

    Examples
    --------
    >>> from skemo.explain import Explanation
    >>> explanation = Explanation([{"text": "so happy", "label": "joy", "score": 0.9,
    ...     "reference_score": 0.2, "method": "occlusion", "words": [
    ...     {"word": "so", "start": 0, "end": 2, "attribution": 0.1},
    ...     {"word": "happy", "start": 3, "end": 8, "attribution": 0.6}]}])
    >>> explanation.top_words(0, 1)
    ['happy']
    """

    def __init__(self, records):
        self.records = list(records)

    def __len__(self):
        return len(self.records)

    def __iter__(self):
        return iter(self.records)

    def __getitem__(self, index):
        return self.records[index]

    def __repr__(self):
        return f"Explanation({len(self.records)} records)"

    def to_records(self):
        """The records as JSON-ready dicts (a copy).

        Returns
        -------
        list of dict
        """
        return [{**record, "words": [dict(word) for word in record["words"]]}
                for record in self.records]

    def top_words(self, index, k=3):
        """The ``k`` words of record ``index`` that raised its label most, strongest first.

        Parameters
        ----------
        index : int
            Which record: one text and one of its labels.
        k : int, default=3
            How many words.

        Returns
        -------
        list of str
        """
        words = sorted(self.records[index]["words"], key=lambda w: -w["attribution"])
        return [word["word"] for word in words[:k]]

    def _repr_html_(self):
        rows = []
        for record in self.records:
            words = record["words"]
            scale = max((abs(w["attribution"]) for w in words), default=0.0) or 1.0
            text, last, pieces = record["text"], 0, []
            for word in words:
                pieces.append(html.escape(text[last:word["start"]]))
                value = word["attribution"] / scale
                colour = "0,150,0" if value >= 0 else "200,0,0"
                pieces.append(
                    f'<span title="{word["attribution"]:+.4f}" style="background:'
                    f'rgba({colour},{abs(value) * 0.6:.2f});border-radius:3px">'
                    f'{html.escape(text[word["start"]:word["end"]])}</span>')
                last = word["end"]
            pieces.append(html.escape(text[last:]))
            rows.append(f"<tr><td><b>{html.escape(str(record['label']))}</b> "
                        f"{record['score']:.2f}</td><td>{''.join(pieces)}</td></tr>")
        return ("<table><tr><th>label, p</th><th>text (green raises the label, red lowers "
                f"it)</th></tr>{''.join(rows)}</table>")


def _captum_attr():
    """``captum.attr``, or an ImportError naming the extra to install."""
    try:
        import captum.attr
    except ImportError as error:
        raise ImportError("explaining predictions needs captum: "
                          "pip install 'skemo[explain]'") from error
    return captum.attr


def _integrated_gradients(scorer, text, columns, n_steps):
    """``(token attributions per column, scores, reference scores, offsets)`` of one text."""
    import torch

    LayerIntegratedGradients = _captum_attr().LayerIntegratedGradients
    tokenizer = scorer.tokenizer
    if not tokenizer.is_fast:
        raise ValueError("integrated gradients map tokens to words through the character "
                         f"offsets of a fast tokenizer; {type(tokenizer).__name__} has none. "
                         "Use method='occlusion' or 'shapley'.")
    encoded = tokenizer(text, add_special_tokens=True, return_offsets_mapping=True,
                        verbose=False)
    keep = kept_positions(encoded["input_ids"], scorer.max_length, tokenizer)
    ids = [encoded["input_ids"][i] for i in keep]
    offsets = [encoded["offset_mapping"][i] for i in keep]
    special = torch.tensor(tokenizer.get_special_tokens_mask(
        ids, already_has_special_tokens=True), dtype=torch.bool)
    input_ids = torch.tensor([ids], device=scorer.device)
    mask = torch.ones_like(input_ids)
    reference = torch.where(special.to(scorer.device), input_ids,
                            torch.full_like(input_ids, tokenizer.pad_token_id))
    method = LayerIntegratedGradients(scorer.forward, scorer.embeddings)
    with torch.no_grad():
        scores = scorer.forward(input_ids, mask)[0].float().cpu().numpy()
        reference_scores = scorer.forward(reference, mask)[0].float().cpu().numpy()
    attributions = []
    for column in columns:
        values = method.attribute(input_ids, baselines=reference, target=int(column),
                                  additional_forward_args=(mask,), n_steps=n_steps)
        attributions.append(values.sum(-1)[0].detach().float().cpu().numpy())
    return attributions, scores, reference_scores, offsets, special.numpy()


def _token_words(offsets, special, spans):
    """The word index of each token (-1: special tokens, pieces outside every word)."""
    starts = np.array([start for start, _ in spans])
    owners = []
    for (start, end), is_special in zip(offsets, special):
        j = int(np.searchsorted(starts, start, side="right")) - 1
        inside = not is_special and end > start and j >= 0 and start < spans[j][1]
        owners.append(j if inside else -1)
    return np.array(owners, dtype=int)


def _perturbation(proba, text, spans, columns, method, n_samples, random_state):
    """``(word attributions per column, scores, reference scores)`` through ``proba`` alone."""
    import torch

    captum = _captum_attr()
    memo = {}

    def forward(presence):
        texts = [remove_words(text, spans, row) for row in (presence > 0.5).tolist()]
        missing = [t for t in dict.fromkeys(texts) if t not in memo]
        if missing:
            memo.update(zip(missing, np.asarray(proba(missing), dtype=np.float64)))
        return torch.as_tensor(np.stack([memo[t] for t in texts]))

    scores = forward(torch.ones(1, len(spans)))[0].numpy()
    reference_scores = forward(torch.zeros(1, len(spans)))[0].numpy()
    inputs = torch.ones(1, len(spans), dtype=torch.float64)
    feature_mask = torch.arange(len(spans)).unsqueeze(0)
    attributions = []
    for column in columns:
        if method == "occlusion":
            values = captum.FeatureAblation(forward).attribute(
                inputs, baselines=0.0, target=int(column), feature_mask=feature_mask,
                perturbations_per_eval=max(1, len(spans)))
        else:
            with torch.random.fork_rng():  # the same word orders for every label
                torch.manual_seed(random_state)
                values = captum.ShapleyValueSampling(forward).attribute(
                    inputs, baselines=0.0, target=int(column), feature_mask=feature_mask,
                    n_samples=n_samples, perturbations_per_eval=max(1, len(spans)))
        attributions.append(values[0].numpy())
    return attributions, scores, reference_scores


def attribute_words(texts, targets, names, proba, *, method, gradient=None, n_steps=50,
                    n_samples=25, random_state=0):
    """Word attributions of ``texts`` for labels ``targets``: the work under ``explain``.

    Parameters
    ----------
    texts : list of str
        The texts, one string each.
    targets : list of sequence of int
        For each text, the columns of ``proba``'s output to explain.
    names : list of str
        The label name of each column.
    proba : callable
        ``proba(list_of_texts)``: the probabilities ``(n_texts, n_labels)``.
    method : {"integrated_gradients", "occlusion", "shapley"}
        The attribution method (see :func:`attribute_words`).
    gradient : GradientScorer or None, default=None
        Needed by ``"integrated_gradients"``.
    n_steps : int, default=50
        Steps of the integral (integrated gradients).
    n_samples : int, default=25
        Word orders sampled (Shapley sampling).
    random_state : int, default=0
        Seeds the word orders of Shapley sampling.

    Returns
    -------
    Explanation

    Examples
    --------
    >>> import numpy as np
    >>> from skemo.explain import attribute_words
    >>> def proba(texts):  # "love" makes joy likely
    ...     return np.array([[0.9 if "love" in t else 0.1] for t in texts])
    >>> explanation = attribute_words(["I love it"], [[0]], ["joy"], proba,
    ...                               method="occlusion")
    >>> [(w["word"], round(w["attribution"], 2)) for w in explanation[0]["words"]]
    [('I', 0.0), ('love', 0.8), ('it', 0.0)]
    """
    records = []
    for text, columns in zip(texts, targets):
        spans = word_spans(text)
        columns = list(columns)
        if method == "integrated_gradients":
            tokens, scores, reference, offsets, special = _integrated_gradients(
                gradient, text, columns, n_steps)
            owners = _token_words(offsets, special, spans)
            seen = sorted(set(owners[owners >= 0].tolist()))
            per_word = [[float(values[owners == j].sum()) for j in seen] for values in tokens]
        elif spans:
            per_word, scores, reference = _perturbation(proba, text, spans, columns, method,
                                                        n_samples, random_state)
            seen = range(len(spans))
        else:  # no word to remove
            scores = reference = np.asarray(proba([text]), dtype=np.float64)[0]
            per_word, seen = [[] for _ in columns], []
        for column, values in zip(columns, per_word):
            records.append({
                "text": text, "label": names[column], "method": method,
                "score": float(scores[column]), "reference_score": float(reference[column]),
                "words": [{"word": text[spans[j][0]:spans[j][1]], "start": spans[j][0],
                           "end": spans[j][1], "attribution": float(value)}
                          for j, value in zip(seen, values)]})
    return Explanation(records)


class ExplanationMixin:
    """``explain``: word attributions of a fitted model's probabilities.

    The model provides ``predict_proba``, ``label_names_``, ``_decide``
    (the labels ``predict`` assigns, encoded) and the hook
    ``_explanation_scorers(open_labels)``, which returns the names of the
    scored labels, a ``proba`` callable over texts, a :class:`GradientScorer`
    (or None where the model has no gradients) and the method ``"auto"``
    stands for.
    """

    def explain(self, X, labels=None, *, method="auto", n_steps=50, n_samples=25,
                random_state=0):
        """Which words raised or lowered each label's probability, for each text.

        Parameters
        ----------
        X : sequence of str
            The texts, one string each.
        labels : None, str, sequence of str, or dict of str to str, default=None
            The labels to explain. None: for each text, the labels
            ``predict`` assigns it (its most probable label where none
            passes its threshold). Names of fitted labels: those, for every
            text. Label-text methods also take other names or a dict
            ``{name: description}``, as ``predict_proba(X, labels=...)``
            does (open vocabulary); other models refuse them.
        method : {"auto", "integrated_gradients", "occlusion", "shapley"}, default="auto"
            See :mod:`skemo.explain`. ``"auto"``: integrated gradients where
            the model predicts with its float network, else occlusion.
        n_steps : int, default=50
            Steps of the integral of integrated gradients.
        n_samples : int, default=25
            Word orders sampled by ``"shapley"``.
        random_state : int, default=0
            Seeds the word orders of ``"shapley"``.

        Returns
        -------
        Explanation
            One record per text and label, in the order of ``X``.

        Raises
        ------
        ValueError
            For an unknown method or label, labels this model cannot score,
            or ``"integrated_gradients"`` on a model without gradients.

        Examples
        --------
        >>> import skemo
        >>> clf = skemo.pretrained("goemotions")  # doctest: +SKIP
        >>> clf.explain(["Thanks, that really helped!"]).top_words(0)  # doctest: +SKIP
        ['Thanks', 'helped', '!']
        """
        from sklearn.exceptions import NotFittedError

        if method not in EXPLANATION_METHODS:
            raise ValueError(f"method must be one of {', '.join(EXPLANATION_METHODS)}; "
                             f"got {method!r}.")
        for name, value in (("n_steps", n_steps), ("n_samples", n_samples)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int; got {value!r}.")
        if not hasattr(self, "label_names_"):
            raise NotFittedError(f"This {type(self).__name__} is not fitted yet: call fit "
                                 "before explain.")
        texts = check_texts(X)
        columns, open_labels = self._explained_columns(labels)
        names, proba, gradient, default = self._explanation_scorers(open_labels)
        method = default if method == "auto" else method
        if method == "integrated_gradients" and gradient is None:
            raise ValueError(
                f"method='integrated_gradients' needs the gradients of a torch network; "
                f"this {type(self).__name__} has none (an ONNX model, or a frozen "
                "encoder). Use method='occlusion' or 'shapley', which explain through "
                "predict_proba alone.")
        if columns is None:
            probabilities = np.asarray(proba(texts))
            chosen = np.asarray(self._decide(probabilities, encoded=True))
            if chosen.ndim == 1:  # single-label: the class ids
                targets = [[int(c)] for c in chosen]
            else:
                top = probabilities.argmax(axis=1)
                targets = [np.flatnonzero(row).tolist() or [int(best)]
                           for row, best in zip(chosen, top)]
        else:
            targets = [columns] * len(texts)
        return attribute_words(texts, targets, names, proba, method=method, gradient=gradient,
                               n_steps=n_steps, n_samples=n_samples,
                               random_state=random_state)

    def _explained_columns(self, labels):
        """``(columns, None)`` for fitted labels (None: those predicted), else ``(all, labels)``."""
        if labels is None:
            return None, None
        if isinstance(labels, str):
            labels = [labels]
        if not len(labels):
            raise ValueError("labels must name at least one label (or be None).")
        known = {name: j for j, name in enumerate(self.label_names_)}
        if not isinstance(labels, dict) and all(label in known for label in labels):
            return [known[label] for label in labels], None
        return list(range(len(labels))), labels

    def _refuse_open_labels(self, open_labels):
        """The error for labels this model was not fitted on, which it cannot score."""
        unknown = [label for label in open_labels if label not in self.label_names_]
        asks = (f"labels {unknown}" if unknown or not isinstance(open_labels, dict)
                else "new label descriptions")
        return ValueError(
            f"{type(self).__name__} scores only the labels it was fitted on "
            f"({', '.join(self.label_names_)}); {asks} cannot be explained. Only the "
            "label-text methods (similarity, taco, dual_objective with "
            "score_from='similarity') score labels from their descriptions.")
