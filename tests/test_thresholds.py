import numpy as np
import pytest
from sklearn.metrics import f1_score

from skemo.thresholds import apply_thresholds, tune_thresholds


def test_threshold_known_by_hand():
    # Label 0: positives score 0.35 and 0.8, negatives 0.1 and 0.4.
    # Candidate cuts (predict proba >= t):
    #   t=0.10: TP=2 FP=2 FN=0 -> F1 = 4/6 = 0.667
    #   t=0.35: TP=2 FP=1 FN=0 -> F1 = 4/5 = 0.800  <- best
    #   t=0.40: TP=1 FP=1 FN=1 -> F1 = 2/4 = 0.500
    #   t=0.80: TP=1 FP=0 FN=1 -> F1 = 2/3 = 0.667
    # Label 1: positives 0.9 and 0.2, negatives 0.6 and 0.3.
    #   t=0.2: TP=2 FP=2 -> 0.667; t=0.3: TP=1 FP=2 FN=1 -> 0.4;
    #   t=0.6: TP=1 FP=1 FN=1 -> 0.5;  t=0.9: TP=1 FP=0 FN=1 -> 0.667.
    # 0.2 and 0.9 tie; the larger threshold wins. Unshrunk (prior_strength=0).
    y_true = np.array([[0, 1], [0, 0], [1, 0], [1, 1]])
    y_proba = np.array([[0.1, 0.9], [0.4, 0.6], [0.35, 0.3], [0.8, 0.2]])
    np.testing.assert_allclose(tune_thresholds(y_true, y_proba, prior_strength=0),
                               [0.35, 0.9])


def test_label_without_positives_or_with_constant_proba_takes_the_pooled_threshold():
    y_true = np.array([[0, 1, 1], [0, 0, 1], [0, 1, 0]])
    y_proba = np.array([[0.9, 0.3, 0.7], [0.2, 0.3, 0.1], [0.6, 0.3, 0.4]])
    # Pooled over labels 1 and 2 (those with positives), sum of their F1s:
    #   t=0.1: label 1 TP=2 FP=1 -> 0.8, label 2 TP=2 FP=1 -> 0.8: 1.6  <- best
    #   t=0.3: 0.8 + 0.5;  t=0.4: 0 + 0.5;  t=0.7: 0 + 0.667
    # 4 positives in all: pooled = (4 * 0.1 + 20 * 0.42) / 24.
    thresholds = tune_thresholds(y_true, y_proba, default=0.42)
    pooled = (4 * 0.1 + 20 * 0.42) / 24
    assert thresholds[0] == pytest.approx(pooled)  # no positive
    assert thresholds[1] == pytest.approx(pooled)  # constant probability
    # Label 2's own: positives 0.7 and 0.1, negative 0.4. t=0.1: TP=2 FP=1 -> 0.8;
    # t=0.4: TP=1 FP=1 FN=1 -> 0.5; t=0.7: TP=1 FN=1 -> 0.667. 2 positives: weight 2/22.
    assert thresholds[2] == pytest.approx((2 * 0.1 + 20 * pooled) / 22)
    assert thresholds.dtype == float and thresholds.shape == (3,)


def test_no_positive_anywhere_keeps_the_default():
    y_true = np.zeros((4, 2), dtype=int)
    y_proba = np.array([[0.9, 0.3], [0.2, 0.3], [0.6, 0.3], [0.1, 0.8]])
    np.testing.assert_array_equal(tune_thresholds(y_true, y_proba, default=0.42), [0.42, 0.42])


def test_thresholds_shrink_by_evidence_with_0_1_and_3_validation_positives():
    # Ten validation texts. Label A: no positive. Label B: one positive, scored
    # 0.02, below every negative: alone, its F1-optimal threshold is 0.02, which
    # predicts B for every text. Label C: three positives (0.9, 0.8, 0.7) above
    # all its negatives (<= 0.5): its own threshold is 0.7.
    rng = np.random.RandomState(0)
    a = rng.uniform(0.0, 1.0, 10)
    b = np.r_[0.02, np.linspace(0.03, 0.3, 9)]
    c = np.r_[0.9, 0.8, 0.7, np.linspace(0.1, 0.5, 7)]
    y_true = np.zeros((10, 3), dtype=int)
    y_true[0, 1] = 1
    y_true[:3, 2] = 1
    y_proba = np.c_[a, b, c]
    np.testing.assert_allclose(tune_thresholds(y_true, y_proba, prior_strength=0)[1:],
                               [0.02, 0.7])
    # Pooled over B and C: at t = 0.7, C's F1 is 1 and B's 0, the best sum
    # (at 0.02: 2/11 + 6/13). 4 positives: (4 * 0.7 + 20 * 0.5) / 24.
    pooled = (4 * 0.7 + 20 * 0.5) / 24
    expected = [pooled, (1 * 0.02 + 20 * pooled) / 21, (3 * 0.7 + 20 * pooled) / 23]
    thresholds = tune_thresholds(y_true, y_proba)
    np.testing.assert_allclose(thresholds, expected)
    np.testing.assert_allclose(thresholds, [0.533333, 0.508889, 0.555072], atol=1e-6)
    # B is predicted for no validation text instead of all ten.
    assert apply_thresholds(y_proba, thresholds)[:, 1].sum() == 0


