"""Unit tests of skemo.losses against values worked out by hand."""

import math
import warnings

import pytest
import torch
import torch.nn.functional as F

from skemo.losses import (
    ClassificationLoss,
    DistillationLoss,
    batch_kmeans,
    clustering_contrastive_loss,
    exclusivity_loss,
    exclusivity_margins,
    label_disentangling_loss,
    multi_positive_contrastive_loss,
    n_distinct_labels,
    soften,
)

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


def assert_scalar_with_finite_grad(loss, *inputs):
    assert loss.ndim == 0
    assert torch.isfinite(loss)
    grads = torch.autograd.grad(loss, inputs, allow_unused=True)
    for grad in grads:
        assert grad is not None
        assert torch.isfinite(grad).all()
    return grads


# --------------------------------------------------------------------------
# multi_positive_contrastive_loss
# --------------------------------------------------------------------------
MPC_SCORES = [[1.0, 0.0, -1.0], [0.5, 2.0, 0.0], [3.0, 1.0, 2.0]]
MPC_TARGETS = [[1, 1, 0], [0, 0, 1], [0, 0, 0]]
# text 0, positives {0, 1}, negative {2}:
#   p=0: -log(e^1 / (e^1 + e^-1)) = log(1 + e^-2)
#   p=1: -log(e^0 / (e^0 + e^-1)) = log(1 + e^-1)
# text 1, positive {2}: -log(e^0 / (e^0 + e^0.5 + e^2)) = log(1 + e^0.5 + e^2)
# text 2 has no positive and is left out of the mean.
MPC_EXPECTED = (
    0.5 * (math.log(1 + math.exp(-2)) + math.log(1 + math.exp(-1)))
    + math.log(1 + math.exp(0.5) + math.exp(2))
) / 2


@pytest.mark.parametrize("device", DEVICES)
def test_multi_positive_contrastive_by_hand(device):
    scores = torch.tensor(MPC_SCORES, device=device, requires_grad=True)
    targets = torch.tensor(MPC_TARGETS, device=device)
    loss = multi_positive_contrastive_loss(scores, targets)
    assert loss.device.type == device
    assert loss.item() == pytest.approx(MPC_EXPECTED, rel=1e-6)
    (grad,) = assert_scalar_with_finite_grad(loss, scores)
    assert torch.all(grad[2] == 0)  # the text without a positive gets no gradient


def test_multi_positive_contrastive_target_dtypes_agree():
    scores = torch.tensor(MPC_SCORES)
    as_int = multi_positive_contrastive_loss(scores, torch.tensor(MPC_TARGETS))
    as_bool = multi_positive_contrastive_loss(scores, torch.tensor(MPC_TARGETS).bool())
    as_float = multi_positive_contrastive_loss(
        scores, torch.tensor(MPC_TARGETS).float()
    )
    assert as_int.item() == as_bool.item() == as_float.item()


def test_multi_positive_contrastive_one_hot_is_cross_entropy():
    generator = torch.Generator().manual_seed(0)
    scores = torch.randn(7, 5, generator=generator) * 3
    classes = torch.randint(0, 5, (7,), generator=generator)
    loss = multi_positive_contrastive_loss(scores, F.one_hot(classes, 5))
    torch.testing.assert_close(loss, F.cross_entropy(scores, classes))


def test_multi_positive_contrastive_all_labels_positive_is_zero():
    # Text 0 has no negative: each positive is contrasted with itself only, log(1) = 0.
    # Text 1: -log(e^2 / (e^2 + e^0)) = log(1 + e^-2).
    scores = torch.tensor([[5.0, -3.0, 1.0], [2.0, 0.0, -50.0]], requires_grad=True)
    targets = torch.tensor([[1, 1, 1], [1, 0, 0]])
    loss = multi_positive_contrastive_loss(scores, targets)
    assert loss.item() == pytest.approx(math.log(1 + math.exp(-2)) / 2, rel=1e-6)
    (grad,) = assert_scalar_with_finite_grad(loss, scores)
    assert torch.all(grad[0] == 0)
    only_positives = multi_positive_contrastive_loss(scores[:1], targets[:1])
    assert only_positives.item() == 0.0


