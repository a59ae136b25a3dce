r"""Knowledge distillation: a student's loss toward a teacher's probabilities.

.. math::

    L = \alpha \, L_{gold} + (1 - \alpha) \, T^2 \, L_{soft}

- multi-label, :math:`L_{soft}` is the binary cross-entropy of the student's
  ``sigmoid(z / T)`` to the teacher's softened probabilities
  ``q_T = sigmoid(logit(q) / T)``, averaged over texts and labels;
  :math:`L_{gold}` the binary cross-entropy of ``sigmoid(z)`` to the gold
  labels, averaged over the labelled texts and the labels;
- single-label, :math:`L_{soft}` is the Kullback-Leibler divergence
  :math:`KL(q_T \,\|\, softmax(z / T))` with ``q_T = softmax(log(q) / T)``,
  averaged over texts; :math:`L_{gold}` the cross-entropy to the gold class,
  averaged over the labelled texts.

``z`` are the student's label logits, ``q`` the teacher's (calibrated)
probabilities, ``T`` the temperature (Hinton, Vinyals and Dean, 2015,
"Distilling the Knowledge in a Neural Network": the factor :math:`T^2`
keeps the soft term's gradients on the scale of the gold term's as ``T``
grows). Texts without gold labels (unlabelled texts) count in the soft term
only; a batch without any labelled text has no gold term.
"""

import torch
import torch.nn.functional as F
from torch import nn

#: Teacher probabilities are clipped to [EPS, 1 - EPS] before softening (logits stay finite).
EPS = 1e-7


def soften(proba, temperature, multilabel):
    """Probabilities ``proba`` at ``temperature``: their logits (log-probabilities) over it.

    Parameters
    ----------
    proba : torch.Tensor of shape (B, L)
        Probabilities: one per label (multi-label), or one distribution per
        row (single-label).
    temperature : float
        1 leaves them as they are; above 1 flattens them toward 0.5 (or the
        uniform distribution).
    multilabel : bool
        Whether each label is a yes/no question of its own (sigmoid) rather
        than one class of a distribution (softmax).

    Returns
    -------
    torch.Tensor of shape (B, L), float32

    Examples
    --------
    >>> import torch
    >>> from skemo.losses.distillation import soften
    >>> soften(torch.tensor([[0.8, 0.2]]), 1e9, multilabel=True).tolist()
    [[0.5, 0.5]]
    """
    proba = proba.float().clamp(EPS, 1 - EPS)
    if temperature == 1:
        return proba
    if multilabel:
        return torch.sigmoid(torch.logit(proba) / temperature)
    return torch.softmax(torch.log(proba) / temperature, dim=-1)


class DistillationLoss(nn.Module):
    r"""``α L_gold + (1 − α) T² L_soft`` on the student's label logits (see the module docstring).

    Parameters
    ----------
    multilabel : bool
        True: binary cross-entropy per label, to the teacher's probabilities;
        False: cross-entropy to the gold class and KL divergence to the
        teacher's class distribution.
    class_weight : torch.Tensor of shape (n_labels,) or None, default=None
        Of the gold term: BCE's ``pos_weight``, or CE's class ``weight``.
    alpha : float, default=0.5
        Weight of the gold labels; ``1 - alpha`` weighs the teacher.
    temperature : float, default=1.0
        Softens the teacher's and the student's probabilities alike before
        they are compared (:func:`soften`); the soft term is scaled by
        ``temperature ** 2`` so that its gradients keep their size.

    Examples
    --------
    >>> import torch
    >>> from skemo.losses.distillation import DistillationLoss
    >>> loss = DistillationLoss(multilabel=True, alpha=0.0)
    >>> z, q = torch.zeros(1, 2), torch.tensor([[0.5, 0.5]])
    >>> round(loss(z, torch.zeros(1, 2), q, torch.tensor([False])).item(), 4)  # log 2
    0.6931
    """

    def __init__(self, multilabel, class_weight=None, *, alpha=0.5, temperature=1.0):
        super().__init__()
        self.multilabel = multilabel
        self.class_weight = class_weight
        self.alpha = alpha
        self.temperature = temperature

    def terms(self, logits, target, soft_targets, labelled):
        """The weighted terms ``{"gold": ..., "soft": ...}``.

        Parameters
        ----------
        logits : torch.Tensor of shape (B, L)
            The student's label logits.
        target : torch.Tensor
            Gold labels: indicator (B, L), or class ids (B,); rows of
            unlabelled texts are ignored.
        soft_targets : torch.Tensor of shape (B, L)
            The teacher's probabilities, before softening.
        labelled : torch.Tensor of shape (B,), bool
            Which texts have gold labels.

        Returns
        -------
        dict of str to torch.Tensor
        """
        logits = logits.float()
        temperature = self.temperature
        teacher = soften(soft_targets, temperature, self.multilabel)
        student = logits / temperature
        if self.multilabel:
            soft = F.binary_cross_entropy_with_logits(student, teacher)
        else:
            soft = F.kl_div(F.log_softmax(student, dim=-1), teacher, reduction="batchmean")
        labelled = labelled.bool()
        if not labelled.any():
            gold = logits.sum() * 0.0
        elif self.multilabel:
            gold = F.binary_cross_entropy_with_logits(
                logits[labelled], target[labelled].float(), pos_weight=self.class_weight)
        else:
            gold = F.cross_entropy(logits[labelled], target[labelled].long(),
                                   weight=self.class_weight)
        return {"gold": self.alpha * gold,
                "soft": (1 - self.alpha) * temperature**2 * soft}

    def forward(self, logits, target, soft_targets, labelled):
        return sum(self.terms(logits, target, soft_targets, labelled).values())


__all__ = ["DistillationLoss", "soften"]
