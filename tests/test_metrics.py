import warnings

import numpy as np
import pytest
from sklearn.metrics import classification_report, f1_score, jaccard_score

from skemo.metrics import emotion_report

Y_TRUE = np.array([[1, 0, 0], [0, 1, 1], [1, 1, 0], [0, 0, 1], [1, 0, 1], [0, 1, 0]])
Y_PRED = np.array([[1, 0, 0], [0, 0, 1], [1, 1, 1], [0, 1, 1], [0, 0, 1], [0, 1, 0]])
NAMES = ["joy", "anger", "fear"]


def test_multilabel_dict_matches_sklearn():
    report = emotion_report(Y_TRUE, Y_PRED, target_names=NAMES, output_dict=True)
    assert report["macro avg"]["f1-score"] == pytest.approx(
        f1_score(Y_TRUE, Y_PRED, average="macro")
    )
    assert report["micro avg"]["f1-score"] == pytest.approx(
        f1_score(Y_TRUE, Y_PRED, average="micro")
    )
    assert report["jaccard_samples"] == pytest.approx(
        jaccard_score(Y_TRUE, Y_PRED, average="samples")
    )
    assert set(report) == set(NAMES) | {
        "micro avg",
        "macro avg",
        "weighted avg",
        "samples avg",
        "jaccard_samples",
    }
    for name in NAMES:
        assert set(report[name]) == {"precision", "recall", "f1-score", "support"}


def test_multilabel_text_leads_with_macro_f1_and_ends_with_jaccard():
    text = emotion_report(Y_TRUE, Y_PRED, target_names=NAMES, digits=4)
    lines = text.splitlines()
    macro = f1_score(Y_TRUE, Y_PRED, average="macro")
    jaccard = jaccard_score(Y_TRUE, Y_PRED, average="samples")
    assert lines[0] == f"macro-F1: {macro:.4f}"
    assert lines[-1] == f"jaccard (samples): {jaccard:.4f}"
    sklearn_text = classification_report(
        Y_TRUE, Y_PRED, target_names=NAMES, digits=4, zero_division=0
    )
    assert sklearn_text.rstrip("\n") in text


def test_single_label_is_classification_report_plus_headline():
    y_true = ["joy", "anger", "joy", "fear", "fear", "joy"]
    y_pred = ["joy", "joy", "joy", "fear", "anger", "joy"]
    text = emotion_report(y_true, y_pred)
    macro = f1_score(y_true, y_pred, average="macro")
    expected_report = classification_report(y_true, y_pred, digits=3, zero_division=0)
    assert text == f"macro-F1: {macro:.3f}\n\n" + expected_report.rstrip("\n")
    assert "jaccard" not in text

    report = emotion_report(y_true, y_pred, output_dict=True)
    assert report == classification_report(
        y_true, y_pred, output_dict=True, zero_division=0
    )
    assert "accuracy" in report and "jaccard_samples" not in report


def test_zero_division_is_passed_through_without_warnings():
    y_true = np.array([[1, 0], [1, 0], [0, 0]])
    y_pred = np.array([[1, 0], [0, 0], [0, 0]])  # label 1 never true nor predicted
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = emotion_report(y_true, y_pred, output_dict=True)
    assert report["1"]["f1-score"] == 0.0
    ones = emotion_report(y_true, y_pred, output_dict=True, zero_division=1)
    assert ones["1"]["f1-score"] == 1.0
    assert ones["jaccard_samples"] == pytest.approx(
        jaccard_score(y_true, y_pred, average="samples", zero_division=1)
    )
