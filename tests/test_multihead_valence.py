"""MultiHeadValenceClassifier: circumplex targets, the composite loss by hand, heads, real texts."""

import math

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose, assert_array_equal

from skemo import MultiHeadValenceClassifier
from skemo.labels import circumplex_coordinates
from skemo.methods.multihead_valence import (
    INTENSITY_CLASSES,
    VALENCE_CLASSES,
    MultiHeadValenceLoss,
    circumplex_targets,
    label_coordinates,
)

from .conftest import tiny_params

JOY, SADNESS, CALM, FEAR = (0.8, 0.4), (-0.75, -0.45), (0.05, -0.3), (-0.65, 0.75)
NEG, NEU, POS = 0, 1, 2
LOW, HIGH = 0, 1


def test_label_coordinates_built_in_overridden_and_missing():
    builtin = circumplex_coordinates()
    assert_allclose(label_coordinates(["joy", "sadness"]),
                    [builtin["joy"], builtin["sadness"]], rtol=1e-6)
    assert_allclose(label_coordinates(["joy", "calm"], {"joy": (0.5, 0.5), "calm": [0.2, -0.6]}),
                    [[0.5, 0.5], [0.2, -0.6]], rtol=1e-6)
    with pytest.raises(ValueError, match="'zest'"):
        label_coordinates(["joy", "zest"])
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        label_coordinates(["joy"], {"joy": (1.5, 0.0)})


def test_circumplex_targets_by_hand():
    coords = torch.tensor([JOY, SADNESS, CALM, FEAR])
    indicator = torch.tensor([
        [1, 0, 0, 0],  # joy: (0.8, 0.4)
        [0, 1, 0, 0],  # sadness: (-0.75, -0.45)
        [0, 0, 1, 0],  # calm: |0.05| < 0.1, neutral; a < 0
        [1, 1, 0, 0],  # mean (0.025, -0.025): neutral, low
        [0, 1, 0, 1],  # mean (-0.7, 0.15): negative, high
        [0, 0, 0, 0],  # no label: the origin, neutral and low
        [1, 0, 1, 0],  # mean (0.425, 0.05): positive, high
    ], dtype=torch.float32)
    valence, intensity = circumplex_targets(indicator, coords, multilabel=True)
    assert valence.tolist() == [POS, NEG, NEU, NEU, NEG, NEU, POS]
    assert intensity.tolist() == [HIGH, LOW, LOW, LOW, HIGH, LOW, HIGH]
    valence, intensity = circumplex_targets(torch.tensor([0, 1, 2, 3]), coords, multilabel=False)
    assert valence.tolist() == [POS, NEG, NEU, NEG]
    assert intensity.tolist() == [HIGH, LOW, LOW, HIGH]
    assert VALENCE_CLASSES[POS] == "positive" and INTENSITY_CLASSES[HIGH] == "high"


def _nll(logits, k):
    return -(logits[k] - math.log(sum(math.exp(z) for z in logits)))


def _sigmoid(z):
    return 1 / (1 + math.exp(-z))


# joy (positive), sadness (negative), surprise-like (neutral valence, no pair)
COORDS = [JOY, SADNESS, (0.05, 0.8)]
EMOTION = [[2.0, 1.0, -1.0], [-3.0, 0.5, 0.0]]
VALENCE = [[0.1, 0.2, 0.3], [1.0, 0.0, -1.0]]
INTENSITY = [[0.0, 0.5], [0.2, -0.2]]
# The one pair (joy, sadness): d = sqrt(1.55^2 + 0.85^2) / (2 sqrt 2) = 0.625.
THETA = 0.02 + 0.2 * (1 - 0.625)


def _output():
    return tuple(torch.tensor(v) for v in (EMOTION, VALENCE, INTENSITY))


