"""Shared base of the methods that score texts against label texts.

Their modules are :class:`~skemo.nn.LabelTextModel` subclasses, which encode
the label texts with the same encoder as the texts.
:class:`LabelTextClassifierBase` builds those label texts from
``label_descriptions`` and adds **open-vocabulary prediction**:
``predict_proba(X, labels={"nostalgia": "a sentimental longing for the past"})``
scores labels that were never seen in training, from their descriptions.
"""

from numbers import Integral

import torch
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted

from skemo.base import EmotionClassifierBase
from skemo.labels import label_texts
from skemo.nn.encoder import DEFAULT_ENCODER
from skemo.utils._text_data import PadCollator, tokenize_texts


class LabelTextClassifierBase(EmotionClassifierBase):
    """Base estimator of the label-text methods.

    Parameters
    ----------
    encoder : str, path-like or transformers.PretrainedConfig
    label_descriptions : dict of str to str, or None, default=None
        Descriptions that override skemo's built-in ones, keyed by label name.
        Labels without any description are encoded by name (with a warning).
    label_max_length : int, default=64
        Label texts are truncated to this many tokens.
    **kwargs
        Parameters of :class:`~skemo.base.EmotionClassifierBase`.
    """

    #: How a label name and its description become one text.
    label_template = "{name}: {description}"

    _parameter_constraints = {
        **EmotionClassifierBase._parameter_constraints,
        "label_descriptions": [None, dict],
        "label_max_length": [Interval(Integral, 2, None, closed="left")],
    }

    def __init__(self, encoder=DEFAULT_ENCODER, *, label_descriptions=None,
                 label_max_length=64, **kwargs):
        self.label_descriptions = label_descriptions
        self.label_max_length = label_max_length
        super().__init__(encoder, **kwargs)

    def _tokenized_label_texts(self, names, descriptions):
        texts = label_texts(names, descriptions, self.label_template)
        ids = tokenize_texts(self.tokenizer_, texts, self.label_max_length)
        X, _ = PadCollator(self.tokenizer_.pad_token_id)([(row, 0) for row in ids])
        return X["input_ids"], X["attention_mask"]

    def _module_kwargs(self):
        ids, mask = self._tokenized_label_texts(self.label_names_, self.label_descriptions)
        return {"label_input_ids": ids, "label_attention_mask": mask}

    def _on_fit_end(self):
        self.module_.clear_label_cache()

    def predict_proba(self, X, labels=None):
        """Label probabilities, optionally for labels never seen in training.

        Parameters
        ----------
        X : sequence of str
            The texts, one string each.
        labels : dict of str to str, sequence of str, or None, default=None
            None scores the labels seen in ``fit`` (``classes_``). A dict
            ``{name: description}`` (or a list of names with built-in
            descriptions) scores those labels instead, from their texts;
            calibrated as the fitted labels are (a label seen in training
            keeps its temperature, a new one takes the pooled temperature).

        Returns
        -------
        ndarray of shape (n_texts, n_labels)
            Columns follow ``classes_``, or the order of ``labels``.
        """
        if labels is None:
            return super().predict_proba(X)
        check_is_fitted(self, ["classes_", "module_"])
        names, embeddings = self._open_label_embeddings(labels)
        scorer = self._prediction_module(self.precision).with_labels(embeddings)
        return self._calibrated(self._predict_texts(X, self.proba_from_output, module=scorer),
                                labels=names)

    def _check_open_vocabulary(self):
        """Raise where this estimator cannot score labels unseen in training (it can)."""

    def _open_label_embeddings(self, labels):
        """The names of ``labels`` and their label embeddings (computed without gradients)."""
        if isinstance(labels, str) or not len(labels):
            raise ValueError("labels must be a non-empty dict {name: description} or a "
                             "list of label names.")
        self._check_open_vocabulary()
        names = list(labels)
        descriptions = labels if isinstance(labels, dict) else self.label_descriptions
        ids, mask = self._tokenized_label_texts(names, descriptions)
        module = self.module_.eval()
        with torch.no_grad(), self._autocast():
            embeddings = module.encode_labels(ids.to(self.device_), mask.to(self.device_))
        return names, embeddings

    def _explained_module(self, labels):
        if labels is None:
            return super()._explained_module(labels)
        names, embeddings = self._open_label_embeddings(labels)
        return names, self.module_.with_labels(embeddings)
