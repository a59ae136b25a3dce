"""Bad input fails early with a message that names the problem."""

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from skemo import FineTunedEmotionClassifier

from .conftest import tiny_params


def make(**overrides):
    return FineTunedEmotionClassifier(**tiny_params(max_epochs=1, **overrides))


@pytest.mark.parametrize("X, error, message", [
    ([], ValueError, "X is empty"),
    ("just one string", TypeError, "not a single string"),
    (["ok", 3], TypeError, r"X\[1\] is of type int"),
    (["ok", None], ValueError, r"X\[1\] is None"),
    (["ok", float("nan")], ValueError, r"X\[1\] is NaN"),
    (np.array([["a", "b"]]), ValueError, "one-dimensional"),
])
def test_bad_texts(X, error, message):
    with pytest.raises(error, match=message):
        make().fit(X, ["joy"] * max(len(X), 1))


def test_length_mismatch():
    with pytest.raises(ValueError, match="X has 3 texts but y has 2 rows"):
        make().fit(["a", "b", "c"], ["joy", "fear"])


def test_label_without_positives_with_class_weights():
    Y = np.array([[1, 0], [1, 0], [0, 0], [1, 0]] * 5)
    with pytest.raises(ValueError, match=r"label\(s\) \['fear'\] have no positive"):
        make(class_weight="balanced", label_names=["joy", "fear"]).fit(["x"] * 20, Y)


def test_unknown_encoder():
    with pytest.raises(ValueError, match="Cannot load encoder 'nobody/nothing'"):
        make(encoder="nobody/nothing").fit(["a", "b"] * 10, ["joy", "fear"] * 10)


@pytest.mark.parametrize("params, message", [
    ({"threshold": "x"}, "'threshold' parameter"),
    ({"precision": "int3"}, "'precision' parameter.*'bf16'"),
    ({"batch_size": 0}, "'batch_size' parameter"),
    ({"threshold": "tuned", "validation_fraction": None}, "needs a validation split"),
])
def test_bad_parameters_are_rejected_at_fit(params, message):
    est = make(**params)  # constructing never fails
    with pytest.raises(ValueError, match=message):
        est.fit(["a", "b"] * 10, ["joy", "fear"] * 10)


def test_predict_before_fit():
    with pytest.raises(NotFittedError):
        make().predict(["hello"])


def test_unknown_labels_at_score(single_labels):
    X, y = single_labels
    est = make().fit(X, y)
    with pytest.raises(ValueError, match=r"not seen during fit: \['rage'\]"):
        est.score(X[:2], ["rage", y[0]])
