"""The baseline: a fine-tuned encoder with a linear classification head."""

from torch import nn

from .base import EmotionClassifierBase


class ClassifierHeadModel(nn.Module):
    """Encoder, dropout, then one linear layer to the label logits.

    Parameters
    ----------
    encoder : skemo.encoders.TextEncoder
    n_labels : int
    dropout : float, default=0.1
    """

    def __init__(self, encoder, n_labels, dropout=0.1):
        super().__init__()
        self.encoder = encoder
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(encoder.hidden_size, n_labels)

    def forward(self, input_ids, attention_mask):
        return self.head(self.dropout(self.encoder(input_ids, attention_mask)))

    def label_bias(self):
        """The bias of the label logits (initialised to the label prior by ``fit``)."""
        return self.head.bias


class ClassificationLoss(nn.Module):
    """Binary cross-entropy (multi-label) or cross-entropy (single-label) on logits.

    ``class_weight`` becomes BCE's per-label ``pos_weight`` or CE's class
    ``weight``.

    Parameters
    ----------
    multilabel : bool
    class_weight : torch.Tensor of shape (n_labels,) or None

    Examples
    --------
    >>> import torch
    >>> from skemo.finetuned import ClassificationLoss
    >>> loss = ClassificationLoss(multilabel=True)
    >>> round(loss(torch.zeros(1, 2), torch.tensor([[1.0, 0.0]])).item(), 4)  # log 2
    0.6931
    """

    def __init__(self, multilabel, class_weight=None):
        super().__init__()
        self.multilabel = multilabel
        if multilabel:
            self.loss = nn.BCEWithLogitsLoss(pos_weight=class_weight)
        else:
            self.loss = nn.CrossEntropyLoss(weight=class_weight)

    def forward(self, output, target):
        logits = (output[0] if isinstance(output, tuple) else output).float()
        return self.loss(logits, target.float() if self.multilabel else target.long())


class FineTunedEmotionClassifier(EmotionClassifierBase):
    """The baseline: fine-tune the encoder with a linear head and (B)CE.

    Multi-label targets train with binary cross-entropy per label
    (``class_weight="balanced"`` sets ``pos_weight_l = n_neg_l / n_pos_l``),
    single-label targets with cross-entropy. ``lora_r`` trains LoRA adapters
    instead of all encoder weights, which makes decoder backbones (Llama,
    Qwen, Gemma) affordable.

    All parameters are those of :class:`~skemo.base.EmotionClassifierBase`;
    the head's dropout is ``module__dropout`` (default 0.1).

    Examples
    --------
    >>> from skemo import FineTunedEmotionClassifier
    >>> from skemo.datasets import load_goemotions_sample
    >>> data = load_goemotions_sample()
    >>> clf = FineTunedEmotionClassifier(max_epochs=1, label_names=data.target_names,
    ...                                  random_state=0)
    >>> clf.fit(data.data[:64], data.target[:64]).predict_proba(["thanks!"]).shape
    (1, 28)
    """

    module = ClassifierHeadModel
    criterion = ClassificationLoss


__all__ = ["FineTunedEmotionClassifier", "ClassifierHeadModel", "ClassificationLoss"]
