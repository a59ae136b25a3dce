"""TACO's clustering-guided contrastive loss (CCL) and its batch k-means."""

import warnings

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.cluster import KMeans
from sklearn.exceptions import ConvergenceWarning

#: k-means restarts per batch: few, because it runs at every training step.
KMEANS_N_INIT = 3


def n_distinct_labels(targets):
    """Number of distinct labels present in a batch.

    This is the number of clusters ``K`` that TACO gives k-means.

    Parameters
    ----------
    targets : torch.Tensor or array-like
        Either class ids of shape (B,) (single-label) or a multi-hot indicator
        matrix of shape (B, L) (multi-label).

    Returns
    -------
    int
        Single-label: the number of unique class ids. Multi-label: the number
        of labels with at least one positive instance in the batch.

    Examples
    --------
    >>> import torch
    >>> n_distinct_labels(torch.tensor([3, 1, 3, 0]))
    3
    >>> n_distinct_labels(torch.tensor([[1, 0, 0], [1, 0, 1]]))
    2
    """
    targets = torch.as_tensor(targets)
    if targets.ndim == 1:
        return int(torch.unique(targets).numel())
    if targets.ndim == 2:
        return int((targets != 0).any(dim=0).sum())
    raise ValueError(
        "targets must be 1-D class ids or a 2-D indicator matrix; "
        f"got shape {tuple(targets.shape)}."
    )


