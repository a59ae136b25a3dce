"""The label-text model: an encoder plus the tokenised label texts.

:class:`LabelTextModel` holds the tokenised label texts as buffers and encodes
them with the same encoder as the texts: with gradients once per training
step, and once per evaluation pass (cached) otherwise. Subclasses define how
text and label embeddings turn into label scores in ``forward``.
"""

import copy

import torch

from skemo.nn.module import EmotionModule


class LabelTextModel(EmotionModule):
    """Base module: an encoder plus the token ids of the label texts.

    Parameters
    ----------
    encoder : skemo.nn.encoder.TextEncoder
        The text encoder, shared by texts and label texts.
    n_labels : int
        Number of labels.
    label_input_ids, label_attention_mask : torch.Tensor of shape (n_labels, T)
        The label texts, tokenised: one row per label.
    """

    def __init__(self, encoder, n_labels, label_input_ids, label_attention_mask):
        super().__init__(encoder)
        if label_input_ids.shape[0] != n_labels:
            raise ValueError(f"got {label_input_ids.shape[0]} label texts for "
                             f"{n_labels} labels.")
        self.register_buffer("label_input_ids", label_input_ids, persistent=False)
        self.register_buffer("label_attention_mask", label_attention_mask,
                             persistent=False)
        self._label_cache = None

    def encode_labels(self, input_ids=None, attention_mask=None):
        """Label representations from the label texts (override to add heads)."""
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

    def with_labels(self, label_embeddings):
        """This module scoring texts against other labels (open-vocabulary prediction).

        A shallow copy for evaluation: it shares every submodule, parameter
        and buffer with this module, which is unchanged, and reads
        ``label_embeddings`` as its label embeddings.

        Parameters
        ----------
        label_embeddings : torch.Tensor of shape (n_other_labels, D)
            As :meth:`encode_labels` gives them.

        Returns
        -------
        LabelTextModel
        """
        view = copy.copy(self)
        view._label_cache = label_embeddings
        return view

    def for_gradients(self):
        """A view holding its label embeddings as a plain tensor, without gradients.

        The cached embeddings (of the fitted labels, or of the labels a
        :meth:`with_labels` view scores), else the fitted labels' computed
        here. Its forward pass then runs the encoder on the text alone, so
        the text's input embeddings can be attributed (see the base). Call
        it in evaluation mode.

        Returns
        -------
        LabelTextModel
        """
        labels = self._label_cache  # the cached labels, or those of a with_labels view
        if labels is None:
            with torch.no_grad():
                labels = self.encode_labels()
        view = copy.copy(self)
        view._label_cache = labels.detach().clone()  # a plain tensor, even from inference mode
        return view

    def with_encoder(self, encoder):
        """A copy running ``encoder``, scoring against this module's label embeddings.

        The labels are encoded once, here, by this module's own encoder in
        float32 (outside autocast): with the int8 text encoder of
        ``precision="int8"``, label embeddings stay float. Call it in
        evaluation mode.

        Parameters
        ----------
        encoder : torch.nn.Module
            Takes the place of ``self.encoder``.

        Returns
        -------
        LabelTextModel
        """
        with torch.no_grad(), torch.autocast(self.label_input_ids.device.type, enabled=False):
            labels = self.encode_labels()
        clone = super().with_encoder(encoder)
        clone._label_cache = labels
        return clone


__all__ = ["LabelTextModel"]
