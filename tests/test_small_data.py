"""Defaults sized to the data: the epoch budget, calibration, thresholds and their warnings."""

import warnings

import numpy as np
import pytest
from scipy.special import expit, logit

from skemo import FineTunedEmotionClassifier
from skemo._estimator import training
from skemo.thresholds import tune_thresholds

from .conftest import tiny_params


def planned(n_texts, **params):
    est = FineTunedEmotionClassifier(**{**tiny_params(max_epochs="auto", batch_size=32),
                                        **params})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est._plan_epochs(n_texts)
    return est, [str(w.message) for w in caught]


@pytest.mark.real_selection
@pytest.mark.parametrize("n_texts, epochs", [
    (100, 100),     # 90 training texts: 3 steps an epoch, 100 epochs for 300 steps
    (300, 34),      # 270: 9 steps, ceil(300 / 9) = 34
    (1000, 11),     # 900: 29 steps, ceil(300 / 29) = 11
    (3000, 4),      # 2700: 85 steps, ceil(300 / 85) = 4
    (40000, 3),     # 36000: 1125 steps, 3 epochs as always
    (20, 100),      # 18: 1 step an epoch, capped at 100 epochs
])
def test_auto_epochs_reach_the_step_budget(n_texts, epochs):
    est, _ = planned(n_texts)
    assert est.n_epochs_ == epochs


@pytest.mark.parametrize("n_texts, lr", [
    (300, 1e-4),     # 270 training texts: 9 steps an epoch, 27 in 3 epochs
    (3520, 1e-4),    # 3168: 99 steps an epoch, 297 in 3 epochs, short of 300
    (3530, 5e-5),    # 3177: 100 steps an epoch, 300 in 3 epochs
    (40000, 5e-5),
])
def test_auto_lr_is_larger_where_the_step_budget_sets_the_epochs(n_texts, lr):
    est, _ = planned(n_texts, lr="auto")
    assert est.lr_ == lr


def test_an_explicit_lr_is_kept():
    est, _ = planned(300, lr=3e-5)
    assert est.lr_ == 3e-5


def test_optimiser_groups_take_the_planned_lr_and_set_params_rebuilds_them(multilabel_data):
    X, Y, names = multilabel_data
    est = FineTunedEmotionClassifier(**tiny_params(max_epochs=1, lr="auto", head_lr=1e-3,
                                                   validation_fraction=None),
                                     label_names=names).fit(X, Y)

    def peak_rates():  # the distinct peak rates, the calibration scalars' aside
        return sorted({g.get("initial_lr", g["lr"]) for g in est.optimizer_.param_groups
                       if g["lr"] != training.CALIBRATION_LR})

    assert est.lr_ == 1e-4 and peak_rates() == [1e-4, 1e-3]
    est.set_params(lr=3e-5)
    assert est.lr == 3e-5 and peak_rates() == [3e-5, 1e-3]
    est.set_params(lr="auto")
    assert peak_rates() == [1e-4, 1e-3]
    est.partial_fit(X, Y)  # the rebuilt optimiser trains
    assert np.isfinite(est.history_[-1, "train_loss"])


def test_an_explicit_max_epochs_is_kept():
    est, _ = planned(100, max_epochs=2)
    assert est.n_epochs_ == 2


@pytest.mark.real_selection
def test_a_small_validation_split_selects_no_epoch_and_says_so():
    est, messages = planned(300)
    assert not est.selects_epoch_
    assert messages == [
        "FineTunedEmotionClassifier: the validation split holds 30 texts, too few to select "
        "the best epoch (fewer than 100); the fit trains all 34 epochs and keeps the last. "
        "The split still calibrates the probabilities and tunes the thresholds, which stay "
        "near the pooled ones where a label has few validation positives."]
    est, messages = planned(1000)
    assert est.selects_epoch_ and messages == []
    est, messages = planned(300, validation_fraction=None)
    assert messages == []


