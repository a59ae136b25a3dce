"""Conformal label sets: the guarantee holds on synthetic probabilities; bad input refused."""

import numpy as np
import pytest

from skemo import conformal
from skemo.conformal import ConformalEmotionSets, set_coverage
from skemo.utils._targets import TargetConverter


@pytest.fixture(autouse=True)
def coarse_recall_thresholds(monkeypatch):
    """A short threshold grid: MAPIE's recall risks loop over texts and thresholds."""
    monkeypatch.setattr(conformal, "RECALL_THRESHOLDS", np.arange(0, 1, 0.02))


class GivenModel:
    """A fitted 'model' whose texts are row numbers into known probabilities."""

    def __init__(self, proba, y):
        self.proba = proba
        self.label_names_ = [f"l{j}" for j in range(proba.shape[1])]
        self.target_encoder_ = TargetConverter().fit(y)
        self.multilabel_ = self.target_encoder_.multilabel

    def predict_proba(self, X):
        return self.proba[[int(x) for x in X]]


def single_label_draw(rng, n, n_labels=5):
    proba = rng.dirichlet(np.full(n_labels, 0.5), n)
    y = np.array([rng.choice(n_labels, p=p) for p in proba])  # calibrated by construction
    return proba, y


def multilabel_draw(rng, n, n_labels=6):
    proba = rng.beta(0.5, 2.0, (n, n_labels))
    y = (rng.random((n, n_labels)) < proba).astype(int)
    return proba, y


@pytest.mark.parametrize("alpha", [0.1, 0.2])
@pytest.mark.parametrize("draw", [single_label_draw, multilabel_draw])
def test_coverage_holds_on_average_over_many_calibrations(draw, alpha):
    rng = np.random.default_rng(0)
    coverages = []
    for _ in range(20):
        proba, y = draw(rng, 400)
        model = GivenModel(proba, y)
        sets = ConformalEmotionSets(model, alpha=alpha).fit_proba(proba[:100], y[:100])
        coverages.append(set_coverage(sets.sets_from_proba(proba[100:]), y[100:]))
    # the guarantee is on the mean over calibration draws; 20 draws leave ~0.01 of noise
    assert np.mean(coverages) >= 1 - alpha - 0.02
    assert np.mean(coverages) <= 1 - alpha + 0.07  # and the sets are not needlessly large


def test_fit_on_texts_equals_fit_on_their_probabilities():
    proba, y = multilabel_draw(np.random.default_rng(1), 200)
    model = GivenModel(proba, y)
    texts = [str(i) for i in range(200)]
    by_texts = ConformalEmotionSets(model, alpha=0.2).fit(texts[:100], y[:100])
    by_proba = ConformalEmotionSets(model, alpha=0.2).fit_proba(proba[:100], y[:100])
    assert by_texts.threshold_ == by_proba.threshold_
    sets = by_texts.predict_sets(texts[100:])
    expected = by_proba.sets_from_proba(proba[100:])
    assert sets == [[f"l{j}" for j in np.flatnonzero(row)] for row in expected]
    # a multi-label set is every label above one threshold
    np.testing.assert_array_equal(expected, proba[100:] > by_proba.threshold_)


def test_texts_without_labels_are_left_out_of_the_recall_calibration():
    proba, y = multilabel_draw(np.random.default_rng(2), 300)
    model = GivenModel(proba, y)
    sets = ConformalEmotionSets(model, alpha=0.1).fit_proba(proba, y)
    assert sets.n_calibration_ == int((y.sum(axis=1) > 0).sum()) < 300


def test_set_coverage_by_hand():
    sets = np.array([[True, True, False], [False, False, True]])
    assert set_coverage(sets, np.array([[1, 0, 1], [0, 0, 1]])) == pytest.approx(0.75)
    assert set_coverage(sets, np.array([2, 2])) == 0.5


@pytest.mark.parametrize("alpha", [0, 1, 1.5, "0.1", True])
def test_bad_alpha_is_refused(alpha):
    proba, y = single_label_draw(np.random.default_rng(3), 50)
    with pytest.raises(ValueError, match="alpha must be a float in"):
        ConformalEmotionSets(GivenModel(proba, y), alpha=alpha).fit_proba(proba, y)


def test_too_few_calibration_texts_are_refused():
    proba, y = single_label_draw(np.random.default_rng(4), 5)
    with pytest.raises(ValueError, match="5 calibration texts are too few for alpha=0.1: "
                                         "the guarantee needs at least 9"):
        ConformalEmotionSets(GivenModel(proba, y), alpha=0.1).fit_proba(proba, y)


def test_probabilities_of_the_wrong_shape_are_refused():
    proba, y = single_label_draw(np.random.default_rng(5), 50)
    with pytest.raises(ValueError, match=r"proba has shape \(50, 4\); expected \(50, 5\)"):
        ConformalEmotionSets(GivenModel(proba, y), alpha=0.1).fit_proba(proba[:, :4], y)


def test_sets_before_fit_are_refused():
    from sklearn.exceptions import NotFittedError

    proba, y = single_label_draw(np.random.default_rng(6), 50)
    with pytest.raises(NotFittedError, match="not calibrated yet: call fit"):
        ConformalEmotionSets(GivenModel(proba, y)).sets_from_proba(proba)
