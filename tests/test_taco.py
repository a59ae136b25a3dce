"""TACOClassifier: the three-view criterion by hand, the dual encoder, real MiniLM fits."""

import math

import pytest
import torch
import torch.nn.functional as F
from numpy.testing import assert_allclose, assert_array_equal

from skemo import TACOClassifier
from skemo.labels import describe_labels, label_descriptions, label_texts
from skemo.losses import clustering_contrastive_loss, label_disentangling_loss
from skemo.methods.taco import TACOLoss
from skemo.utils._class_weights import prior_logits

from .conftest import tiny_params

ALPHA, BETA, TAU = 0.45, 0.5, 0.5

# Four texts, three labels (label 2 absent from the batch).
SCORES = [[2.0, 0.0, -1.0], [0.0, 1.0, 0.0], [1.0, 0.5, 0.0], [-1.0, 2.0, 1.0]]
LABELS = [0, 1, 0, 1]
# Unit vectors: a=(1, 0) and b=(.96, .28) form one tight cluster, c=(0, 1) and
# d=(.28, .96) the other, whatever the k-means seed.
# a·b = c·d = .96, b·d = .5376, a·c = 0.
H_U = [[1.0, 0.0], [0.96, 0.28], [0.0, 1.0], [0.28, 0.96]]
H_E = [[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]]


def by_hand_cross_entropy(scores, labels):
    return sum(math.log(sum(math.exp(s) for s in row)) - row[y]
               for row, y in zip(scores, labels)) / len(labels)


# K = 2 clusters {a, b}, {c, d}. Hard positive / negative of each text:
#   a: P={c}, N={b}: -log(e^0 / (e^0 + e^{.96/τ}))       = log(1 + e^{1.92})
#   b: P={d}, N={a}: -log(e^{.5376/τ} / (e^{.5376/τ} + e^{.96/τ})) = log(1 + e^{.8448})
#   c and d mirror a and b.
CCL_BY_HAND = (math.log(1 + math.exp(1.92)) + math.log(1 + math.exp(0.8448))) / 2


def batch(labels=LABELS, h_u=H_U, scores=SCORES):
    return ((torch.tensor(scores), torch.tensor(h_u, requires_grad=True),
             torch.tensor(H_E, requires_grad=True)), torch.tensor(labels))


def make_loss(**kwargs):
    """TACOLoss with the paper's unscaled CCL (mean over anchors), unless overridden."""
    params = dict(multilabel=False, alpha=ALPHA, beta=BETA, temperature=TAU, random_state=0,
                  base_temperature=None, ccl_mean_over="anchors")
    return TACOLoss(**{**params, **kwargs})


# ------------------------------------------------------------------ criterion
def test_total_is_ce_plus_weighted_ccl_and_ldl():
    output, target = batch()
    loss = make_loss()
    ce = by_hand_cross_entropy(SCORES, LABELS)
    ccl = clustering_contrastive_loss(output[1], target, torch.tensor([0, 0, 1, 1]), TAU)
    ldl = label_disentangling_loss(torch.softmax(output[0], dim=1), output[2])
    assert ccl.item() == pytest.approx(CCL_BY_HAND, rel=1e-5)
    assert loss.clustering_loss(output[1], target).item() == pytest.approx(ccl.item())
    assert loss.disentangling_loss(output[0], output[2]).item() == pytest.approx(ldl.item())
    total = loss(output, target)
    assert total.item() == pytest.approx(ce + ALPHA * ccl.item() + BETA * ldl.item(), rel=1e-6)
    h_u_grad, h_e_grad = torch.autograd.grad(total, [output[1], output[2]])
    assert h_u_grad.abs().sum() > 0 and h_e_grad.abs().sum() > 0


def test_default_ccl_is_unscaled_single_label_and_scaled_multi_label():
    # Every text of the batch has a hard positive: the batch mean equals the anchor
    # mean. Single-label the default leaves it unscaled (the GE-27 ablation); the
    # reference code's tau / 0.07 over the batch is the multi-label default.
    output, target = batch()
    default = TACOLoss(multilabel=False, random_state=0)
    assert default.clustering_loss(output[1], target).item() == pytest.approx(
        CCL_BY_HAND, rel=1e-5)
    scaled = TACOLoss(multilabel=False, base_temperature=0.07, ccl_mean_over="batch",
                      random_state=0)
    assert scaled.clustering_loss(output[1], target).item() == pytest.approx(
        CCL_BY_HAND * TAU / 0.07, rel=1e-5)
    multilabel = TACOLoss(multilabel=True)
    assert (multilabel.base_temperature, multilabel.ccl_mean_over) == (0.07, "batch")
    assert (default.base_temperature, default.ccl_mean_over) == (None, "anchors")
    assert list(default.terms(output, target)) == ["classification", "clustering",
                                                   "disentangling"]