@pytest.mark.parametrize("weights", [(1.0, 1.0, 0.4), (0.5, 2.0, 1.5), (1.0, 1.0, 0.0)])
def test_multilabel_loss_is_its_parts_by_hand(weights):
    y = [[1, 0, 1], [0, 1, 0]]  # row 1 at (0.425, 0.6): positive, high; row 2: negative, low
    emotion = sum(-(t * math.log(_sigmoid(z)) + (1 - t) * math.log(1 - _sigmoid(z)))
                  for zs, ts in zip(EMOTION, y) for z, t in zip(zs, ts)) / 2  # summed over labels
    valence = (_nll(VALENCE[0], POS) + _nll(VALENCE[1], NEG)) / 2
    intensity = (_nll(INTENSITY[0], HIGH) + _nll(INTENSITY[1], LOW)) / 2
    co_activation = [min(_sigmoid(row[0]), _sigmoid(row[1])) for row in EMOTION]
    exclusivity = sum(max(0.0, c - THETA) for c in co_activation) / 2
    assert exclusivity > 0.25  # row 1 co-activates joy (0.88) and sadness (0.73)

    lambda_v, lambda_i, lambda_c = weights
    criterion = MultiHeadValenceLoss(multilabel=True, coordinates=COORDS,
                                     lambda_valence=lambda_v, lambda_intensity=lambda_i,
                                     lambda_exclusivity=lambda_c)
    assert criterion.pairs.tolist() == [[0, 1]]
    assert criterion.margins.item() == pytest.approx(THETA)
    total = criterion(_output(), torch.tensor(y, dtype=torch.float32))
    expected = emotion + lambda_v * valence + lambda_i * intensity + lambda_c * exclusivity
    assert total.item() == pytest.approx(expected, rel=1e-6)


def test_single_label_exclusivity_uses_softmax_probabilities():
    target = torch.tensor([0, 1])  # joy (positive, high), sadness (negative, low)
    softmax = [[math.exp(z) / sum(math.exp(v) for v in row) for z in row] for row in EMOTION]
    exclusivity = sum(max(0.0, min(p[0], p[1]) - THETA) for p in softmax) / 2
    emotion = (_nll(EMOTION[0], 0) + _nll(EMOTION[1], 1)) / 2
    valence = (_nll(VALENCE[0], POS) + _nll(VALENCE[1], NEG)) / 2
    intensity = (_nll(INTENSITY[0], HIGH) + _nll(INTENSITY[1], LOW)) / 2
    criterion = MultiHeadValenceLoss(multilabel=False, coordinates=COORDS)
    total = criterion(_output(), target)
    assert exclusivity > 0
    assert total.item() == pytest.approx(emotion + 0.5 * valence + 0.5 * intensity
                                         + 0.4 * exclusivity, rel=1e-6)


def test_multilabel_exclusivity_spares_gold_pairs():
    criterion = MultiHeadValenceLoss(multilabel=True, coordinates=COORDS)
    co_activated = torch.tensor([[2.0, 1.0, -1.0]])  # joy 0.88, sadness 0.73
    heads = (torch.zeros(1, 3), torch.zeros(1, 2))
    gold_both = criterion.terms((co_activated, *heads), torch.tensor([[1.0, 1.0, 0.0]]))
    gold_joy = criterion.terms((co_activated, *heads), torch.tensor([[1.0, 0.0, 0.0]]))
    assert gold_both["exclusivity"].item() == 0.0
    assert gold_joy["exclusivity"].item() == pytest.approx(
        0.4 * (1 / (1 + math.exp(-1.0)) - THETA), rel=1e-5)


@pytest.fixture(scope="module")
def fitted(multilabel_data):
    X, Y, names = multilabel_data
    return MultiHeadValenceClassifier(**tiny_params(label_names=names)).fit(X, Y)