def test_multi_positive_contrastive_no_positive_is_zero_with_grad():
    scores = torch.randn(3, 4, requires_grad=True)
    loss = multi_positive_contrastive_loss(scores, torch.zeros(3, 4))
    assert loss.item() == 0.0
    (grad,) = assert_scalar_with_finite_grad(loss, scores)
    assert torch.all(grad == 0)


def test_multi_positive_contrastive_permutation_invariant():
    scores, targets = torch.tensor(MPC_SCORES), torch.tensor(MPC_TARGETS)
    order = torch.tensor([2, 0, 1])
    torch.testing.assert_close(
        multi_positive_contrastive_loss(scores[order], targets[order]),
        multi_positive_contrastive_loss(scores, targets),
    )


def test_multi_positive_contrastive_bf16_computes_in_float32():
    scores = torch.tensor(MPC_SCORES, dtype=torch.bfloat16)
    loss = multi_positive_contrastive_loss(scores, torch.tensor(MPC_TARGETS))
    assert loss.dtype == torch.float32
    reference = multi_positive_contrastive_loss(
        scores.float(), torch.tensor(MPC_TARGETS)
    )
    assert loss.item() == pytest.approx(reference.item(), rel=1e-6)
    assert loss.item() == pytest.approx(MPC_EXPECTED, rel=1e-2)


def test_multi_positive_contrastive_rejects_shape_mismatch():
    with pytest.raises(ValueError, match="same|shape"):
        multi_positive_contrastive_loss(torch.zeros(2, 3), torch.zeros(2, 4))


# --------------------------------------------------------------------------
# clustering_contrastive_loss, batch_kmeans, n_distinct_labels
# --------------------------------------------------------------------------
# Norms differ on purpose: the loss normalises, giving the unit vectors
# h0 = (1, 0), h1 = (0, 1), h2 = (0.6, 0.8), h3 = (1, 0).
CCL_EMBEDDINGS = [[2.0, 0.0], [0.0, 3.0], [3.0, 4.0], [1.0, 0.0]]
CCL_LABELS = [0, 0, 1, 1]
CCL_CLUSTERS = [0, 1, 1, 0]
CCL_TAU = 0.5
# Logits h_i . h_j / 0.5: (0,1)=0, (0,3)=2, (1,2)=1.6, (2,3)=1.2, (0,2)=1.2.
# i=0: P={1}, N={3} -> -log(e^0 / (e^0 + e^2))     = log(1 + e^2)
# i=1: P={0}, N={2} -> -log(e^0 / (e^0 + e^1.6))   = log(1 + e^1.6)
# i=2: P={3}, N={1} -> -log(e^1.2 / (e^1.2 + e^1.6)) = log(1 + e^0.4)
# i=3: P={2}, N={0} -> -log(e^1.2 / (e^1.2 + e^2))   = log(1 + e^0.8)
CCL_EXPECTED = sum(math.log(1 + math.exp(x)) for x in (2.0, 1.6, 0.4, 0.8)) / 4


@pytest.mark.parametrize("device", DEVICES)
def test_clustering_contrastive_by_hand(device):
    h = torch.tensor(CCL_EMBEDDINGS, device=device, requires_grad=True)
    loss = clustering_contrastive_loss(
        h,
        torch.tensor(CCL_LABELS, device=device),
        torch.tensor(CCL_CLUSTERS, device=device),
        CCL_TAU,
    )
    assert loss.device.type == device
    assert loss.item() == pytest.approx(CCL_EXPECTED, rel=1e-6)
    assert_scalar_with_finite_grad(loss, h)


