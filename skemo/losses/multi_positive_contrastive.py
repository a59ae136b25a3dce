"""Multi-positive contrastive loss between texts and label texts."""

import torch


def multi_positive_contrastive_loss(scores, targets):
    r"""Contrastive loss of each text against its positive and negative labels.

    Every positive label of a text is contrasted with that text's negative
    labels only (the other positives are left out of its denominator), as in
    the similarity objective of "Do We Need a Classifier? Dual Objectives Go
    Beyond Baselines in Fine-Grained Emotion Classification".

    Parameters
    ----------
    scores : torch.Tensor of shape (B, L)
        Text-label similarity logits, already divided by the temperature,
        e.g. ``cos(h_x, h_l) / tau``. Any floating dtype; the loss is computed
        in at least float32.
    targets : torch.Tensor of shape (B, L)
        Binary indicator of the positive labels (bool, int or float; any
        non-zero entry is a positive).

    Returns
    -------
    torch.Tensor
        Scalar loss, float32 (float64 if ``scores`` is float64), on the device
        of ``scores``. Texts without a positive label contribute nothing; if
        no text has one, the result is a zero that is still connected to
        ``scores`` in the autograd graph.

    Notes
    -----
    With :math:`s_l = s(x, l)` and :math:`P(x)` the positive labels of text
    :math:`x`,

    .. math::

        \ell(x) = -\frac{1}{|P(x)|} \sum_{p \in P(x)}
            \log \frac{e^{s_p}}{e^{s_p} + \sum_{n \notin P(x)} e^{s_n}}

    and the loss is the mean of :math:`\ell(x)` over the texts with
    :math:`|P(x)| \geq 1`. The denominator is evaluated as
    ``logaddexp(s_p, logsumexp(s_n))`` for numerical stability. A text whose
    labels are all positive has no negatives and gives :math:`\ell(x) = 0`.
    With one positive per text the loss equals
    :func:`torch.nn.functional.cross_entropy`.

    Examples
    --------
    >>> import torch
    >>> scores = torch.tensor([[2.0, 0.0, 0.0], [0.0, 1.0, 1.0]])
    >>> targets = torch.tensor([[1, 0, 0], [0, 1, 1]])
    >>> loss = multi_positive_contrastive_loss(scores, targets)
    >>> round(loss.item(), 4)  # (log(1 + 2 e^-2) + log(1 + e^-1)) / 2
    0.2764
    """
    if scores.ndim != 2 or scores.shape != targets.shape:
        raise ValueError(
            "scores and targets must both have shape (n_texts, n_labels); got "
            f"{tuple(scores.shape)} and {tuple(targets.shape)}."
        )
    scores = scores.to(torch.promote_types(scores.dtype, torch.float32))
    positive = targets.to(device=scores.device) != 0
    has_positive = positive.any(dim=1)
    if not has_positive.any():
        return scores.sum() * 0.0

    scores, positive = scores[has_positive], positive[has_positive]
    has_negative = (~positive).any(dim=1, keepdim=True)
    # Rows without a negative would be a logsumexp over -inf only; a finite fill
    # keeps the backward pass NaN-free and torch.where restores the -inf.
    fill = torch.finfo(scores.dtype).min
    negative_lse = torch.logsumexp(
        scores.masked_fill(positive, fill), dim=1, keepdim=True
    )
    negative_lse = torch.where(
        has_negative, negative_lse, torch.full_like(negative_lse, -torch.inf)
    )
    log_prob = scores - torch.logaddexp(scores, negative_lse)
    per_text = -(log_prob * positive).sum(dim=1) / positive.sum(dim=1)
    return per_text.mean()
