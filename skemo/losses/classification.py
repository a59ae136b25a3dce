"""The classification loss every method shares, and its probabilities.

Multi-label targets train with binary cross-entropy per label on the logits
and read independent sigmoid probabilities; single-label targets train with
cross-entropy and read a softmax distribution.
"""

import torch
import torch.nn.functional as F
from torch import nn


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
    >>> from skemo.losses import ClassificationLoss
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


def label_probabilities(scores, multilabel):
    """Probabilities from label scores: ``sigmoid`` (multi-label) or ``softmax`` (single-label).

    Parameters
    ----------
    scores : torch.Tensor of shape (B, L)
    multilabel : bool

    Returns
    -------
    torch.Tensor of shape (B, L), float32

    Examples
    --------
    >>> import torch
    >>> from skemo.losses import label_probabilities
    >>> label_probabilities(torch.zeros(1, 2), multilabel=False).tolist()
    [[0.5, 0.5]]
    """
    scores = scores.float()
    return torch.sigmoid(scores) if multilabel else torch.softmax(scores, dim=-1)


def one_hot_targets(target, n_labels, multilabel):
    """Float indicator targets, from 1-D class ids when single-label."""
    if multilabel:
        return target.float()
    return F.one_hot(target.long(), n_labels).float()


__all__ = ["ClassificationLoss", "label_probabilities", "one_hot_targets"]
