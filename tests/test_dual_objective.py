"""DualObjectiveClassifier: the combined loss by hand, score views, open vocabulary, real texts."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from numpy.testing import assert_allclose

from skemo import DualObjectiveClassifier
from skemo.methods.dual_objective import DualObjectiveLoss

from .conftest import tiny_params


def _bce(logit, y):
    p = 1 / (1 + math.exp(-logit))
    return -(y * math.log(p) + (1 - y) * math.log(1 - p))


def _mean_bce(logits, targets):
    pairs = [(z, y) for row_z, row_y in zip(logits, targets) for z, y in zip(row_z, row_y)]
    return sum(_bce(z, y) for z, y in pairs) / len(pairs)


def test_multilabel_loss_is_the_weighted_sum_of_its_parts_by_hand():
    s = [[2.0, 0.0, -1.0], [0.5, 1.0, 0.0]]
    calibrated = [[1.0, -1.0, -2.0], [0.0, 0.5, -0.5]]
    head = [[0.3, -0.2, 0.1], [-1.0, 2.0, 0.0]]
    y = [[1, 0, 0], [1, 1, 0]]
    # Contrastive: row 1 has one positive against both negatives; row 2 contrasts
    # each of its two positives with its single negative.
    row1 = -math.log(math.exp(2) / (math.exp(2) + math.exp(0) + math.exp(-1)))
    row2 = -(math.log(math.exp(0.5) / (math.exp(0.5) + 1))
             + math.log(math.exp(1) / (math.exp(1) + 1))) / 2
    # Per-text scale: BCEs summed over the 3 labels, similarity terms times tau.
    tau, sigmoid_weight = 0.05, 0.1
    similarity = tau * ((row1 + row2) / 2 + sigmoid_weight * 3 * _mean_bce(calibrated, y))
    classification = 3 * _mean_bce(head, y)

    output = tuple(torch.tensor(v) for v in (head, calibrated, s))
    target = torch.tensor(y, dtype=torch.float32)
    for lambda_sim, lambda_cls in [(1.0, 1.0), (0.3, 2.0), (0.0, 1.0), (1.0, 0.0)]:
        loss = DualObjectiveLoss(multilabel=True, lambda_sim=lambda_sim, lambda_cls=lambda_cls,
                                 temperature=tau, sigmoid_weight=sigmoid_weight)
        assert loss(output, target).item() == pytest.approx(
            lambda_sim * similarity + lambda_cls * classification, rel=1e-6)
        assert list(loss.terms(output, target)) == ["classification", "contrastive", "sigmoid"]


def test_single_label_loss_and_class_weight_reach_only_the_head_term():
    s = torch.tensor([[2.0, 0.0, -1.0], [0.5, 1.0, 0.0]])
    head = torch.tensor([[0.3, -0.2, 0.1], [-1.0, 2.0, 0.0]])
    target = torch.tensor([0, 2])
    weight = torch.tensor([1.0, 2.0, 4.0])
    loss = DualObjectiveLoss(multilabel=False, class_weight=weight, lambda_sim=0.5,
                             lambda_cls=3.0, temperature=1.0)((head, s, s), target)
    # One positive per text: the contrastive loss is plain cross-entropy of s.
    ce_s = (-math.log(math.exp(2) / (math.exp(2) + 1 + math.exp(-1)))
            - math.log(1 / (math.exp(0.5) + math.exp(1) + 1))) / 2
    nll = [-torch.log_softmax(head, -1)[0, 0].item(), -torch.log_softmax(head, -1)[1, 2].item()]
    weighted_ce = (1.0 * nll[0] + 4.0 * nll[1]) / 5.0
    assert loss.item() == pytest.approx(0.5 * ce_s + 3.0 * weighted_ce, rel=1e-6)
    assert weighted_ce == pytest.approx(F.cross_entropy(head, target, weight=weight).item())


@pytest.fixture(scope="module")
def dual(multilabel_data):
    X, Y, names = multilabel_data
    return DualObjectiveClassifier(**tiny_params(label_names=names)).fit(X, Y)


def test_score_from_switches_the_view_after_fit(dual, multilabel_data):
    X = multilabel_data[0][:12]
    views = {}
    for view in ("head", "similarity", "mean"):
        views[view] = dual.set_params(score_from=view).predict_proba(X)
    dual.set_params(score_from="head")
    assert not np.allclose(views["head"], views["similarity"])
    assert_allclose(views["mean"], (views["head"] + views["similarity"]) / 2, rtol=1e-6)
    assert dual.threshold == "auto"


def test_single_label_views_are_distributions(single_labels):
    X, y = single_labels
    clf = DualObjectiveClassifier(**tiny_params(max_epochs=1, score_from="mean")).fit(X, y)
    for view in ("head", "similarity", "mean"):
        proba = clf.set_params(score_from=view).predict_proba(X[:8])
        assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)


def test_open_vocabulary_needs_the_similarity_view(dual, multilabel_data):
    X, _, names = multilabel_data
    new = {"nostalgia": "A sentimental longing for the past."}
    for view in ("head", "mean"):
        with pytest.raises(ValueError, match="score_from='similarity'"):
            dual.set_params(score_from=view).predict_proba(X[:3], labels=new)
    dual.set_params(score_from="similarity")
    try:
        assert dual.predict_proba(X[:3], labels=new).shape == (3, 1)
        # The seen labels, passed by name, score as the fitted similarity view.
        assert_allclose(dual.predict_proba(X[:5], labels=names), dual.predict_proba(X[:5]),
                        rtol=1e-5, atol=1e-6)
    finally:
        dual.set_params(score_from="head")


def test_invalid_settings_fail_clearly(dual, multilabel_data):
    X, Y, _ = multilabel_data
    with pytest.raises(ValueError, match="both 0"):
        DualObjectiveClassifier(**tiny_params(lambda_sim=0, lambda_cls=0.0)).fit(X, Y)
    with pytest.raises(ValueError, match="score_from"):
        DualObjectiveClassifier(**tiny_params(score_from="labels")).fit(X, Y)
    dual.set_params(score_from="both")
    try:
        with pytest.raises(ValueError, match="score_from must be one of"):
            dual.predict_proba(X[:2])
    finally:
        dual.set_params(score_from="head")


def test_real_minilm_loss_goes_down_with_class_weights(sample):
    X, Y = sample.data[:128], sample.target[:128]
    counts = Y.sum(axis=0).astype(np.int64)
    keep = np.argsort(-counts, kind="stable")[:6]  # the 6 most frequent labels
    clf = DualObjectiveClassifier(max_epochs=2, lr=1e-4, batch_size=32, max_length=48,
                                  class_weight="balanced",
                                  label_names=[sample.target_names[j] for j in keep],
                                  validation_fraction=None, random_state=0)
    clf.fit(X, Y[:, keep])
    losses = clf.history[:, "train_loss"]
    assert losses[-1] < losses[0]
    assert clf.criterion_.classification.loss.pos_weight is not None