def test_clustering_contrastive_skips_instance_without_hard_positive():
    # Unit vectors h0 = (1, 0), h1 = (0, 1), h2 = (0, 1); tau = 1.
    # i=0 (label 0, cluster 0): P={1}, N={}  -> -log(e^0 / e^0) = 0
    # i=1 (label 0, cluster 1): P={0}, N={2} -> -log(e^0 / (e^0 + e^1)) = log(1 + e)
    # i=2 (label 1, cluster 1): P={} -> skipped, the mean runs over 2 instances.
    h = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]], requires_grad=True)
    loss = clustering_contrastive_loss(
        h, torch.tensor([0, 0, 1]), torch.tensor([0, 1, 1]), 1.0
    )
    assert loss.item() == pytest.approx(math.log(1 + math.e) / 2, rel=1e-6)
    assert_scalar_with_finite_grad(loss, h)
    # TACO's reference code: mean over the whole batch (i=2 counts as 0), times tau / 0.07.
    reference = clustering_contrastive_loss(
        h,
        torch.tensor([0, 0, 1]),
        torch.tensor([0, 1, 1]),
        1.0,
        base_temperature=0.07,
        mean_over="batch",
    )
    assert reference.item() == pytest.approx(math.log(1 + math.e) / 3 / 0.07, rel=1e-6)
    with pytest.raises(ValueError, match="mean_over"):
        clustering_contrastive_loss(
            h, torch.tensor([0, 0, 1]), torch.tensor([0, 1, 1]), 1.0, mean_over="pairs"
        )


def test_clustering_contrastive_multi_label_uses_label_set_intersection():
    # Label sets {0,1}, {1}, {2}, {0,2}; clusters and unit vectors as CCL_EMBEDDINGS.
    # Shared labels: (0,1), (0,3), (2,3).
    # i=0: P={1} (3 is in the same cluster), N={} (2 is in another cluster) -> 0
    # i=1: P={0}, N={2} -> log(1 + e^1.6)
    # i=2: P={3}, N={1} -> log(1 + e^0.4)
    # i=3: P={2} (0 is in the same cluster), N={} (1 is in another cluster) -> 0
    targets = torch.tensor([[1, 1, 0], [0, 1, 0], [0, 0, 1], [1, 0, 1]])
    h = torch.tensor(CCL_EMBEDDINGS, requires_grad=True)
    loss = clustering_contrastive_loss(h, targets, torch.tensor(CCL_CLUSTERS), CCL_TAU)
    expected = (math.log(1 + math.exp(1.6)) + math.log(1 + math.exp(0.4))) / 4
    assert loss.item() == pytest.approx(expected, rel=1e-6)
    assert_scalar_with_finite_grad(loss, h)


def test_clustering_contrastive_single_label_batch():
    h = torch.tensor(CCL_EMBEDDINGS, requires_grad=True)
    labels = torch.zeros(4, dtype=torch.long)
    assert n_distinct_labels(labels) == 1
    clusters = batch_kmeans(h, n_distinct_labels(labels), random_state=0)
    assert clusters.tolist() == [0, 0, 0, 0]
    loss = clustering_contrastive_loss(h, labels, clusters, CCL_TAU)
    assert loss.item() == 0.0
    (grad,) = assert_scalar_with_finite_grad(loss, h)
    assert torch.all(grad == 0)
    # Same label everywhere but two clusters: only hard positives, no negatives.
    # i=0: P={1, 2}, logits 0 and 1.2 -> 1/2 [log(e^0 + e^1.2) - 0 + log(e^0 + e^1.2) - 1.2]
    # i=3: same as i=0 (h3 = h0); i=1: P={0, 3}, both logits 0 -> log 2;
    # i=2: P={0,3}, both 1.2 -> log 2
    split = clustering_contrastive_loss(h, labels, torch.tensor([0, 1, 1, 0]), CCL_TAU)
    first = math.log(1 + math.exp(1.2)) - 0.6
    assert split.item() == pytest.approx((2 * first + 2 * math.log(2)) / 4, rel=1e-6)


def test_clustering_contrastive_nobody_qualifies_is_zero_with_grad():
    # Every instance has its own label: no hard positive anywhere.
    h = torch.randn(4, 3, requires_grad=True)
    loss = clustering_contrastive_loss(
        h, torch.arange(4), torch.tensor([0, 0, 1, 1]), 0.5
    )
    assert loss.item() == 0.0
    assert_scalar_with_finite_grad(loss, h)