def test_many_positives_keep_their_own_threshold():
    rng = np.random.RandomState(1)
    y_true = (rng.rand(4000, 1) < 0.3).astype(int)
    y_proba = np.clip(0.35 * y_true + 0.5 * rng.rand(4000, 1), 0, 1)
    own = tune_thresholds(y_true, y_proba, prior_strength=0)[0]
    shrunk = tune_thresholds(y_true, y_proba)[0]
    # ~1200 positives: weight 1200/1220 on the label's own threshold.
    assert abs(shrunk - own) < 0.02 * abs(0.5 - own) + 1e-9


def test_negative_prior_strength_is_refused():
    with pytest.raises(ValueError, match="prior_strength must be >= 0, got -1"):
        tune_thresholds(np.eye(2, dtype=int), np.eye(2) * 0.5, prior_strength=-1)


def test_all_positive_label_predicts_everything():
    y_true = np.array([[1], [1], [1]])
    y_proba = np.array([[0.2], [0.7], [0.5]])
    assert tune_thresholds(y_true, y_proba, prior_strength=0)[0] == pytest.approx(0.2)


def test_tuned_thresholds_beat_one_half_on_the_same_data():
    rng = np.random.RandomState(0)
    y_true = (rng.rand(200, 6) < [0.05, 0.1, 0.2, 0.3, 0.5, 0.7]).astype(int)
    y_proba = np.clip(0.3 * y_true + 0.5 * rng.rand(200, 6), 0, 1)
    tuned = apply_thresholds(y_proba, tune_thresholds(y_true, y_proba, prior_strength=0))
    fixed = apply_thresholds(y_proba, 0.5)
    tuned_f1 = f1_score(y_true, tuned, average=None, zero_division=0)
    fixed_f1 = f1_score(y_true, fixed, average=None, zero_division=0)
    assert np.all(tuned_f1 >= fixed_f1)
    assert tuned_f1.mean() > fixed_f1.mean()


def test_apply_thresholds_scalar_and_per_label():
    y_proba = np.array([[0.5, 0.2], [0.49, 0.8]])
    np.testing.assert_array_equal(apply_thresholds(y_proba, 0.5), [[1, 0], [0, 1]])
    y_pred = apply_thresholds(y_proba, [0.4, 0.2])
    np.testing.assert_array_equal(y_pred, [[1, 1], [1, 1]])
    assert y_pred.dtype.kind == "i"


@pytest.mark.parametrize(
    "y_true, y_proba, match",
    [
        (np.zeros((3, 2)), np.zeros(3), "y_proba must be 2-D"),
        (np.zeros((3, 2)), np.zeros((3, 3)), "must have the same shape"),
        (np.zeros(3), np.zeros((3, 1)), "y_true and y_proba must have the same"),
        (np.full((3, 2), 2), np.zeros((3, 2)), "y_true must be a binary indicator"),
        (np.zeros((2, 2)), [[0.1, np.nan], [0.2, 0.3]], "y_proba"),
    ],
)
def test_tune_thresholds_rejects_bad_input(y_true, y_proba, match):
    with pytest.raises(ValueError, match=match):
        tune_thresholds(y_true, y_proba)


def test_apply_thresholds_rejects_bad_shapes():
    match = r"thresholds must be a scalar or have shape \(n_labels,\) = \(2,\)"
    with pytest.raises(ValueError, match=match):
        apply_thresholds(np.zeros((3, 2)), [0.5, 0.5, 0.5])
    with pytest.raises(ValueError, match="y_proba must be 2-D"):
        apply_thresholds(np.zeros(3), 0.5)
