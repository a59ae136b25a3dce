"""skemo.distill: a student trained toward a teacher's probabilities."""

import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression

import skemo
from skemo import (
    DefinitionAuxiliaryClassifier,
    DualObjectiveClassifier,
    FineTunedEmotionClassifier,
    TACOClassifier,
)
from skemo.ensemble import EmotionEnsemble

from .conftest import tiny_params

# Fits keep their last epoch (no selection on tiny validation splits), so that the
# comparisons of a distilled and a gold-trained student compare like with like.
pytestmark = [pytest.mark.filterwarnings("ignore::UserWarning"), pytest.mark.real_selection]


def student(cls=FineTunedEmotionClassifier, **params):
    return cls(**tiny_params(max_epochs=2, **params))


def gap(a, b, X):
    """Mean absolute difference of the probabilities of ``a`` and ``b`` on ``X``."""
    return float(np.abs(a.predict_proba(X) - b.predict_proba(X)).mean())


@pytest.fixture(scope="module")
def teacher(multilabel_data):
    X, Y, names = multilabel_data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return FineTunedEmotionClassifier(**tiny_params(max_epochs=3, random_state=1),
                                          label_names=names).fit(X, Y)


@pytest.fixture(scope="module")
def single_label_teacher(single_labels):
    X, y = single_labels
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return FineTunedEmotionClassifier(**tiny_params(max_epochs=3, random_state=1)
                                          ).fit(X, y)


def test_a_distilled_student_is_closer_to_its_teacher_than_one_trained_on_gold(
        teacher, multilabel_data, tmp_path):
    X, Y, _ = multilabel_data
    on_gold = student().fit(X, Y)
    teacher.save(tmp_path / "teacher")
    distilled = skemo.distill(student(), str(tmp_path / "teacher"), X, Y, alpha=0.0)
    assert gap(distilled, teacher, X) < gap(on_gold, teacher, X)
    assert list(distilled.classes_) == list(teacher.classes_)
    distilled.save(tmp_path / "student")
    loaded = skemo.load(tmp_path / "student")
    np.testing.assert_array_equal(loaded.predict_proba(X), distilled.predict_proba(X))
    np.testing.assert_array_equal(loaded.thresholds_, distilled.thresholds_)


def test_single_label_distillation_on_the_teachers_probabilities_alone(
        single_label_teacher, single_labels):
    X, y = single_labels
    on_gold = student().fit(X, y)
    distilled = skemo.distill(student(), single_label_teacher, X, temperature=2.0)
    assert gap(distilled, single_label_teacher, X) < gap(on_gold, single_label_teacher, X)
    # calibrated on the teacher's hard answers it would drift from the teacher's probabilities
    assert distilled.temperatures_ is None
    assert set(distilled.predict(X)) <= set(single_label_teacher.classes_)


def test_unlabelled_texts_train_but_never_validate(teacher, multilabel_data):
    X, Y, _ = multilabel_data
    distilled = skemo.distill(student(TACOClassifier), teacher, X[:48], Y[:48],
                              X_unlabelled=X[48:], alpha=0.5)
    assert distilled.validation_indices_.max() < 48
    assert len(distilled.validation_indices_) == 5  # 10% of the 48 labelled texts


def test_distillation_leaves_no_trace_in_the_estimator(teacher, multilabel_data):
    X, Y, _ = multilabel_data
    params = student().get_params(deep=False)
    distilled = skemo.distill(student(), teacher, X, Y)
    assert distilled._distillation is None
    assert not hasattr(distilled, "distillation_criterion_")
    assert repr(distilled.get_params(deep=False)) == repr(params)
    twin = clone(distilled).fit(X, Y)  # an ordinary fit afterwards
    assert twin._distillation is None


def test_an_ensemble_teaches(teacher, multilabel_data):
    X, Y, names = multilabel_data
    ensemble = EmotionEnsemble([("teacher", teacher)], prefit=True, label_names=names
                               ).fit(X[64:], Y[64:])
    distilled = skemo.distill(student(), ensemble, X[:64], Y[:64], X_unlabelled=X[64:])
    assert list(distilled.label_names_) == names


@pytest.mark.parametrize("make, match", [
    (lambda: student(DualObjectiveClassifier, score_from="mean"),
     "score_from='mean' cannot be distilled"),
    (lambda: student(DefinitionAuxiliaryClassifier, aux_prob=0.5),
     "cannot be distilled with its auxiliary tasks"),
    (lambda: student(checkpoint_dir="checkpoints"),
     "checkpoint_dir is not supported when distilling"),
])
def test_students_that_cannot_take_soft_targets_are_refused(teacher, multilabel_data,
                                                            make, match):
    X, Y, _ = multilabel_data
    with pytest.raises(ValueError, match=match):
        skemo.distill(make(), teacher, X, Y)


def test_bad_arguments_are_refused(teacher, multilabel_data):
    X, Y, _ = multilabel_data
    with pytest.raises(TypeError, match="student must be a skemo estimator"):
        skemo.distill(LogisticRegression(), teacher, X)
    with pytest.raises(TypeError, match="teacher must be a fitted skemo estimator"):
        skemo.distill(student(), LogisticRegression(), X)
    with pytest.raises(ValueError, match="alpha"):
        skemo.distill(student(), teacher, X, alpha=1.5)
    with pytest.raises(ValueError, match="X has 96 texts but y has 10 rows"):
        skemo.distill(student(), teacher, X, Y[:10])
    with pytest.raises(ValueError, match="y does not hold the teacher's labels"):
        skemo.distill(student(), teacher, X, [["joy"]] * len(X))