def test_clustering_contrastive_permutation_invariant():
    h, y, c = (
        torch.tensor(CCL_EMBEDDINGS),
        torch.tensor(CCL_LABELS),
        torch.tensor(CCL_CLUSTERS),
    )
    order = torch.tensor([3, 1, 0, 2])
    torch.testing.assert_close(
        clustering_contrastive_loss(h[order], y[order], c[order], CCL_TAU),
        clustering_contrastive_loss(h, y, c, CCL_TAU),
    )


def test_clustering_contrastive_bf16_computes_in_float32():
    h = torch.tensor(CCL_EMBEDDINGS, dtype=torch.bfloat16)
    loss = clustering_contrastive_loss(
        h, torch.tensor(CCL_LABELS), torch.tensor(CCL_CLUSTERS), CCL_TAU
    )
    assert loss.dtype == torch.float32
    assert loss.item() == pytest.approx(CCL_EXPECTED, rel=1e-2)


def test_clustering_contrastive_rejects_bad_temperature():
    with pytest.raises(ValueError, match="temperature"):
        clustering_contrastive_loss(
            torch.ones(2, 2), torch.tensor([0, 0]), torch.tensor([0, 1]), 0.0
        )


def test_n_distinct_labels():
    assert n_distinct_labels(torch.tensor([4, 1, 4, 0])) == 3
    assert (
        n_distinct_labels(torch.tensor([[1, 0, 0, 0], [1, 0, 1, 0], [0, 0, 0, 0]])) == 2
    )
    assert n_distinct_labels([[True, False], [True, True]]) == 2


def test_batch_kmeans_clusters_directions():
    # Raw k-means would pair the two short vectors; on the unit circle the
    # directions decide: {0, 1} along x, {2, 3} along y.
    h = torch.tensor(
        [[1.0, 0.0], [10.0, 0.5], [0.0, 1.0], [0.5, 10.0]], requires_grad=True
    )
    clusters = batch_kmeans(h, 2, random_state=0)
    assert clusters.dtype == torch.long and clusters.shape == (4,)
    assert (
        clusters[0] == clusters[1]
        and clusters[2] == clusters[3]
        and clusters[0] != clusters[2]
    )
    assert torch.equal(clusters, batch_kmeans(h, 2, random_state=0))


