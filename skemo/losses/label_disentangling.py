"""TACO's label-aware disentangled loss (LDL)."""

import torch
import torch.nn.functional as F


def label_disentangling_loss(score_matrix, label_embeddings, detach_confusability=True):
    r"""Push apart the embeddings of the labels the model confuses most.

    Parameters
    ----------
    score_matrix : torch.Tensor of shape (B, L)
        Prediction scores :math:`M_{i,j} = \hat{s}(u_i, e_j)` of the batch.
    label_embeddings : torch.Tensor of shape (L, d)
        Label embeddings :math:`h_e`. Any floating dtype; the loss is
        computed in at least float32.
    detach_confusability : bool, default=True
        Treat the confusability weights :math:`f` as constants (no gradient
        flows into ``score_matrix``). See Notes.

    Returns
    -------
    torch.Tensor
        Scalar loss, float32 (float64 for float64 inputs). With fewer than two
        labels there is no pair and the result is a zero still connected to
        ``label_embeddings`` (and ``score_matrix``) in the autograd graph.

    Notes
    -----
    The confusability of labels :math:`j \neq j'` is the cosine similarity of
    their score columns across the batch (item-item collaborative filtering),
    normalised over all ordered pairs:

    .. math::

        f(j, j') = \frac{\cos(M_{:,j}, M_{:,j'})}
            {\sum_{k \neq k'} \cos(M_{:,k}, M_{:,k'})},
        \qquad
        \mathcal{L}_{LDL} = \exp\Big(\sum_{j \neq j'} f(j, j')
            \cos(h_{e_j}, h_{e_{j'}})\Big).

    *Detaching f.* TACO introduces :math:`f` "to quantify how confusable two
    emotion labels are for targeted optimization" and then pushes the label
    embeddings apart "via minimizing the cosine similarity of each label pair
    weighted by its confusability score": :math:`f` selects *which* pairs to
    separate and the optimised quantity is the label-embedding cosine. Were
    gradients to flow through :math:`f`, the loss could also be lowered by
    reshaping the predictions (shifting confusability onto pairs whose
    embeddings are already far apart, or decorrelating score columns) instead
    of separating the confusable labels, and the normalising denominator would
    couple every pair's gradient. Hence ``detach_confusability=True``.

    Edge cases: a zero score column has cosine 0 with every other column
    (``F.normalize`` guards the division); when all column cosines sum to zero
    (e.g. all scores zero) there is no confusability signal, :math:`f = 0`
    and the loss is :math:`e^0 = 1` with zero gradient. With non-negative
    scores (probabilities, ReLU outputs) all cosines are non-negative and
    :math:`f` is a distribution over pairs; with signed scores individual
    :math:`f` values may be negative, exactly as the formula states.

    Examples
    --------
    >>> import torch
    >>> M = torch.tensor([[1.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    >>> h_e = torch.tensor([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]])
    >>> loss = label_disentangling_loss(M, h_e)
    >>> round(loss.item(), 4)  # only labels 0 and 1 co-vary: f = 1/2 each way; exp(0.6)
    1.8221
    """
    if score_matrix.ndim != 2 or label_embeddings.ndim != 2:
        raise ValueError(
            "score_matrix must have shape (n_instances, n_labels) and label_embeddings "
            f"(n_labels, dim); got {tuple(score_matrix.shape)} and {tuple(label_embeddings.shape)}."
        )
    n_labels = score_matrix.shape[1]
    if label_embeddings.shape[0] != n_labels:
        raise ValueError(
            f"score_matrix has {n_labels} label columns but label_embeddings has "
            f"{label_embeddings.shape[0]} rows."
        )
    dtype = torch.promote_types(
        torch.promote_types(score_matrix.dtype, label_embeddings.dtype), torch.float32
    )
    scores = score_matrix.to(dtype)
    label_embeddings = label_embeddings.to(device=scores.device, dtype=dtype)
    if n_labels < 2:
        return label_embeddings.sum() * 0.0 + scores.sum() * 0.0

    off_diagonal = ~torch.eye(n_labels, dtype=torch.bool, device=scores.device)
    if detach_confusability:
        scores = scores.detach()
    columns = F.normalize(scores, dim=0)
    column_cosine = (columns.T @ columns) * off_diagonal
    total = column_cosine.sum()
    total = torch.where(
        total.abs() > torch.finfo(dtype).eps, total, torch.ones_like(total)
    )
    confusability = column_cosine / total

    rows = F.normalize(label_embeddings, dim=1)
    label_cosine = rows @ rows.T
    return torch.exp((confusability * label_cosine * off_diagonal).sum())