def test_the_schedule_spans_the_planned_epochs(multilabel_data, monkeypatch):
    X, Y, names = multilabel_data
    monkeypatch.setattr(training, "AUTO_MIN_STEPS", 20)
    est = FineTunedEmotionClassifier(**tiny_params(max_epochs="auto", batch_size=16,
                                                   validation_fraction=None),
                                     label_names=names)
    est.fit(X, Y)
    # 96 texts: 6 steps an epoch, ceil(20 / 6) = 4 epochs, 24 steps in the schedule.
    assert est.n_epochs_ == 4 and len(est.history_) == 4
    assert dict(est.callbacks_)["lr_schedule"].total_steps_ == 24


@pytest.fixture(scope="module")
def calibrated(multilabel_data):
    X, Y, names = multilabel_data
    est = FineTunedEmotionClassifier(**tiny_params(validation_fraction=0.5,
                                                   calibration="temperature"),
                                     label_names=names)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        est.fit(X, Y)
    return est


def test_probabilities_are_divided_by_the_fitted_temperatures(calibrated, multilabel_data):
    X, Y, _ = multilabel_data
    est = calibrated
    assert est.temperatures_.shape == (Y.shape[1],) and (est.temperatures_ > 0).all()
    calibrated_proba = est.predict_proba(X)
    temperatures, est.temperatures_ = est.temperatures_, None
    try:
        raw = est.predict_proba(X)
    finally:
        est.temperatures_ = temperatures
    expected = expit(logit(raw.astype(np.float64)) / temperatures)
    np.testing.assert_allclose(calibrated_proba, expected, atol=2e-6)


def test_thresholds_are_tuned_on_the_calibrated_probabilities(calibrated, multilabel_data):
    X, Y, _ = multilabel_data
    valid = calibrated.validation_indices_
    proba = calibrated.predict_proba([X[i] for i in valid])
    np.testing.assert_allclose(calibrated.thresholds_, tune_thresholds(Y[valid], proba),
                               atol=1e-6)


def test_auto_threshold_is_tuned_with_a_validation_split_and_half_without(
        calibrated, multilabel_data):
    X, Y, names = multilabel_data
    assert calibrated.threshold == "auto"
    np.testing.assert_array_equal(calibrated.decision_thresholds(), calibrated.thresholds_)
    plain = FineTunedEmotionClassifier(**tiny_params(max_epochs=1, validation_fraction=None),
                                       label_names=names).fit(X, Y)
    assert plain.thresholds_ is None and plain.temperatures_ is None
    np.testing.assert_array_equal(plain.decision_thresholds(), np.full(len(names), 0.5))


def test_calibration_none_leaves_probabilities_alone(multilabel_data):
    X, Y, names = multilabel_data
    est = FineTunedEmotionClassifier(**tiny_params(validation_fraction=0.5, calibration=None),
                                     label_names=names)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        est.fit(X, Y)
    assert est.temperatures_ is None


def test_a_label_predicted_far_more_often_than_its_prevalence_warns(calibrated):
    est = calibrated
    n_valid = len(est.validation_indices_)
    Y = np.zeros((96, 4), dtype=int)
    rest = np.setdiff1d(np.arange(96), est.validation_indices_)
    Y[rest[:10], 0] = 1  # label 0 on 10 of the training texts
    Y[rest[:40], 1] = 1  # label 1 on 40
    proba = np.zeros((n_valid, 4))
    proba[:, 0] = 0.9  # label 0 predicted for every validation text
    est.set_params(threshold=0.5)
    try:
        with pytest.warns(UserWarning) as record:
            est._check_predicted_rates(Y, proba)
    finally:
        est.set_params(threshold="auto")
    message = str(record[0].message)
    expected_0 = 10 / len(rest) * n_valid
    expected_1 = 40 / len(rest) * n_valid
    assert f"admiration ({n_valid} predicted, {expected_0:.1f} expected)" in message
    assert f"amusement (0 predicted, {expected_1:.1f} expected)" in message
    assert "gratitude" not in message and "neutral" not in message