def test_batch_kmeans_clamps_cluster_count_and_tolerates_duplicates():
    h = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    assert batch_kmeans(h, 0).tolist() == [0, 0, 0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clusters = batch_kmeans(
            h, 10, random_state=0
        )  # clamped to 3; only 2 distinct points
    assert clusters.shape == (3,) and int(clusters.max()) < 3
    assert clusters[0] == clusters[1] != clusters[2]


# --------------------------------------------------------------------------
# label_disentangling_loss
# --------------------------------------------------------------------------
# Score columns M[:,0] = (3, 4), M[:,1] = (4, 3), M[:,2] = (0, 1):
#   cos01 = 24/25 = 0.96, cos02 = 4/5 = 0.8, cos12 = 3/5 = 0.6;
#   sum over ordered pairs = 2 * 2.36 = 4.72
# Label embeddings e0 = (1, 0, 0), e1 = (0.6, 0.8, 0), e2 = (0, 0.6, 0.8):
#   cos01 = 0.6, cos02 = 0, cos12 = 0.48
# L = exp(2 * (0.96 * 0.6 + 0.8 * 0 + 0.6 * 0.48) / 4.72) = exp(1.728 / 4.72)
LDL_SCORES = [[3.0, 4.0, 0.0], [4.0, 3.0, 1.0]]
LDL_LABEL_EMBEDDINGS = [[1.0, 0.0, 0.0], [0.6, 0.8, 0.0], [0.0, 0.6, 0.8]]
LDL_EXPECTED = math.exp(1.728 / 4.72)


@pytest.mark.parametrize("device", DEVICES)
def test_label_disentangling_by_hand(device):
    scores = torch.tensor(LDL_SCORES, device=device, requires_grad=True)
    h_e = torch.tensor(LDL_LABEL_EMBEDDINGS, device=device, requires_grad=True)
    loss = label_disentangling_loss(scores, h_e)
    assert loss.device.type == device
    assert loss.item() == pytest.approx(LDL_EXPECTED, rel=1e-6)
    assert_scalar_with_finite_grad(loss, h_e)


def test_label_disentangling_confusability_is_detached_by_default():
    scores = torch.tensor(LDL_SCORES, requires_grad=True)
    h_e = torch.tensor(LDL_LABEL_EMBEDDINGS, requires_grad=True)
    grad_scores, _ = torch.autograd.grad(
        label_disentangling_loss(scores, h_e), (scores, h_e), allow_unused=True
    )
    assert grad_scores is None
    attached = label_disentangling_loss(scores, h_e, detach_confusability=False)
    assert attached.item() == pytest.approx(LDL_EXPECTED, rel=1e-6)
    grad_scores, grad_h_e = assert_scalar_with_finite_grad(attached, scores, h_e)
    assert grad_scores.abs().sum() > 0


def test_label_disentangling_single_label_is_zero_with_grad():
    scores = torch.randn(4, 1, requires_grad=True)
    h_e = torch.randn(1, 3, requires_grad=True)
    loss = label_disentangling_loss(scores, h_e)
    assert loss.item() == 0.0
    assert_scalar_with_finite_grad(loss, h_e)


def test_label_disentangling_zero_columns():
    # Column 2 is zero: its cosines are 0, so only the pair (0, 1) counts, f = 1/2 each way.
    # L = exp(2 * 0.5 * cos(e0, e1)) = exp(0.6)
    h_e = torch.tensor(LDL_LABEL_EMBEDDINGS, requires_grad=True)
    loss = label_disentangling_loss(
        torch.tensor([[3.0, 4.0, 0.0], [4.0, 3.0, 0.0]]), h_e
    )
    assert loss.item() == pytest.approx(math.exp(0.6), rel=1e-6)
    assert_scalar_with_finite_grad(loss, h_e)
    # All scores zero: no confusability signal, f = 0, L = exp(0) = 1 and no gradient.
    scores = torch.zeros(2, 3, requires_grad=True)
    flat = label_disentangling_loss(scores, h_e, detach_confusability=False)
    assert flat.item() == 1.0
    grad_scores, grad_h_e = assert_scalar_with_finite_grad(flat, scores, h_e)
    assert torch.all(grad_h_e == 0)


def test_label_disentangling_permutation_invariant():
    scores, h_e = torch.tensor(LDL_SCORES), torch.tensor(LDL_LABEL_EMBEDDINGS)
    reference = label_disentangling_loss(scores, h_e)
    torch.testing.assert_close(label_disentangling_loss(scores[[1, 0]], h_e), reference)
    labels = torch.tensor(
        [2, 0, 1]
    )  # renaming the labels consistently changes nothing either
    torch.testing.assert_close(
        label_disentangling_loss(scores[:, labels], h_e[labels]), reference
    )


def test_label_disentangling_bf16_computes_in_float32():
    loss = label_disentangling_loss(
        torch.tensor(LDL_SCORES, dtype=torch.bfloat16),
        torch.tensor(LDL_LABEL_EMBEDDINGS, dtype=torch.bfloat16),
    )
    assert loss.dtype == torch.float32
    assert loss.item() == pytest.approx(LDL_EXPECTED, rel=1e-2)


# --------------------------------------------------------------------------
# exclusivity_margins, exclusivity_loss
# --------------------------------------------------------------------------
# (valence, arousal): 0 joy (0.8, 0.5), 1 sadness (-0.8, -0.4), 2 excitement (0.6, 0.6),
# 3 anger (-0.6, 0.7)
CIRCUMPLEX = [[0.8, 0.5], [-0.8, -0.4], [0.6, 0.6], [-0.6, 0.7]]


def test_exclusivity_margins_by_hand():
    pairs, margins = exclusivity_margins(
        CIRCUMPLEX, [0, 2], [1, 3], theta0=0.1, gamma=0.2
    )
    assert pairs.dtype == torch.long
    assert pairs.tolist() == [[0, 1], [0, 3], [2, 1], [2, 3]]
    # Coordinate differences: (1.6, 0.9), (1.4, -0.2), (1.4, 1.0), (1.2, -0.1);
    # max distance 2*sqrt(2).
    distances = [
        math.sqrt(1.6**2 + 0.9**2),
        math.sqrt(1.4**2 + 0.2**2),
        math.sqrt(1.4**2 + 1.0**2),
        math.sqrt(1.2**2 + 0.1**2),
    ]
    expected = [0.1 + 0.2 * (1 - d / (2 * math.sqrt(2))) for d in distances]
    assert margins.dtype == torch.float32
    assert margins.tolist() == pytest.approx(expected, rel=1e-6)


def test_exclusivity_margins_extremes():
    # Opposite corners are at the maximal distance (d = 1, theta = theta0);
    # identical coordinates at d = 0 (theta = theta0 + gamma).
    _, margins = exclusivity_margins(
        [[1.0, 1.0], [-1.0, -1.0], [1.0, 1.0]], [0, 2], [1], theta0=0.05, gamma=0.3
    )
    assert margins.tolist() == pytest.approx([0.05, 0.05])
    _, margins = exclusivity_margins(
        [[0.5, 0.5], [0.5, 0.5]], [0], [1], theta0=0.05, gamma=0.3
    )
    assert margins.tolist() == pytest.approx([0.35])


def test_exclusivity_margins_validation():
    with pytest.raises(ValueError, match="both valences"):
        exclusivity_margins(CIRCUMPLEX, [0, 1], [1])
    with pytest.raises(ValueError, match="indices"):
        exclusivity_margins(CIRCUMPLEX, [0], [4])
    with pytest.raises(ValueError, match="shape"):
        exclusivity_margins([[0.0, 0.0, 0.0]], [0], [])


EXCL_PROBABILITIES = [
    [0.5, 0.3, 0.1, 0.1],
    [0.25, 0.25, 0.25, 0.25],
    [0.7, 0.1, 0.1, 0.1],
]
EXCL_PAIRS = [[0, 1], [2, 3]]
EXCL_MARGINS = [0.1, 0.2]
# row 0: relu(min(0.5, 0.3) - 0.1) = 0.2,   relu(min(0.1, 0.1) - 0.2) = 0
# row 1: relu(0.25 - 0.1) = 0.15,           relu(0.25 - 0.2) = 0.05
# row 2: relu(0.1 - 0.1) = 0,               relu(0.1 - 0.2) = 0
# summed over pairs, mean over 3 rows = 0.4 / 3
EXCL_EXPECTED = 0.4 / 3


@pytest.mark.parametrize("device", DEVICES)
def test_exclusivity_loss_by_hand(device):
    p = torch.tensor(EXCL_PROBABILITIES, device=device, requires_grad=True)
    loss = exclusivity_loss(p, torch.tensor(EXCL_PAIRS), torch.tensor(EXCL_MARGINS))
    assert loss.device.type == device
    assert loss.item() == pytest.approx(EXCL_EXPECTED, rel=1e-6)
    (grad,) = assert_scalar_with_finite_grad(loss, p)
    assert grad[0, 1] == pytest.approx(
        1 / 3
    )  # p_1 is the min of the active pair in row 0
    assert grad[0, 0] == 0


def test_exclusivity_loss_skips_gold_pairs():
    p = torch.tensor(EXCL_PROBABILITIES)
    gold = torch.zeros(3, 4)
    gold[0, [0, 1]] = 1  # row 0's active pair (0, 1) is gold: only row 1 remains (0.2)
    loss = exclusivity_loss(
        p, torch.tensor(EXCL_PAIRS), torch.tensor(EXCL_MARGINS), gold
    )
    assert loss.item() == pytest.approx(0.2 / 3, rel=1e-6)
    gold[0, 1] = 0  # one gold label of the pair is not enough to spare it
    loss = exclusivity_loss(
        p, torch.tensor(EXCL_PAIRS), torch.tensor(EXCL_MARGINS), gold
    )
    assert loss.item() == pytest.approx(EXCL_EXPECTED, rel=1e-6)
    with pytest.raises(ValueError, match="targets must have the shape"):
        exclusivity_loss(
            p, torch.tensor(EXCL_PAIRS), torch.tensor(EXCL_MARGINS), gold[:2]
        )


def test_exclusivity_acts_on_opposite_valence_co_activation():
    # joy and sadness both at 0.4 under a softmax over (joy, sadness, neutral): the
    # default margin of that pair (~0.1) is passed, so the loss is non-zero and a
    # gradient step on it lowers one of the two probabilities.
    coordinates = [[0.8, 0.5], [-0.75, -0.45], [0.0, 0.0]]
    pairs, margins = exclusivity_margins(coordinates, [0], [1])
    logits = torch.log(torch.tensor([[0.4, 0.4, 0.2]])).requires_grad_()
    loss = exclusivity_loss(torch.softmax(logits, dim=1), pairs, margins)
    assert (
        loss.item() == pytest.approx(0.4 - margins.item(), rel=1e-5)
        and loss.item() > 0.2
    )
    loss.backward()
    after = torch.softmax(logits.detach() - 1.0 * logits.grad, dim=1)[0]
    assert min(after[0], after[1]) < 0.4 - 1e-3


def test_exclusivity_loss_no_pairs_is_zero_with_grad():
    pairs, margins = exclusivity_margins(CIRCUMPLEX, [0, 2], [])
    assert pairs.shape == (0, 2) and margins.shape == (0,)
    p = torch.tensor(EXCL_PROBABILITIES, requires_grad=True)
    loss = exclusivity_loss(p, pairs, margins)
    assert loss.item() == 0.0
    assert_scalar_with_finite_grad(loss, p)


def test_exclusivity_loss_permutation_invariant():
    p, pairs, margins = (
        torch.tensor(EXCL_PROBABILITIES),
        torch.tensor(EXCL_PAIRS),
        torch.tensor(EXCL_MARGINS),
    )
    order = torch.tensor([2, 0, 1])
    torch.testing.assert_close(
        exclusivity_loss(p[order], pairs, margins), exclusivity_loss(p, pairs, margins)
    )


def test_exclusivity_loss_bf16_computes_in_float32():
    p = torch.tensor(EXCL_PROBABILITIES, dtype=torch.bfloat16)
    loss = exclusivity_loss(p, torch.tensor(EXCL_PAIRS), torch.tensor(EXCL_MARGINS))
    assert loss.dtype == torch.float32
    assert loss.item() == pytest.approx(EXCL_EXPECTED, abs=5e-3)


def test_exclusivity_pipeline_from_circumplex():
    pairs, margins = exclusivity_margins(CIRCUMPLEX, [0, 2], [1, 3])
    p = torch.softmax(torch.randn(5, 4), dim=1).requires_grad_()
    loss = exclusivity_loss(p, pairs, margins)
    assert 0.0 <= loss.item() <= 0.5 * len(pairs)
    assert_scalar_with_finite_grad(loss, p)


# --------------------------------------------------------------------------
# DistillationLoss
# --------------------------------------------------------------------------
def softplus(x):
    return math.log1p(math.exp(x))


def test_distillation_multilabel_by_hand():
    # BCE(z, t) = softplus(z) - t z. Text 1 is unlabelled: its gold row is ignored.
    z = torch.tensor([[0.0, 1.0, -1.0], [2.0, 0.0, 0.0]])
    gold = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 1.0]])
    teacher = torch.tensor([[0.5, 0.8, 0.1], [0.9, 0.5, 0.2]])
    labelled = torch.tensor([True, False])
    gold_term = (math.log(2) + softplus(1) + softplus(-1)) / 3          # text 0 only
    soft_term = (math.log(2) + (softplus(1) - 0.8) + (softplus(-1) + 0.1)
                 + (softplus(2) - 1.8) + math.log(2) + math.log(2)) / 6  # every text
    loss = DistillationLoss(multilabel=True, alpha=0.25)
    assert loss(z, gold, teacher, labelled).item() == pytest.approx(
        0.25 * gold_term + 0.75 * soft_term, abs=1e-6)
    terms = loss.terms(z, gold, teacher, labelled)
    assert terms["gold"].item() == pytest.approx(0.25 * gold_term, abs=1e-6)


