"""Bad input fails early with a message that names the problem."""

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from skemo import FineTunedEmotionClassifier

from .conftest import tiny_params


def make(**overrides):
    return FineTunedEmotionClassifier(**tiny_params(**{"max_epochs": 1, **overrides}))


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


# ------------------------------------------------ thresholds at prediction (item 5)
@pytest.fixture(scope="module")
def fitted(multilabel_data):
    X, Y, names = multilabel_data
    return make(label_names=names, validation_fraction=None).fit(X, Y), X


@pytest.mark.parametrize("threshold", [1.5, 50, float("nan"), -0.1, "best"])
def test_a_bad_threshold_set_after_fit_is_refused_at_predict(fitted, threshold):
    est, X = fitted
    est.set_params(threshold=threshold)
    try:
        with pytest.raises(ValueError, match="'threshold' parameter"):
            est.predict(X[:2])
        with pytest.raises(ValueError, match="'threshold' parameter"):
            est.score(X[:2], np.zeros((2, 4), dtype=int))
    finally:
        est.set_params(threshold=0.5)


def test_tuned_threshold_without_tuned_thresholds_is_refused(fitted):
    est, X = fitted
    assert est.thresholds_ is None  # fitted without a validation split
    est.set_params(threshold="tuned")
    try:
        with pytest.raises(ValueError, match=r"no tuned thresholds \(thresholds_ is None\)"):
            est.predict(X[:2])
    finally:
        est.set_params(threshold=0.5)


# ------------------------------------------ parameters set after fit (item 17)
@pytest.mark.parametrize("params, message", [
    ({"max_length": 0}, "'max_length' parameter"),
    ({"batch_size": 0}, "'batch_size' parameter"),
    ({"precision": "bogus"}, "'precision' parameter"),
    ({"max_length": 1000}, "exceeds the 128 positions"),
])
def test_bad_parameters_set_after_fit_are_refused_at_predict(fitted, params, message):
    est, X = fitted
    original = {name: getattr(est, name) for name in params}
    est.set_params(**params)
    try:
        with pytest.raises(ValueError, match=message):
            est.predict_proba(X[:2])
    finally:
        est.set_params(**original)


# -------------------------------------------- the encoder's position limit (item 12)
def test_max_length_above_the_encoder_s_positions_is_refused_at_fit():
    with pytest.raises(ValueError, match=r"max_length=1024 exceeds the 128 token positions"):
        make(max_length=1024).fit(["a", "b"] * 10, ["joy", "fear"] * 10)


# ------------------------------------------------------------ texts (items 13, 14)
def test_an_empty_first_text_trains():
    est = make().fit(["", "b", "c", "d"] * 5, ["joy", "fear"] * 10)
    assert est.predict_proba([""]).shape == (1, 2)


@pytest.mark.parametrize("text, position", [("bad \udcff byte", 4), ("\ud800", 0)])
def test_a_lone_surrogate_is_named(text, position):
    with pytest.raises(ValueError, match=rf"X\[1\] is not valid Unicode.*at character "
                                         rf"{position}"):
        make().fit(["fine", text], ["joy", "fear"])


# ------------------------------------------------------------ labels (items 6, 8, 16)
def test_balanced_weights_with_a_label_every_text_carries(multilabel_data):
    X, Y, names = multilabel_data
    Y = Y.copy()
    Y[:, 3] = 1
    with pytest.warns(UserWarning, match=r"\['neutral'\] are positive for every text"):
        est = make(class_weight="balanced", label_names=names, max_epochs=2).fit(X, Y)
    assert np.isfinite(est.history[:, "train_loss"]).all()
    assert (est.predict_proba(X)[:, 3] > 0.5).all()


@pytest.mark.parametrize("y, label_names, error, message", [
    ([[], [], []], None, ValueError, "every label list of y is empty"),
    ([0, 1, 2], ["a", "b"], ValueError, r"class ids \[0, 1, 2\] but label_names has 2"),
    (["joy", 1, "fear"], None, ValueError, r"mixes label types \['str', 'int'\]"),
    ([["joy"], [1], []], None, ValueError, r"mixes label types \['str', 'int'\]"),
    ([0, 1, 0], ["a", "a"], ValueError, "has the name 'a' twice"),
    ([0, 1, 0], "joy", TypeError, "not the single string 'joy'"),
    ([0.5, 1.25, 2.0], None, ValueError, r"y\[0\] is 0.5, a continuous value"),
    ([1.0, float("inf"), 2.0], None, ValueError, r"y\[1\] is inf; labels must be finite"),
])
def test_label_edge_cases_are_refused_before_training(y, label_names, error, message):
    with pytest.raises(error, match=message):
        make(label_names=label_names).fit(["a", "b", "c"], y)


def test_indicator_rows_given_as_a_list_warn(multilabel_data):
    X, Y, _ = multilabel_data
    with pytest.warns(UserWarning, match="read as label lists .* np.asarray"):
        make(max_epochs=0).fit(X, Y.tolist())


# ---------------------------------------------------- a DataFrame y at score (item 7)
def test_score_matches_dataframe_columns_by_name(multilabel_data):
    pd = pytest.importorskip("pandas")
    X, Y, names = multilabel_data
    frame = pd.DataFrame(Y, columns=names)
    est = make(max_epochs=2, validation_fraction=None).fit(X, frame)
    reordered = frame[names[::-1]]
    assert est.score(X, reordered) == est.score(X, frame)
    with pytest.raises(ValueError, match=r"columns of y \['a', 'b', 'c', 'd'\] are not"):
        est.score(X, frame.set_axis(["a", "b", "c", "d"], axis=1))


# ------------------------------------------- the labels of y at fit and at score
def test_a_label_that_label_names_does_not_list_is_refused_before_training():
    with pytest.raises(ValueError, match=r"y has the labels \['fear'\], which label_names "
                                         r"\['joy', 'anger'\] does not list"):
        make(label_names=["joy", "anger"]).fit(["a", "b"] * 5, [["joy"], ["fear"]] * 5)


def test_label_names_give_string_labels_their_columns_and_label_set():
    X = ["so happy", "how sad", "wonderful", "awful news"] * 5
    y = [["joy"], ["sadness"], ["joy"], ["sadness", "anger"]] * 5
    with pytest.warns(UserWarning, match=r"\['fear'\] have no positive example"):
        est = make(label_names=["sadness", "joy", "fear", "anger"],
                   validation_fraction=None).fit(X, y)
    assert est.classes_.tolist() == ["sadness", "joy", "fear", "anger"]
    assert est.predict_proba(X[:2]).shape == (2, 4)
    assert 0 <= est.score(X[:2], [["fear"], ["joy"]]) <= 1  # a label no text of fit had


def test_a_y_of_one_class_is_refused_before_training():
    with pytest.raises(ValueError, match="at least 2 classes in the data, but the data "
                                         "contains only one class: 'joy'"):
        make().fit(["a", "b", "c"], ["joy"] * 3)


def test_labels_unseen_in_fit_are_named_at_score(label_lists):
    X, y = label_lists
    est = make(validation_fraction=None).fit(X, y)
    with pytest.raises(ValueError, match=r"not seen during fit: \['rage'\]; the estimator "
                                         r"knows \['admiration', 'amusement', 'gratitude', "
                                         r"'neutral'\]"):
        est.score(X[:2], [["rage"], y[0]])
