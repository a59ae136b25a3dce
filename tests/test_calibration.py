import numpy as np
import pytest
from scipy.special import expit, softmax

from skemo.calibration import (
    fit_temperatures,
    held_out_log_loss_gain,
    log_loss_of,
    proba_from_scores,
    scores_from_proba,
)
from skemo.metrics import emotion_report, expected_calibration_error


def overconfident_multilabel(n=20000, true_t=(2.0, 0.5), seed=0):
    """Scores whose labels follow sigmoid(score / true_t) for each column."""
    rng = np.random.default_rng(seed)
    scores = rng.normal(0, 2, size=(n, len(true_t)))
    y = (rng.random(scores.shape) < expit(scores / np.asarray(true_t))).astype(int)
    return scores, y


def test_per_label_temperatures_are_recovered():
    scores, y = overconfident_multilabel()
    np.testing.assert_allclose(fit_temperatures(scores, y, multilabel=True), [2.0, 0.5],
                               rtol=0.05)


def test_single_label_temperature_is_recovered():
    rng = np.random.default_rng(1)
    scores = rng.normal(0, 3, size=(20000, 4))
    classes = np.array([rng.choice(4, p=p) for p in softmax(scores / 3.0, axis=1)])
    temperatures = fit_temperatures(scores, classes, multilabel=False)
    assert temperatures.shape == (4,) and np.ptp(temperatures) == 0
    assert temperatures[0] == pytest.approx(3.0, rel=0.05)


def test_label_without_positives_takes_the_pooled_temperature():
    scores, y = overconfident_multilabel(true_t=(2.0, 2.0))
    y[:, 1] = 0
    pooled = fit_temperatures(scores[:, :1], y[:, :1], multilabel=True, prior_strength=0)
    temperatures = fit_temperatures(scores, y, multilabel=True)
    # Label 1's pooled value comes from both columns; with no positive it keeps it.
    both = fit_temperatures(scores, y, multilabel=True, prior_strength=1e12)
    assert temperatures[1] == pytest.approx(both[1])
    assert pooled[0] == pytest.approx(2.0, rel=0.05)


def test_few_positives_shrink_toward_the_pooled_temperature():
    scores, y = overconfident_multilabel(n=400, true_t=(2.0, 2.0))
    y[:, 1] = 0
    y[:3, 1] = 1  # three positives: weight 3/23 on the label's own temperature
    scores[:3, 1] = -5.0  # ... scored very low, which alone would ask for a huge T
    own = fit_temperatures(scores[:, 1:], y[:, 1:], multilabel=True, prior_strength=0)[0]
    pooled = fit_temperatures(scores, y, multilabel=True, prior_strength=1e12)[1]
    shrunk = fit_temperatures(scores, y, multilabel=True)[1]
    assert np.log(shrunk) == pytest.approx(3 / 23 * np.log(own) + 20 / 23 * np.log(pooled),
                                           rel=1e-3)


def test_held_out_gain_is_positive_when_scaling_helps_and_not_when_calibrated():
    scores, y = overconfident_multilabel(n=4000, true_t=(3.0, 3.0))
    assert held_out_log_loss_gain(scores, y, multilabel=True) > 0.01
    calibrated, y = overconfident_multilabel(n=4000, true_t=(1.0, 1.0))
    assert held_out_log_loss_gain(calibrated, y, multilabel=True) < 0.002


def test_scores_and_probabilities_round_trip():
    scores = np.array([[-3.0, 0.0, 2.5]])
    np.testing.assert_allclose(scores_from_proba(proba_from_scores(scores, True), True),
                               scores, atol=1e-9)
    proba = proba_from_scores(scores, False)
    np.testing.assert_allclose(proba, softmax(scores, axis=1))
    np.testing.assert_allclose(proba_from_scores(scores_from_proba(proba, False), False),
                               proba)
    # log-loss by hand: -(log sigmoid(2) + log(1 - sigmoid(-1))) / 2
    expected = -(np.log(expit(2.0)) + np.log(1 - expit(-1.0))) / 2
    assert log_loss_of([[2.0, -1.0]], [[1, 0]], True) == pytest.approx(expected)


def test_expected_calibration_error_by_hand():
    # Multi-label: cells 0.1, 0.1 (bin 1, one positive: |0.5 - 0.1| = 0.4) and
    # 0.9, 0.9 (bin 13, both positive: |1 - 0.9| = 0.1): (2 * 0.4 + 2 * 0.1) / 4.
    y = [[0, 1], [1, 1]]
    proba = [[0.1, 0.9], [0.1, 0.9]]
    assert expected_calibration_error(y, proba) == pytest.approx(0.25)
    # Single-label: confidences 0.6 (right), 0.6 (wrong), 0.9 (right):
    # bin of 0.6: |0.5 - 0.6| on 2 rows, bin of 0.9: |1 - 0.9| on 1 row.
    proba = [[0.6, 0.4], [0.6, 0.4], [0.1, 0.9]]
    assert expected_calibration_error([0, 1, 1], proba) == pytest.approx(
        (2 * 0.1 + 0.1) / 3)
    with pytest.raises(ValueError, match="same shape"):
        expected_calibration_error([[0, 1]], [[0.1, 0.2, 0.3]])


def test_emotion_report_adds_the_ece():
    y = np.array([[0, 1], [1, 1]])
    proba = np.array([[0.1, 0.9], [0.1, 0.9]])
    report = emotion_report(y, (proba >= 0.5).astype(int), y_proba=proba)
    assert report.splitlines()[-1] == "ECE: 0.250"
    assert emotion_report(y, (proba >= 0.5).astype(int), y_proba=proba,
                          output_dict=True)["ece"] == pytest.approx(0.25)