def test_distillation_single_label_by_hand():
    # CE of text 0 (class 0); KL(q || softmax(z)) = sum q log q - sum q log p, per text.
    z = torch.tensor([[1.0, 0.0, 0.0], [0.0, 2.0, 0.0]])
    gold = torch.tensor([0, 2])
    teacher = torch.tensor([[0.5, 0.25, 0.25], [0.2, 0.6, 0.2]])
    labelled = torch.tensor([True, False])
    e = math.e
    cross_entropy = math.log(e + 2) - 1
    kl_0 = (0.5 * math.log(0.5) + 0.5 * math.log(0.25)) - 0.5 + math.log(e + 2)
    kl_1 = (0.4 * math.log(0.2) + 0.6 * math.log(0.6)) - 1.2 + math.log(e**2 + 2)
    loss = DistillationLoss(multilabel=False, alpha=0.5)
    assert loss(z, gold, teacher, labelled).item() == pytest.approx(
        0.5 * cross_entropy + 0.5 * (kl_0 + kl_1) / 2, abs=1e-6)


def test_distillation_temperature_softens_and_scales_by_its_square():
    # q = 0.8 at T = 2: sigmoid(log(4) / 2) = 2/3; the student's sigmoid(0 / 2) = 1/2.
    teacher = torch.tensor([[0.8]])
    assert soften(teacher, 2.0, multilabel=True).item() == pytest.approx(2 / 3, abs=1e-6)
    loss = DistillationLoss(multilabel=True, alpha=0.0, temperature=2.0)
    value = loss(torch.zeros(1, 1), torch.zeros(1, 1), teacher, torch.tensor([True]))
    bce = -(2 / 3) * math.log(0.5) - (1 / 3) * math.log(0.5)
    assert value.item() == pytest.approx(4 * bce, abs=1e-6)
    # softmax rows: q_T is proportional to q^(1/T)
    soft = soften(torch.tensor([[0.64, 0.36]]), 2.0, multilabel=False)
    assert soft.tolist()[0] == pytest.approx([0.8 / 1.4, 0.6 / 1.4], abs=1e-6)


