"""CMHL's adaptive emotional exclusivity (contradiction) loss."""

import math

import torch

#: Largest Euclidean distance between two points of [-1, 1]^2.
MAX_CIRCUMPLEX_DISTANCE = 2.0 * math.sqrt(2.0)


def exclusivity_margins(
    coordinates, positive_labels, negative_labels, theta0=0.02, gamma=0.2
):
    r"""Opposite-valence label pairs and their co-activation margins.

    Parameters
    ----------
    coordinates : array-like of shape (L, 2)
        Russell circumplex ``(valence, arousal)`` of each label, in [-1, 1].
    positive_labels : sequence of int
        Indices of the positive-valence emotions.
    negative_labels : sequence of int
        Indices of the negative-valence emotions; disjoint from
        ``positive_labels``.
    theta0 : float, default=0.02
        Base margin :math:`\theta_0`, the co-activation tolerated for the most
        distant pair.
    gamma : float, default=0.2
        Scale :math:`\gamma` of the extra margin granted to close pairs.

    Returns
    -------
    pairs : torch.LongTensor of shape (P, 2)
        Every ``(i, j)`` with ``i`` in ``positive_labels`` and ``j`` in
        ``negative_labels``, in that nested order.
    margins : torch.Tensor of shape (P,)
        :math:`\theta_{ij}`, float32.

    Notes
    -----
    .. math::

        d_{ij} = \frac{\lVert (v_i, a_i) - (v_j, a_j) \rVert_2}{2\sqrt{2}}
            \in [0, 1], \qquad
        \theta_{ij} = \theta_0 + \gamma (1 - d_{ij}),

    so close emotions may co-activate more than distant ones. The CMHL paper
    gives no values for :math:`\theta_0` and :math:`\gamma` (its equations
    did not survive extraction and the text only names them). The defaults
    keep every margin in [0.02, 0.22], well below 0.5 (the largest value
    :math:`\min(p_i, p_j)` can take under a softmax), so the penalty acts
    whenever two opposite emotions are both more than faintly predicted: with
    joy–sadness-like distances (:math:`d \approx 0.6`) co-activation above
    roughly 0.1 is penalised. (Margins of 0.1–0.3 left the loss at zero on
    almost every multi-label batch.)

    Examples
    --------
    >>> coords = [[0.8, 0.5], [-0.8, -0.4], [0.6, 0.6]]
    >>> pairs, margins = exclusivity_margins(coords, [0, 2], [1])
    >>> pairs.tolist()
    [[0, 1], [2, 1]]
    >>> # 0.02 + 0.2 * (1 - d), d = sqrt(1.6^2 + 0.9^2) / 2.8284, ...
    >>> [round(m, 4) for m in margins.tolist()]
    [0.0902, 0.0983]
    """
    coordinates = torch.as_tensor(coordinates, dtype=torch.float32)
    if coordinates.ndim != 2 or coordinates.shape[1] != 2:
        raise ValueError(
            f"coordinates must have shape (n_labels, 2); got {tuple(coordinates.shape)}."
        )
    positive = torch.as_tensor(positive_labels, dtype=torch.long).reshape(-1)
    negative = torch.as_tensor(negative_labels, dtype=torch.long).reshape(-1)
    n_labels = coordinates.shape[0]
    for name, indices in (("positive_labels", positive), ("negative_labels", negative)):
        if indices.numel() and (indices.min() < 0 or indices.max() >= n_labels):
            raise ValueError(
                f"{name} must be label indices in [0, {n_labels}); got {indices.tolist()}."
            )
    overlap = set(positive.tolist()) & set(negative.tolist())
    if overlap:
        raise ValueError(
            f"A label cannot have both valences; in both lists: {sorted(overlap)}."
        )

    pairs = torch.cartesian_prod(positive, negative).reshape(-1, 2)
    distance = torch.linalg.vector_norm(
        coordinates[pairs[:, 0]] - coordinates[pairs[:, 1]], dim=1
    )
    margins = theta0 + gamma * (1.0 - distance / MAX_CIRCUMPLEX_DISTANCE)
    return pairs, margins


