"""SimilarityEmotionClassifier: scores, loss, label-embedding cache, open vocabulary."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from skemo import SimilarityEmotionClassifier
from skemo.labels import label_texts
from skemo.methods.similarity import SimilarityLoss

from .conftest import tiny_params


def test_loss_by_hand_multilabel():
    # one text, scores (2, 0, 1), positives {0, 2}:
    # contrastive: -1/2 [log e^2/(e^2+e^0) + log e^1/(e^1+e^0)]
    s = torch.tensor([[2.0, 0.0, 1.0]])
    calibrated = torch.tensor([[0.0, 0.0, 0.0]])
    target = torch.tensor([[1.0, 0.0, 1.0]])
    contrastive = -0.5 * (math.log(math.exp(2) / (math.exp(2) + 1))
                          + math.log(math.e / (math.e + 1)))
    bce = 3 * math.log(2)  # every calibrated logit is 0; summed over the 3 labels
    value = SimilarityLoss(multilabel=True, sigmoid_weight=0.5)((calibrated, s), target)
    assert value.item() == pytest.approx(contrastive + 0.5 * bce, rel=1e-6)


def test_single_label_loss_is_cross_entropy():
    s = torch.tensor([[2.0, 0.5, -1.0], [0.0, 1.0, 3.0]])
    target = torch.tensor([1, 2])
    value = SimilarityLoss(multilabel=False)((s, s), target)
    assert value.item() == pytest.approx(F.cross_entropy(s, target).item(), rel=1e-6)


def test_class_weight_is_refused():
    with pytest.raises(ValueError, match="class_weight is not supported"):
        SimilarityLoss(multilabel=True, class_weight=torch.ones(3))


@pytest.fixture(scope="module")
def fitted(multilabel_data):
    X, Y, names = multilabel_data
    return SimilarityEmotionClassifier(**tiny_params(label_names=names)).fit(X, Y), X


def test_scores_are_scaled_cosines(fitted):
    est, X = fitted
    model = est.module_.eval()
    ids = est.tokenizer_(X[:2], padding=True, return_tensors="pt")
    with torch.no_grad():
        calibrated, s = model(ids["input_ids"], ids["attention_mask"])
        h_x = model.encode_texts(ids["input_ids"], ids["attention_mask"])
        h_l = model.encode_labels()
    expected = F.cosine_similarity(h_x[:, None], h_l[None], dim=-1) / est.temperature
    torch.testing.assert_close(s, expected, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(calibrated, s - model.offset / est.temperature)
    assert model.offset.shape == (len(est.classes_),)  # one offset per label
    assert s.dtype == torch.float32


def test_scores_are_float32_under_bf16_autocast(fitted):
    est, X = fitted
    model = est.module_.eval()
    ids = est.tokenizer_(X[:8], padding=True, return_tensors="pt")
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        calibrated, s = model(ids["input_ids"], ids["attention_mask"])
        h_x = model.encode_texts(ids["input_ids"], ids["attention_mask"])
        h_l = model.encode_labels()
    assert s.dtype == calibrated.dtype == torch.float32
    # the cosines of the (bf16) embeddings, taken in float32: a bf16 product would be
    # off by ~4e-3 per cosine, 0.08 after dividing by the temperature
    with torch.no_grad():
        expected = F.cosine_similarity(h_x.float()[:, None], h_l.float()[None],
                                       dim=-1) / est.temperature
    torch.testing.assert_close(s, expected, rtol=1e-5, atol=1e-5)


def test_sigmoid_term_trains_the_encoder():
    s = torch.tensor([[2.0, 0.0, 1.0]], requires_grad=True)
    target = torch.tensor([[1.0, 0.0, 0.0]])
    # s as the calibrated scores too: the sigmoid term's gradient reaches s
    SimilarityLoss(multilabel=True, sigmoid_weight=1.0).terms((s, s), target)["sigmoid"].backward()
    torch.testing.assert_close(s.grad, torch.sigmoid(s.detach()) - target)


def test_label_embeddings_are_cached_in_eval_only(fitted):
    est, _ = fitted
    model = est.module_
    calls = []
    handle = model.encoder.register_forward_hook(lambda *args: calls.append(1))
    model.eval()
    model.clear_label_cache()
    model.label_embeddings()
    model.label_embeddings()
    assert len(calls) == 1
    model.train()
    model.label_embeddings()
    model.label_embeddings()
    assert len(calls) == 3
    model.eval()
    handle.remove()


def test_open_vocabulary_with_the_training_labels_reproduces_predict_proba(fitted):
    est, X = fitted
    names = list(est.classes_)
    texts = label_texts(names)
    labels = {name: text.split(": ", 1)[1] for name, text in zip(names, texts)}
    calibrated = est.predict_proba(X[:8], labels=labels)
    temperatures, est.temperatures_ = est.temperatures_, None
    try:  # the scores agree before calibration...
        raw = est.predict_proba(X[:8], labels=labels)
        np.testing.assert_allclose(raw, est.predict_proba(X[:8]), rtol=1e-5, atol=1e-6)
    finally:
        est.temperatures_ = temperatures
    # ... and each training label keeps its own temperature
    np.testing.assert_allclose(calibrated, est._calibrated(raw), rtol=1e-6)


def test_open_vocabulary_scores_new_labels(fitted):
    est, X = fitted
    proba = est.predict_proba(X[:5], labels={"nostalgia": "longing for the past",
                                             "awe": "wonder mixed with fear"})
    assert proba.shape == (5, 2) and np.all((proba >= 0) & (proba <= 1))
    with pytest.raises(ValueError, match="non-empty"):
        est.predict_proba(X[:5], labels={})


def test_loss_goes_down_on_real_texts(sample):
    X, Y = sample.data[:96], sample.target[:96]
    keep = Y.sum(axis=0) >= 3
    names = [n for n, k in zip(sample.target_names, keep) if k]
    est = SimilarityEmotionClassifier(max_epochs=2, lr=1e-4, max_length=48,
                                      label_max_length=24, batch_size=16,
                                      validation_fraction=None, threshold=0.5,
                                      label_names=names, random_state=0)
    est.fit(X, Y[:, keep])
    losses = est.history[:, "train_loss"]
    assert losses[-1] < losses[0]
