"""Shared base of the methods that score texts against label texts.

:class:`LabelTextModel` holds the tokenised label texts as buffers and encodes
them with the same encoder as the texts: with gradients once per training
step, and once per evaluation pass (cached) otherwise. Subclasses define how
text and label embeddings turn into scores (:meth:`LabelTextModel.score`).

:class:`LabelTextClassifierBase` builds those label texts from
``label_descriptions`` and adds **open-vocabulary prediction**:
``predict_proba(X, labels={"nostalgia": "a sentimental longing for the past"})``
scores labels that were never seen in training, from their descriptions.
"""

import contextlib
from numbers import Integral

import torch
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted
from torch import nn

from .base import EmotionClassifierBase
from .encoders import DEFAULT_ENCODER
from .label_texts import label_texts
from .text_data import PadCollator, tokenize_texts


class LabelTextModel(nn.Module):
    """Base module: an encoder plus the token ids of the label texts.

    Parameters
    ----------
    encoder : skemo.encoders.TextEncoder
    n_labels : int
    label_input_ids, label_attention_mask : torch.Tensor of shape (n_labels, T)
    """

    def __init__(self, encoder, n_labels, label_input_ids, label_attention_mask):
        super().__init__()
        if label_input_ids.shape[0] != n_labels:
            raise ValueError(f"got {label_input_ids.shape[0]} label texts for "
                             f"{n_labels} labels.")
        self.encoder = encoder
        self.register_buffer("label_input_ids", label_input_ids, persistent=False)
        self.register_buffer("label_attention_mask", label_attention_mask,
                             persistent=False)
        self._label_cache = None

    def encode_labels(self, input_ids=None, attention_mask=None):
        """Label representations fed to :meth:`score` (override to add heads)."""
        if input_ids is None:
            input_ids, attention_mask = self.label_input_ids, self.label_attention_mask
        return self.encoder(input_ids, attention_mask)

    def label_embeddings(self):
        """Label representations: fresh in training, cached in evaluation mode."""
        if self.training:
            return self.encode_labels()
        if self._label_cache is None:
            self._label_cache = self.encode_labels()
        return self._label_cache

    def clear_label_cache(self):
        self._label_cache = None

    def train(self, mode=True):
        if mode:
            self.clear_label_cache()
        return super().train(mode)

    def load_state_dict(self, state_dict, strict=True, assign=False):
        self.clear_label_cache()
        return super().load_state_dict(state_dict, strict=strict, assign=assign)

    @contextlib.contextmanager
    def labels_replaced(self, label_embeddings):
        """Score against other label embeddings (open-vocabulary prediction)."""
        saved = self._label_cache
        self._label_cache = label_embeddings
        try:
            yield
        finally:
            self._label_cache = saved


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
        labels : dict of str to str, sequence of str, or None, default=None
            None scores the labels seen in ``fit`` (``classes_``). A dict
            ``{name: description}`` (or a list of names with built-in
            descriptions) scores those labels instead, from their texts.

        Returns
        -------
        ndarray of shape (n_texts, n_labels)
            Columns follow ``classes_``, or the order of ``labels``.
        """
        if labels is None:
            return super().predict_proba(X)
        check_is_fitted(self, ["classes_", "module_"])
        if isinstance(labels, str) or not len(labels):
            raise ValueError("labels must be a non-empty dict {name: description} or a "
                             "list of label names.")
        names = list(labels)
        descriptions = labels if isinstance(labels, dict) else self.label_descriptions
        ids, mask = self._tokenized_label_texts(names, descriptions)
        self.module_.eval()
        with torch.inference_mode(), self._autocast():
            embeddings = self.module_.encode_labels(ids.to(self.device_),
                                                    mask.to(self.device_))
        with self.module_.labels_replaced(embeddings):
            return self._predict_proba_texts(X, n_labels=len(names))