def test_weights_scale_each_view():
    output, target = batch()
    base = make_loss(alpha=0.0, beta=0.0)(output, target).item()
    ccl = make_loss(alpha=1.0, beta=0.0)(output, target).item() - base
    ldl = make_loss(alpha=0.0, beta=1.0)(output, target).item() - base
    both = make_loss(alpha=0.2, beta=3.0)(output, target).item()
    assert both == pytest.approx(base + 0.2 * ccl + 3.0 * ldl, rel=1e-6)


def test_zero_weights_reduce_to_cross_entropy():
    output, target = batch()
    value = make_loss(alpha=0.0, beta=0.0)(output, target)
    assert value.item() == pytest.approx(by_hand_cross_entropy(SCORES, LABELS), rel=1e-6)
    assert value.item() == pytest.approx(F.cross_entropy(output[0], target).item())


def test_evaluation_mode_is_cross_entropy_only():
    output, target = batch()
    loss = make_loss().eval()
    assert loss(output, target).item() == pytest.approx(by_hand_cross_entropy(SCORES, LABELS))


def test_batch_with_one_distinct_label_has_no_contrastive_term():
    labels = [0, 0, 0, 0]
    output, target = batch(labels=labels)
    loss = make_loss()
    assert loss.clustering_loss(output[1], target).item() == 0.0
    ldl = label_disentangling_loss(torch.softmax(output[0], dim=1), output[2])
    expected = by_hand_cross_entropy(SCORES, labels) + BETA * ldl.item()
    assert loss(output, target).item() == pytest.approx(expected, rel=1e-6)


def test_texts_without_hard_positives_are_skipped():
    # a=(1,0) and b=(.96,.28) cluster together, c=(0,1) and d=(-1,0) alone (K=3).
    # b (only text of label 1) and d (of label 2) have no hard positive: skipped.
    # a: P={c}, N={b} -> log(1 + e^{1.92}); c: P={a}, N={} -> -log(1) = 0.
    output, target = batch(labels=[0, 1, 0, 2],
                           h_u=[[1.0, 0.0], [0.96, 0.28], [0.0, 1.0], [-1.0, 0.0]])
    value = make_loss().clustering_loss(output[1], target)
    assert value.item() == pytest.approx(math.log(1 + math.exp(1.92)) / 2, rel=1e-5)


def test_multilabel_uses_bce_sigmoid_confusability_and_label_set_overlap(monkeypatch):
    Y = torch.tensor([[1.0, 0, 0], [0, 1, 0], [1, 1, 0], [0, 0, 1]])
    clusters = torch.tensor([0, 1, 0, 1])
    seen = {}

    def fixed_kmeans(h, n_clusters, random_state=None):
        seen.update(requires_grad=h.requires_grad, n_clusters=n_clusters)
        return clusters

    monkeypatch.setattr("skemo.methods.taco.batch_kmeans", fixed_kmeans)
    (scores, h_u, h_e), _ = batch()
    value = make_loss(multilabel=True)((scores, h_u, h_e), Y)
    expected = (3 * F.binary_cross_entropy_with_logits(scores, Y)  # summed over 3 labels
                + ALPHA * clustering_contrastive_loss(h_u, Y, clusters, TAU)
                + BETA * label_disentangling_loss(torch.sigmoid(scores), h_e))
    assert value.item() == pytest.approx(expected.item(), rel=1e-6)
    assert seen == {"requires_grad": False, "n_clusters": 3}


def test_kmeans_seeds_differ_by_batch_and_repeat_by_random_state(monkeypatch):
    seeds = []

    def recording_kmeans(h, n_clusters, random_state=None):
        seeds.append(random_state)
        return torch.zeros(h.shape[0], dtype=torch.long)

    monkeypatch.setattr("skemo.methods.taco.batch_kmeans", recording_kmeans)
    output, target = batch()
    for _ in range(2):
        loss = make_loss(random_state=7)
        loss(output, target)
        loss(output, target)
    assert seeds[0] != seeds[1] and seeds[:2] == seeds[2:]


# ------------------------------------------------------------------ model
@pytest.fixture(scope="module")
def tiny_fit(multilabel_data):
    X, Y, names = multilabel_data
    clf = TACOClassifier(**tiny_params(max_epochs=1, label_names=names,
                                       module__embedding_dim=8))
    return clf.fit(X, Y), X


def test_module_scores_are_dot_products_of_projected_embeddings(tiny_fit):
    clf, X = tiny_fit
    scores, h_u, h_e = clf.forward(X[:5])
    assert h_u.shape == (5, 8) and h_e.shape[1] == 8 and scores.shape == (5, 4)
    bias = clf.module_.label_bias().detach()  # multi-label: a per-label bias
    assert_allclose(scores.numpy(), (h_u @ h_e[:4].T + bias).numpy(), rtol=1e-5, atol=1e-6)
    assert isinstance(clf.criterion_, TACOLoss) and clf.criterion_.alpha == 0.45
    assert clf.module_.text_head is clf.module_.label_head  # shared_head=True
    assert TACOClassifier().batch_size == 64  # the reference code's batch


