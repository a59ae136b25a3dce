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
        True: binary cross-entropy per label; False: cross-entropy over the classes.
    class_weight : torch.Tensor of shape (n_labels,) or None
        Weights of each label's positives (multi-label) or of each class (single-label);
        None weighs all alike.
    sum_over_labels : bool, default=False
        Multi-label only: sum the BCE over the labels and average it over the
        texts, rather than average it over all ``B x L`` entries. The result
        is ``L`` times the mean, a loss per text, on the scale of per-text
        auxiliary losses (contrastive, cross-entropy heads); the combined
        losses of the methods use it so that their weights do not silently
        grow with ``L``. Under Adam the baseline alone trains the same either
        way.

    Examples
    --------
    >>> import torch
    >>> from skemo.losses import ClassificationLoss
    >>> loss = ClassificationLoss(multilabel=True)
    >>> round(loss(torch.zeros(1, 2), torch.tensor([[1.0, 0.0]])).item(), 4)  # log 2
    0.6931
    >>> summed = ClassificationLoss(multilabel=True, sum_over_labels=True)
    >>> round(summed(torch.zeros(1, 2), torch.tensor([[1.0, 0.0]])).item(), 4)  # 2 log 2
    1.3863
    """

    def __init__(self, multilabel, class_weight=None, *, sum_over_labels=False):
        super().__init__()
        self.multilabel = multilabel
        self.sum_over_labels = sum_over_labels
        if multilabel:
            self.loss = nn.BCEWithLogitsLoss(pos_weight=class_weight)
        else:
            self.loss = nn.CrossEntropyLoss(weight=class_weight)

    def forward(self, output, target):
        logits = (output[0] if isinstance(output, tuple) else output).float()
        loss = self.loss(logits, target.float() if self.multilabel else target.long())
        if self.multilabel and self.sum_over_labels:
            loss = loss * logits.shape[1]
        return loss

    def terms(self, output, target):
        """The loss as its one named term, ``{"classification": loss}``.

        Every criterion of skemo exposes ``terms`` (weighted terms by name, the
        primary one first) so that the gradient of each term can be measured
        (:func:`skemo.losses.encoder_gradient_norms`).
        """
        return {"classification": self(output, target)}


def label_probabilities(scores, multilabel):
    """Probabilities from label scores: ``sigmoid`` (multi-label) or ``softmax`` (single-label).

    Parameters
    ----------
    scores : torch.Tensor of shape (B, L)
        The label scores (logits).
    multilabel : bool
        True: a sigmoid per label; False: a softmax over the classes.

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