def test_predict_valence_and_intensity(fitted, multilabel_data):
    X = multilabel_data[0][:7]
    valence_proba = fitted.predict_valence_proba(X)
    intensity_proba = fitted.predict_intensity_proba(X)
    assert valence_proba.shape == (7, 3) and intensity_proba.shape == (7, 2)
    assert_allclose(valence_proba.sum(axis=1), 1.0, rtol=1e-5)
    assert_allclose(intensity_proba.sum(axis=1), 1.0, rtol=1e-5)
    valence, intensity = fitted.predict_valence(X), fitted.predict_intensity(X)
    assert valence.shape == (7,) and intensity.shape == (7,)
    assert_array_equal(valence, np.asarray(VALENCE_CLASSES)[valence_proba.argmax(axis=1)])
    assert_array_equal(intensity, np.asarray(INTENSITY_CLASSES)[intensity_proba.argmax(axis=1)])
    # Rows stay with their texts.
    assert_allclose(fitted.predict_valence_proba([X[3]])[0], valence_proba[3], atol=1e-6)


def test_the_heads_run_the_encoder_that_predict_proba_runs(fitted, multilabel_data):
    from skemo.utils._onnx import OnnxRuntimeEncoder

    X = multilabel_data[0]
    seen = []
    handle = torch.nn.modules.module.register_module_forward_hook(
        lambda module, args, out: seen.append(type(module)))
    try:
        fitted.set_params(precision="int8").predict_valence_proba(X)
    finally:
        handle.remove()
        fitted.set_params(precision="fp32")
    assert OnnxRuntimeEncoder in seen


def test_custom_circumplex_sets_targets_and_pairs(label_lists):
    X, y = label_lists
    rename = {"admiration": "cheer", "amusement": "gloom", "gratitude": "calm",
              "neutral": "zorn"}
    y = [[rename[label] for label in row] for row in y]
    circumplex = {"cheer": (0.8, 0.5), "gloom": (-0.7, -0.4), "calm": (0.3, -0.6),
                  "zorn": (-0.8, 0.8)}
    clf = MultiHeadValenceClassifier(**tiny_params(max_epochs=1, circumplex=circumplex))
    clf.fit(X, y)
    assert list(clf.classes_) == ["calm", "cheer", "gloom", "zorn"]
    assert_allclose(clf.criterion_.coordinates.numpy(),
                    [circumplex[c] for c in clf.classes_], rtol=1e-6)
    assert clf.criterion_.pairs.tolist() == [[0, 2], [0, 3], [1, 2], [1, 3]]
    del circumplex["zorn"]
    with pytest.raises(ValueError, match="'zorn'"):
        MultiHeadValenceClassifier(**tiny_params(max_epochs=1, circumplex=circumplex)).fit(X, y)


@pytest.mark.parametrize("gating", [False, True])
def test_gating_on_and_off_fit_single_label(gating, single_labels):
    X, y = single_labels
    clf = MultiHeadValenceClassifier(**tiny_params(max_epochs=1, gating=gating)).fit(X, y)
    assert hasattr(clf.module_, "gate") == gating
    assert np.all(np.isfinite(clf.history[:, "train_loss"]))
    assert_allclose(clf.predict_proba(X[:4]).sum(axis=1), 1.0, rtol=1e-5)
    assert set(clf.predict_valence(X[:4])) <= set(VALENCE_CLASSES)


def test_real_minilm_loss_goes_down(sample):
    X, Y = sample.data[:128], sample.target[:128]
    counts = Y.sum(axis=0).astype(np.int64)
    keep = np.argsort(-counts, kind="stable")[:6]  # the 6 most frequent labels
    clf = MultiHeadValenceClassifier(max_epochs=2, lr=1e-4, batch_size=32, max_length=48,
                                     label_names=[sample.target_names[j] for j in keep],
                                     validation_fraction=None, random_state=0)
    clf.fit(X, Y[:, keep])
    assert len(clf.criterion_.pairs) > 0  # annoyance against the positive labels
    losses = clf.history[:, "train_loss"]
    assert losses[-1] < losses[0]