def exclusivity_loss(probabilities, pairs, margins, targets=None):
    r"""Penalise confident predictions of two opposite-valence emotions.

    Parameters
    ----------
    probabilities : torch.Tensor of shape (B, L)
        Emotion probabilities (softmax, or sigmoid in multi-label mode). Any
        floating dtype; the loss is computed in at least float32.
    pairs : torch.LongTensor of shape (P, 2)
        Label pairs ``(i, j)``, from :func:`exclusivity_margins`.
    margins : torch.Tensor of shape (P,)
        Margin :math:`\theta_{ij}` of each pair.
    targets : torch.Tensor of shape (B, L) or None, default=None
        Gold indicator (multi-label). A pair whose two labels are both gold
        positives of a text is not penalised for that text: a tweet may be
        joyful *and* sad, and the loss must not fight the classification
        term there.

    Returns
    -------
    torch.Tensor
        Scalar loss, float32 (float64 for float64 probabilities). A zero that
        is still connected to ``probabilities`` when there is no pair or no
        instance.

    Notes
    -----
    .. math::

        \mathcal{L}_{excl} = \frac{1}{B} \sum_{b=1}^{B} \sum_{(i, j)}
            [\neg(y_{b,i} \wedge y_{b,j})]\,
            \max\big(0, \min(p_{b,i}, p_{b,j}) - \theta_{ij}\big).

    The sum over pairs (rather than their mean) keeps a single co-activated
    pair as strong whatever the number of pairs :math:`P` (up to
    :math:`\approx 100` for GoEmotions): the loss is per text, on the scale of
    the cross-entropy it is added to. The gradient of an active pair flows
    into the smaller of the two probabilities only, and lowers it.

    Examples
    --------
    >>> import torch
    >>> p = torch.tensor([[0.5, 0.4, 0.1], [0.9, 0.05, 0.05]])
    >>> pairs = torch.tensor([[0, 1]])
    >>> round(exclusivity_loss(p, pairs, torch.tensor([0.2])).item(), 4)  # (0.4 - 0.2 + 0) / 2
    0.1
    >>> gold = torch.tensor([[1, 1, 0], [1, 0, 0]])  # text 0 is gold for both labels
    >>> round(exclusivity_loss(p, pairs, torch.tensor([0.2]), gold).item(), 4)
    0.0
    """
    if probabilities.ndim != 2:
        raise ValueError(
            "probabilities must have shape (n_instances, n_labels); "
            f"got {tuple(probabilities.shape)}."
        )
    pairs = torch.as_tensor(
        pairs, dtype=torch.long, device=probabilities.device
    ).reshape(-1, 2)
    probabilities = probabilities.to(
        torch.promote_types(probabilities.dtype, torch.float32)
    )
    margins = torch.as_tensor(
        margins, device=probabilities.device, dtype=probabilities.dtype
    ).reshape(-1)
    if margins.shape[0] != pairs.shape[0]:
        raise ValueError(f"Got {pairs.shape[0]} pairs but {margins.shape[0]} margins.")
    if pairs.shape[0] == 0 or probabilities.shape[0] == 0:
        return probabilities.sum() * 0.0
    co_activation = torch.minimum(
        probabilities[:, pairs[:, 0]], probabilities[:, pairs[:, 1]]
    )
    penalty = torch.relu(co_activation - margins)
    if targets is not None:
        gold = torch.as_tensor(targets, device=probabilities.device) != 0
        if gold.shape != probabilities.shape:
            raise ValueError(
                f"targets must have the shape of probabilities "
                f"{tuple(probabilities.shape)}; got {tuple(gold.shape)}."
            )
        penalty = penalty * ~(gold[:, pairs[:, 0]] & gold[:, pairs[:, 1]])
    return penalty.sum(dim=1).mean()