def batch_kmeans(embeddings, n_clusters, random_state=None):
    """Cluster a batch of embeddings with k-means, outside the autograd graph.

    Parameters
    ----------
    embeddings : torch.Tensor of shape (B, d)
        Instance embeddings. They are detached and L2-normalised before
        clustering, so the partition follows their directions, the geometry
        that :func:`clustering_contrastive_loss` works in.
    n_clusters : int
        Requested number of clusters, usually ``n_distinct_labels(targets)``;
        clamped to ``[1, B]``.
    random_state : int, numpy.random.RandomState or None, default=None
        Seed of :class:`sklearn.cluster.KMeans` (``n_init=3``), for
        reproducible clusters.

    Returns
    -------
    torch.LongTensor of shape (B,)
        Cluster index of each instance, on the device of ``embeddings``.

    Notes
    -----
    When the batch has fewer distinct points than clusters (e.g. identical
    embeddings at initialisation), k-means returns fewer non-empty clusters;
    scikit-learn's ``ConvergenceWarning`` about it is silenced because that is
    an expected state of a mini-batch, not a failure.

    Examples
    --------
    >>> import torch
    >>> h = torch.tensor([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]])
    >>> c = batch_kmeans(h, 2, random_state=0)
    >>> bool(c[0] == c[1]), bool(c[2] == c[3]), bool(c[0] != c[2])
    (True, True, True)
    """
    if embeddings.ndim != 2:
        raise ValueError(
            f"embeddings must have shape (n_instances, dim); got {tuple(embeddings.shape)}."
        )
    n_instances = embeddings.shape[0]
    n_clusters = min(max(int(n_clusters), 1), n_instances)
    if n_clusters <= 1:
        return torch.zeros(n_instances, dtype=torch.long, device=embeddings.device)
    points = (
        F.normalize(embeddings.detach().float(), dim=1).cpu().numpy().astype(np.float64)
    )
    kmeans = KMeans(
        n_clusters=n_clusters, n_init=KMEANS_N_INIT, random_state=random_state
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        assignment = kmeans.fit_predict(points)
    return torch.as_tensor(assignment, dtype=torch.long, device=embeddings.device)


def _same_label(targets):
    """(B, B) bool matrix: do instances i and j share a label?"""
    if targets.ndim == 1:
        return targets[:, None] == targets[None, :]
    if targets.ndim == 2:
        indicator = (targets != 0).float()
        return (indicator @ indicator.T) > 0
    raise ValueError(
        "targets must be 1-D class ids or a 2-D indicator matrix; "
        f"got shape {tuple(targets.shape)}."
    )


def clustering_contrastive_loss(
    embeddings,
    targets,
    clusters,
    temperature,
    base_temperature=None,
    mean_over="anchors",
):
    r"""TACO's clustering-guided contrastive loss over hard instance pairs.

    Parameters
    ----------
    embeddings : torch.Tensor of shape (B, d)
        Instance embeddings :math:`h_u`; L2-normalised inside the loss. Any
        floating dtype; the loss is computed in at least float32.
    targets : torch.Tensor of shape (B,) or (B, L)
        Class ids (single-label: "same label" means equal ids) or a multi-hot
        indicator matrix (multi-label extension: "same label" means the two
        label sets intersect; an instance without labels shares a label with
        nobody).
    clusters : torch.Tensor of shape (B,)
        Cluster index of each instance, e.g. from :func:`batch_kmeans`.
    temperature : float
        Temperature :math:`\tau > 0` (TACO uses 0.5).
    base_temperature : float or None, default=None
        If given, the loss is multiplied by :math:`\tau / \tau_{base}`, as in
        SupCon and TACO's reference code (:math:`\tau_{base} = 0.07`, so a
        factor of about 7.1 at :math:`\tau = 0.5`): it gives the gradient with
        respect to the cosines the same size whatever :math:`\tau`.
    mean_over : {"anchors", "batch"}, default="anchors"
        Divide the sum of the per-anchor losses by :math:`|I^+|`, the anchors
        that have a hard positive, or by the batch size :math:`B`, as the paper
        and its reference code do (anchors without a hard positive then count
        as zeros).

    Returns
    -------
    torch.Tensor
        Scalar loss, float32 (float64 for float64 embeddings). Zero, still
        connected to ``embeddings`` in the autograd graph, when no instance
        has a hard positive.

    Notes
    -----
    With :math:`c_i` the cluster and :math:`h_i` the L2-normalised embedding
    of instance :math:`i`, the hard positives and hard negatives are

    .. math::

        P(i) = \{p \neq i : \text{same label}(i, p),\ c_p \neq c_i\}, \qquad
        N(i) = \{n \neq i : \text{not same label}(i, n),\ c_n = c_i\},

    .. math::

        l_{i,p} = -\log \frac{\exp(h_i \cdot h_p / \tau)}
            {\sum_{j \in P(i) \cup N(i)} \exp(h_i \cdot h_j / \tau)},
        \qquad
        \mathcal{L}_{CCL} = \frac{\tau}{\tau_{base}} \frac{1}{Z} \sum_{i \in I^+}
            \frac{1}{|P(i)|} \sum_{p \in P(i)} l_{i,p},

    where :math:`I^+ = \{i : P(i) \neq \emptyset\}`, :math:`Z = |I^+|` or
    :math:`B` (``mean_over``) and the factor :math:`\tau / \tau_{base}` is 1
    unless ``base_temperature`` is given.

    Deviations from the TACO paper, on purpose:

    * :math:`h` is L2-normalised (the paper writes a plain dot product), so
      that :math:`1/\tau` bounds the logits as in SimCSE/SupCon and the loss
      does not reward inflating the embedding norm.
    * Instances with an empty :math:`P(i)` contribute nothing (with
      ``mean_over="batch"`` they count as zeros in the mean, as in the paper,
      which divides by :math:`|B|`). TACO's reference code instead gives such
      instances up to three random negatives; skipping keeps the loss
      deterministic given the clusters and limited to the hard pairs the
      method is about.

    Examples
    --------
    >>> import torch
    >>> h = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    >>> y = torch.tensor([0, 0, 1])
    >>> c = torch.tensor([0, 1, 1])
    >>> loss = clustering_contrastive_loss(h, y, c, temperature=1.0)
    >>> round(loss.item(), 4)  # instance 0: -log(e^0 / e^0); instance 1: log(1 + e^1)
    0.6566
    """
    if embeddings.ndim != 2:
        raise ValueError(
            f"embeddings must have shape (n_instances, dim); got {tuple(embeddings.shape)}."
        )
    n_instances = embeddings.shape[0]
    if targets.shape[0] != n_instances or clusters.shape != (n_instances,):
        raise ValueError(
            f"targets and clusters must have {n_instances} rows, like embeddings; got "
            f"{tuple(targets.shape)} and {tuple(clusters.shape)}."
        )
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0; got {temperature!r}.")
    if base_temperature is not None and not base_temperature > 0:
        raise ValueError(
            f"base_temperature must be > 0 or None; got {base_temperature!r}."
        )
    if mean_over not in ("anchors", "batch"):
        raise ValueError(f"mean_over must be 'anchors' or 'batch'; got {mean_over!r}.")

    embeddings = embeddings.to(torch.promote_types(embeddings.dtype, torch.float32))
    device = embeddings.device
    same_label = _same_label(targets.to(device))
    clusters = clusters.to(device)
    same_cluster = clusters[:, None] == clusters[None, :]
    not_self = ~torch.eye(n_instances, dtype=torch.bool, device=device)
    positive = same_label & ~same_cluster & not_self
    negative = ~same_label & same_cluster & not_self

    anchors = positive.any(dim=1)
    if not anchors.any():
        return embeddings.sum() * 0.0

    h = F.normalize(embeddings, dim=1)
    logits = (h[anchors] @ h.T) / temperature
    positive, contrast = positive[anchors], (positive | negative)[anchors]
    # Every anchor row has at least one positive, so its denominator is finite.
    log_denominator = torch.logsumexp(
        logits.masked_fill(~contrast, -torch.inf), dim=1, keepdim=True
    )
    per_pair = log_denominator - logits
    per_anchor = (per_pair * positive).sum(dim=1) / positive.sum(dim=1)
    loss = per_anchor.sum() / (
        n_instances if mean_over == "batch" else per_anchor.shape[0]
    )
    if base_temperature is not None:
        loss = loss * (temperature / base_temperature)
    return loss