def test_distillation_without_labelled_texts_has_a_zero_gold_term_with_grad():
    z = torch.tensor([[0.3, -0.2]], requires_grad=True)
    loss = DistillationLoss(multilabel=True, alpha=0.9)
    terms = loss.terms(z, torch.ones(1, 2), torch.tensor([[0.5, 0.5]]), torch.tensor([False]))
    assert terms["gold"].item() == 0.0
    assert_scalar_with_finite_grad(sum(terms.values()), z)


def test_distillation_with_alpha_1_is_the_classification_loss():
    z = torch.tensor([[0.3, -1.2, 2.0], [0.1, 0.0, -0.5]])
    gold = torch.tensor([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]])
    weights = torch.tensor([2.0, 1.0, 0.5])
    loss = DistillationLoss(multilabel=True, class_weight=weights, alpha=1.0)
    expected = ClassificationLoss(multilabel=True, class_weight=weights)(z, gold)
    value = loss(z, gold, torch.rand(2, 3), torch.tensor([True, True]))
    assert value.item() == pytest.approx(expected.item(), abs=1e-6)


def test_distillation_soft_term_is_least_where_the_student_matches_the_teacher():
    teacher = torch.tensor([[0.7, 0.2, 0.1]])
    loss = DistillationLoss(multilabel=False, alpha=0.0)
    matched = loss(torch.log(teacher), torch.tensor([0]), teacher, torch.tensor([False]))
    assert matched.item() == pytest.approx(0.0, abs=1e-6)
    other = loss(torch.zeros(1, 3), torch.tensor([0]), teacher, torch.tensor([False]))
    assert other.item() > 0.01
