"""The baseline FineTunedEmotionClassifier: losses, class weights, LoRA, real encoder."""

import math

import numpy as np
import pytest
import torch

from skemo import FineTunedEmotionClassifier
from skemo.losses import ClassificationLoss
from skemo.utils._class_weights import prior_logits

from .conftest import tiny_llama, tiny_params


def test_bce_with_pos_weight_by_hand():
    # logits 0 -> sigmoid 0.5; positive term weighted by pos_weight:
    # label 0 (target 1, w=3): 3 * log 2; label 1 (target 0): log 2 -> mean = 2 log 2
    loss = ClassificationLoss(multilabel=True, class_weight=torch.tensor([3.0, 0.5]))
    value = loss(torch.zeros(1, 2), torch.tensor([[1.0, 0.0]]))
    assert value.item() == pytest.approx(2 * math.log(2))


def test_weighted_cross_entropy_by_hand():
    # logits (2, 0): p = e^2 / (e^2 + 1); weighted mean over 2 rows with weights 1 and 4
    loss = ClassificationLoss(multilabel=False, class_weight=torch.tensor([1.0, 4.0]))
    value = loss(torch.tensor([[2.0, 0.0], [2.0, 0.0]]), torch.tensor([0, 1]))
    nll0 = -math.log(math.exp(2) / (math.exp(2) + 1))
    nll1 = -math.log(1 / (math.exp(2) + 1))
    assert value.item() == pytest.approx((1 * nll0 + 4 * nll1) / 5)


def test_balanced_class_weight_reaches_the_loss(multilabel_data):
    X, Y, names = multilabel_data
    clf = FineTunedEmotionClassifier(**tiny_params(max_epochs=1, class_weight="balanced"))
    clf.fit(X, Y)
    pos = Y.sum(axis=0)
    expected = (len(Y) - pos) / pos
    np.testing.assert_allclose(clf.criterion_.loss.pos_weight.numpy(), expected, rtol=1e-6)


def test_lora_on_a_tiny_decoder_trains_only_adapters_and_head(multilabel_data):
    pytest.importorskip("peft")
    X, Y, _ = multilabel_data
    clf = FineTunedEmotionClassifier(**tiny_params(encoder=tiny_llama(), lora_r=4,
                                                   max_epochs=1))
    clf.fit(X, Y)
    assert clf.module_.encoder.pooling == "last"
    trainable = {n for n, p in clf.module_.named_parameters() if p.requires_grad}
    assert trainable and all("lora_" in n or n.startswith("head.") for n in trainable)
    assert any(n.startswith("head.") for n in trainable)
    assert clf.predict_proba(X[:3]).shape == (3, 4)


def test_real_minilm_learns_on_sample_texts(sample):
    X, Y = sample.data[:256], sample.target[:256]
    keep = Y.sum(axis=0) >= 8
    clf = FineTunedEmotionClassifier(max_epochs=3, lr=1e-4, batch_size=32, max_length=48,
                                     validation_fraction=None, random_state=0)
    clf.fit(X, Y[:, keep])
    losses = clf.history[:, "train_loss"]
    assert losses[-1] < losses[0]
    assert clf.module_.encoder.pooling == "mean"


def test_prior_logits_by_hand():
    Y = np.array([[1, 0], [0, 0], [0, 0]])
    # smoothed frequencies 1.5/4 and 0.5/4; with pos_weight w the odds scale by w
    expected = np.log([1.5 / 2.5, 0.5 / 3.5])
    np.testing.assert_allclose(prior_logits(Y, 2, True), expected, rtol=1e-6)
    np.testing.assert_allclose(prior_logits(Y, 2, True, np.array([2.0, 1.0])),
                               expected + [math.log(2), 0], rtol=1e-6)
    # single-label: log frequencies (smoothed), centred; softmax gives back the prior
    logits = prior_logits(np.array([0, 0, 0, 1]), 3, False)
    assert logits.sum() == pytest.approx(0, abs=1e-6)
    np.testing.assert_allclose(torch.softmax(torch.tensor(logits), 0).numpy(),
                               np.array([3.5, 1.5, 0.5]) / 5.5, rtol=1e-6)


@pytest.mark.parametrize("multilabel", [True, False])
def test_fit_starts_the_label_bias_at_the_prior(multilabel_data, multilabel):
    X, Y, names = multilabel_data
    y = Y if multilabel else Y.argmax(axis=1)
    # learning rates so small that one epoch leaves the initial bias in place
    clf = FineTunedEmotionClassifier(**tiny_params(max_epochs=1, lr=1e-12, head_lr=1e-12,
                                                   validation_fraction=None))
    clf.fit(X, y)
    encoded = clf.target_encoder_.transform(y)
    np.testing.assert_allclose(clf.module_.head.bias.detach().numpy(),
                               prior_logits(encoded, 4, multilabel), atol=1e-5)
    assert clf.module_.label_bias() is clf.module_.head.bias


def test_encoder_trains_at_lr_and_new_parameters_at_head_lr(multilabel_data):
    X, Y, _ = multilabel_data
    clf = FineTunedEmotionClassifier(**tiny_params(max_epochs=1, lr=1e-4, head_lr=3e-3))
    clf.fit(X, Y)
    lr_of = {id(p): group["initial_lr"] for group in clf.optimizer_.param_groups
             for p in group["params"]}
    assert {lr_of[id(p)] for p in clf.module_.encoder.parameters()} == {1e-4}
    assert {lr_of[id(p)] for p in clf.module_.head.parameters()} == {3e-3}
    decay_of = {id(p): group["weight_decay"] for group in clf.optimizer_.param_groups
                for p in group["params"]}
    assert decay_of[id(clf.module_.head.weight)] == 0.01
    assert decay_of[id(clf.module_.head.bias)] == 0.0
    # head_lr=None: one learning rate for everything
    clf.set_params(head_lr=None).fit(X, Y)
    assert {group["initial_lr"] for group in clf.optimizer_.param_groups} == {1e-4}


def test_adamw_runs_its_fused_kernel_unless_told_otherwise(multilabel_data):
    X, Y, _ = multilabel_data
    fused = FineTunedEmotionClassifier(**tiny_params(max_epochs=1, validation_fraction=None))
    fused.fit(X, Y)
    assert all(group["fused"] and not group["foreach"]
               for group in fused.optimizer_.param_groups)
    # one epoch of the fused kernel is the for-loop's, up to float rounding
    loop = FineTunedEmotionClassifier(**tiny_params(max_epochs=1, validation_fraction=None,
                                                    optimizer__fused=False,
                                                    optimizer__foreach=False))
    loop.fit(X, Y)
    assert not any(group["fused"] or group["foreach"] for group in loop.optimizer_.param_groups)
    np.testing.assert_allclose(fused.predict_proba(X), loop.predict_proba(X), atol=1e-5)
    # the user's choice of implementation is kept
    foreach = FineTunedEmotionClassifier(**tiny_params(max_epochs=1, optimizer__foreach=True))
    foreach.fit(X, Y)
    assert all(group["foreach"] and not group["fused"]
               for group in foreach.optimizer_.param_groups)