def test_taco_pieces_are_parameters(multilabel_data, single_labels):
    X, Y, names = multilabel_data
    clf = TACOClassifier(**tiny_params(max_epochs=0, label_names=names, shared_head=False,
                                       label_bias=False, base_temperature=0.07,
                                       ccl_mean_over="batch")).fit(X, Y)
    assert clf.module_.text_head is not clf.module_.label_head
    assert clf.module_.label_bias() is None
    assert clf.criterion_.base_temperature == 0.07
    assert clf.criterion_.ccl_mean_over == "batch"
    default = TACOClassifier(**tiny_params(max_epochs=0, label_names=names)).fit(X, Y)
    assert default.criterion_.base_temperature == 0.07   # "auto", multi-label
    assert default.criterion_.ccl_mean_over == "batch"
    # label_bias="auto": a bias in multi-label mode, started at the label prior's log-odds
    assert_allclose(default.module_.label_bias().detach().numpy(),
                    prior_logits(Y, Y.shape[1], True, None), rtol=1e-5)
    assert (default.module_.label_bias().detach().numpy() < 0).sum() == 3  # 3 labels below 1/2
    single = TACOClassifier(**tiny_params(max_epochs=0)).fit(*single_labels)
    assert single.module_.label_bias() is None


def test_label_texts_use_the_taco_template():
    texts = label_texts(["anger"], {"anger": "strong displeasure"},
                        TACOClassifier.label_template)
    assert texts == ["anger <#> strong displeasure"]


@pytest.mark.parametrize("param, value", [("alpha", -0.1), ("beta", -1.0),
                                          ("temperature", 0.0)])
def test_invalid_weights_fail_at_fit(param, value, multilabel_data):
    X, Y, _ = multilabel_data
    with pytest.raises(ValueError, match=param):
        TACOClassifier(**tiny_params(**{param: value})).fit(X, Y)


# -------------------------------------------------------- real MiniLM fits
#: Small enough for CPU: 2 epochs of three 16-text batches.
N_REAL = 48
REAL = dict(max_length=32, label_max_length=32, batch_size=16, lr=2e-4,
            validation_fraction=None)


@pytest.fixture(scope="module")
def single_label_fit(single_labels):
    """The paper's setting: one label per text, TACO's own label descriptions."""
    X, y = single_labels
    X, y = X[:N_REAL], y[:N_REAL]
    clf = TACOClassifier(max_epochs=2, random_state=0,
                         label_descriptions=label_descriptions("taco_goemotions"), **REAL)
    return clf.fit(X, y), X


def test_real_minilm_single_label_loss_goes_down(single_label_fit):
    clf, X = single_label_fit
    losses = clf.history[:, "train_loss"]
    assert losses[-1] < losses[0]
    assert not clf.multilabel_ and clf.module_.encoder.pooling == "mean"
    assert_allclose(clf.predict_proba(X[:4]).sum(axis=1), 1.0, rtol=1e-5)


def test_real_minilm_open_vocabulary(single_label_fit):
    clf, X = single_label_fit
    labels = {"nostalgia": "A sentimental longing for the past.",
              "gratitude": "Thankfulness."}
    proba = clf.predict_proba(X[:6], labels=labels)
    assert proba.shape == (6, 2)
    assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    # The training labels, passed as texts, score exactly like the fitted labels.
    described = describe_labels(list(clf.classes_), clf.label_descriptions)
    same = clf.predict_proba(X[:6], labels=described)
    assert_allclose(same, clf.predict_proba(X[:6]), rtol=1e-5, atol=1e-6)


def test_real_minilm_multilabel_loss_goes_down(multilabel_data):
    X, Y, names = multilabel_data
    X, Y = X[:N_REAL], Y[:N_REAL]
    clf = TACOClassifier(max_epochs=2, random_state=0, label_names=names, **REAL).fit(X, Y)
    losses = clf.history[:, "train_loss"]
    assert losses[-1] < losses[0]
    assert clf.multilabel_ and clf.predict_proba(X[:4]).shape == (4, 4)


def test_real_minilm_fit_repeats_with_random_state(single_labels):
    X, y = single_labels
    X, y = X[:16], y[:16]
    first = TACOClassifier(max_epochs=1, random_state=5, **REAL).fit(X, y)
    second = TACOClassifier(max_epochs=1, random_state=5, **REAL).fit(X, y)
    assert_array_equal(first.predict_proba(X), second.predict_proba(X))
