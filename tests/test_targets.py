"""The three kinds of y, encoded and decoded."""

import numpy as np
import pytest

from skemo.utils._targets import TargetConverter, target_kind


def test_kinds():
    assert target_kind(np.array([[0, 1], [1, 0]])) == "indicator"
    assert target_kind([["joy"], []]) == "label_lists"
    assert target_kind(np.array(["joy", "fear"])) == "single"
    with pytest.raises(ValueError, match="mixes label lists and single labels"):
        target_kind([["joy"], "fear"])


def test_indicator_round_trip_with_names():
    Y = np.array([[1, 0, 1], [0, 0, 1]])
    enc = TargetConverter(["joy", "fear", "anger"]).fit(Y)
    assert enc.classes_.tolist() == ["joy", "fear", "anger"]
    assert enc.transform(Y).dtype == np.float32
    np.testing.assert_array_equal(enc.inverse_transform(enc.transform(Y)), Y)


def test_label_lists_round_trip():
    y = [["joy", "anger"], [], ["fear"]]
    enc = TargetConverter().fit(y)
    assert enc.classes_.tolist() == ["anger", "fear", "joy"]
    assert enc.inverse_transform(enc.transform(y)) == [["anger", "joy"], [], ["fear"]]


def test_single_label_ids_take_names_from_label_names():
    enc = TargetConverter(["sadness", "joy", "love"]).fit(np.array([2, 0, 2]))
    assert enc.classes_.tolist() == [0, 2]
    assert enc.label_names_ == ["sadness", "love"]


@pytest.mark.parametrize("y, message", [
    (np.array([[0, 2]]), "only 0 and 1"),
    (np.array([[0.0, np.nan]]), "NaN"),
    (["joy", None], r"y\[1\] is None"),
])
def test_bad_targets_are_named(y, message):
    with pytest.raises(ValueError, match=message):
        TargetConverter().fit(y)


def test_unknown_labels_at_transform():
    enc = TargetConverter().fit(["joy", "fear"])
    with pytest.raises(ValueError, match=r"not seen during fit: \['rage'\]"):
        enc.transform(["joy", "rage"])
    with pytest.raises(ValueError, match="kind 'label_lists'"):
        enc.transform([["joy"]])


def test_label_support_warns_or_raises():
    enc = TargetConverter(["a", "b", "c"]).fit(np.array([[1, 0, 1], [0, 0, 1]]))
    Y = enc.transform(np.array([[1, 0, 1], [0, 0, 1]]))
    with pytest.warns(UserWarning, match=r"\['c'\] are positive for every text"):
        with pytest.warns(UserWarning, match=r"\['b'\] have no positive example"):
            enc.check_label_support(Y, require_positives=False)
    with pytest.raises(ValueError, match=r"\['b'\] have no positive example.*balanced"):
        enc.check_label_support(Y, require_positives=True)


def test_state_round_trip():
    enc = TargetConverter().fit([["joy"], ["fear", "joy"]])
    again = TargetConverter.from_state("label_lists", ["fear", "joy"], ["fear", "joy"])
    np.testing.assert_array_equal(again.transform([["joy"]]), enc.transform([["joy"]]))
