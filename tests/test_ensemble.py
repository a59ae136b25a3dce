"""EmotionEnsemble: averaged probabilities, its own thresholds, scikit-learn composition."""

import copy
import json
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.ensemble import VotingClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline

import skemo
from skemo import FineTunedEmotionClassifier, TACOClassifier
from skemo._estimator import prediction
from skemo.ensemble import EmotionEnsemble
from skemo.thresholds import tune_thresholds

from .conftest import tiny_params


def members():
    return [("baseline", FineTunedEmotionClassifier(**tiny_params(max_epochs=1))),
            ("taco", TACOClassifier(**tiny_params(max_epochs=1, random_state=1)))]


@pytest.fixture(scope="module")
def fitted(multilabel_data):
    X, Y, names = multilabel_data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return EmotionEnsemble(members(), label_names=names, validation_fraction=0.25,
                               random_state=0).fit(X, Y)


@pytest.fixture(scope="module")
def member_fitted_apart(multilabel_data):
    """A baseline fitted on the first 64 texts only."""
    X, Y, names = multilabel_data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return FineTunedEmotionClassifier(**tiny_params(max_epochs=1), label_names=names
                                          ).fit(X[:64], Y[:64])


# ---------------------------------------------------------------- parameters
def test_nested_parameters_round_trip_and_clone_gives_an_unfitted_twin():
    ensemble = EmotionEnsemble(members(), weights=[2, 1])
    params = ensemble.get_params()
    assert params["taco__random_state"] == 1 and params["baseline__max_epochs"] == 1
    assert params["taco"] is ensemble.estimators[1][1]
    ensemble.set_params(taco__lr=1e-4, threshold=0.4)
    assert ensemble.named_estimators.taco.lr == 1e-4 and ensemble.threshold == 0.4
    replacement = FineTunedEmotionClassifier(**tiny_params())
    ensemble.set_params(baseline=replacement)
    assert ensemble.estimators[0] == ("baseline", replacement)
    twin = clone(ensemble)
    assert twin.estimators[0][1] is not replacement
    assert twin.get_params(deep=False)["weights"] == [2, 1]
    assert twin.get_params()["taco__lr"] == 1e-4
    assert not hasattr(twin, "estimators_")
    assert "estimators_" not in vars(twin.estimators[1][1])


@pytest.mark.parametrize("estimators, weights, error, match", [
    ([], None, ValueError, "non-empty list of \\(name, estimator\\) pairs"),
    ([("a__b", FineTunedEmotionClassifier())], None, ValueError, "must not contain __"),
    ([("a", FineTunedEmotionClassifier()), ("a", FineTunedEmotionClassifier())], None,
     ValueError, "Names provided are not unique"),
    ([("a b", FineTunedEmotionClassifier())], None, ValueError, "not usable as directory"),
    ([("lr", LogisticRegression())], None, TypeError, "'lr' is a LogisticRegression, not a "
     "skemo estimator"),
    ([("a", "drop")], None, ValueError, "every member is 'drop'"),
    ([("a", FineTunedEmotionClassifier())], [1, 2], ValueError,
     "weights has 2 values for 1 estimators"),
    ([("a", FineTunedEmotionClassifier()), ("b", FineTunedEmotionClassifier())], [1, -1],
     ValueError, "weights must be finite, non-negative"),
])
def test_bad_members_and_weights_fail_before_fitting(estimators, weights, error, match):
    with pytest.raises(error, match=match):
        EmotionEnsemble(estimators, weights=weights).fit(["a", "b"], [0, 1])


def test_voting_classifier_refuses_multilabel_targets():
    # Why skemo has an ensemble of its own (docs/user_guide/ensembles.rst quotes this).
    voting = VotingClassifier([("lr", LogisticRegression())], voting="soft")
    with pytest.raises(NotImplementedError, match="Multilabel and multi-output "
                                                  "classification are not supported"):
        voting.fit(np.eye(4), np.array([[1, 0], [0, 1], [1, 1], [0, 0]]))


# ---------------------------------------------------------------- fit, predict
def test_members_train_without_the_held_out_split(fitted, multilabel_data):
    X, _, names = multilabel_data
    assert len(fitted.validation_indices_) == 24
    for member in fitted.estimators_:
        assert member.validation_indices_.max() < len(X) - 24  # indices into 72 texts
        assert list(member.classes_) == names
    assert list(fitted.named_estimators_) == ["baseline", "taco"]


def test_probabilities_are_the_weighted_mean_of_the_members(fitted, multilabel_data):
    X = multilabel_data[0][:20]
    own = [member.predict_proba(X) for member in fitted.estimators_]
    np.testing.assert_allclose(fitted.predict_proba(X), (own[0] + own[1]) / 2, atol=1e-6)
    weighted = copy.copy(fitted).set_params(weights=[3, 1])
    np.testing.assert_allclose(weighted.predict_proba(X), (3 * own[0] + own[1]) / 4,
                               atol=1e-6)
    only_taco = copy.copy(fitted).set_params(weights=[0, 1])
    np.testing.assert_allclose(only_taco.predict_proba(X), own[1], atol=1e-6)


def test_thresholds_are_tuned_on_the_held_out_averages(fitted, multilabel_data):
    X, Y, _ = multilabel_data
    valid = fitted.validation_indices_
    proba = fitted.predict_proba([X[i] for i in valid])
    np.testing.assert_allclose(fitted.thresholds_,
                               tune_thresholds(Y[valid], proba, default=0.5), atol=1e-6)
    proba = fitted.predict_proba(X)
    np.testing.assert_array_equal(fitted.predict(X), (proba >= fitted.thresholds_).astype(int))
    at_half = copy.copy(fitted).set_params(threshold=0.5)
    np.testing.assert_array_equal(at_half.predict(X), (proba >= 0.5).astype(int))


def test_members_on_one_tokenizer_tokenise_the_texts_once(fitted, multilabel_data, monkeypatch):
    X = multilabel_data[0][:10]
    expected = [member.predict_proba(X) for member in fitted.estimators_]
    calls = []
    tokenize = prediction.tokenize_texts
    monkeypatch.setattr(prediction, "tokenize_texts",
                        lambda *args: calls.append(1) or tokenize(*args))
    for got, want in zip(fitted.member_probas(X), expected):
        np.testing.assert_array_equal(got, want)
    assert len(calls) == 1
    keys = {member.tokenization_key() for member in fitted.estimators_}
    assert len(keys) == 1


def test_a_frozen_encoder_member_reads_its_texts(member_fitted_apart, multilabel_data):
    X = multilabel_data[0][:4]
    frozen = copy.copy(member_fitted_apart)
    frozen.module_ = copy.deepcopy(member_fitted_apart.module_)
    frozen._text_encoder().frozen = True
    assert frozen.tokenization_key() is None
    with pytest.raises(ValueError, match="predicts from embeddings of its frozen encoder"):
        frozen.tokenized_texts(X)


def test_single_label_averages_the_class_distributions(single_labels):
    X, y = single_labels
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        ensemble = EmotionEnsemble(members(), validation_fraction=0.25, random_state=0
                                   ).fit(X, y)
    proba = ensemble.predict_proba(X[:12])
    np.testing.assert_allclose(proba.sum(axis=1), 1, atol=1e-5)
    np.testing.assert_array_equal(ensemble.predict(X[:12]),
                                  ensemble.classes_[proba.argmax(axis=1)])
    assert ensemble.thresholds_ is None and not ensemble.multilabel_


def test_prefit_members_are_used_as_they_are(member_fitted_apart, multilabel_data):
    X, Y, names = multilabel_data
    ensemble = EmotionEnsemble([("a", member_fitted_apart)], prefit=True, label_names=names)
    ensemble.fit(X[64:], Y[64:])
    assert ensemble.estimators_[0] is member_fitted_apart
    np.testing.assert_allclose(
        ensemble.thresholds_,
        tune_thresholds(Y[64:], member_fitted_apart.predict_proba(X[64:]), default=0.5),
        atol=1e-6)


def test_a_frozen_member_is_kept_while_the_others_fit(member_fitted_apart, multilabel_data):
    X, Y, names = multilabel_data
    epochs = len(member_fitted_apart.history_)
    frozen = FrozenEstimator(member_fitted_apart)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        ensemble = EmotionEnsemble(
            [("kept", frozen), ("new", FineTunedEmotionClassifier(**tiny_params(max_epochs=1)))],
            label_names=names, validation_fraction=0.25).fit(X, Y)
    assert ensemble.estimators_[0] is frozen
    assert len(member_fitted_apart.history_) == epochs
    assert list(ensemble.estimators_[1].label_names_) == names


def test_a_member_fitted_on_other_labels_is_refused(member_fitted_apart, multilabel_data):
    X, Y, names = multilabel_data
    ensemble = EmotionEnsemble([("a", member_fitted_apart)], prefit=True,
                               label_names=names[::-1])
    with pytest.raises(ValueError, match="member 'a' predicts the labels .* every member "
                                         "must be fitted on the labels of y"):
        ensemble.fit(X[64:], Y[64:, ::-1])


def test_tuned_threshold_needs_a_held_out_split():
    with pytest.raises(ValueError, match="threshold='tuned' needs a held-out split"):
        EmotionEnsemble(members(), threshold="tuned", validation_fraction=None).fit(
            ["a", "b"], [0, 1])


def test_grid_search_over_a_member_parameter_in_a_pipeline(multilabel_data):
    X, Y, names = multilabel_data
    ensemble = EmotionEnsemble(
        [("baseline", FineTunedEmotionClassifier(**tiny_params(max_epochs=1)))],
        label_names=names, validation_fraction=0.25, random_state=0)
    search = GridSearchCV(Pipeline([("ensemble", ensemble)]),
                          {"ensemble__baseline__lr": [1e-3, 2e-3]}, cv=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        search.fit(np.asarray(X[:64], dtype=object), Y[:64])
    assert len(search.cv_results_["mean_test_score"]) == 2
    best = search.best_estimator_.named_steps["ensemble"]
    assert best.estimators_[0].lr == search.best_params_["ensemble__baseline__lr"]
    assert ensemble.estimators[0][1].lr == 2e-3  # the original is untouched


# ---------------------------------------------------------------- persistence
def test_save_and_load_round_trip(fitted, multilabel_data, tmp_path):
    X = multilabel_data[0][:10]
    fitted.save(tmp_path / "ensemble")
    assert sorted(p.name for p in (tmp_path / "ensemble" / "members").iterdir()) == [
        "baseline", "taco"]
    loaded = skemo.load(tmp_path / "ensemble")
    assert isinstance(loaded, EmotionEnsemble)
    np.testing.assert_array_equal(loaded.predict_proba(X), fitted.predict_proba(X))
    np.testing.assert_array_equal(loaded.thresholds_, fitted.thresholds_)
    np.testing.assert_array_equal(loaded.predict(X), fitted.predict(X))
    assert loaded.get_params()["taco__alpha"] == fitted.get_params()["taco__alpha"]
    assert [type(m) for m in loaded.estimators_] == [type(m) for m in fitted.estimators_]


def test_a_tampered_or_incomplete_save_is_refused(fitted, tmp_path):
    path = tmp_path / "ensemble"
    fitted.save(path)
    meta = json.loads((path / "ensemble.json").read_text())
    (path / "ensemble.json").write_text(json.dumps({**meta, "format_version": 99}))
    with pytest.raises(ValueError, match="is not an ensemble save of format 1"):
        skemo.load(path)
    (path / "ensemble.json").write_text(json.dumps({**meta, "members": ["baseline", "x"]}))
    with pytest.raises(ValueError, match="is not a saved skemo estimator"):
        skemo.load(path)
    (path / "ensemble.json").write_text("{not json")
    with pytest.raises(ValueError, match="is not valid JSON"):
        skemo.load(path)


def test_saving_over_other_files_is_refused(fitted, tmp_path):
    (tmp_path / "notes.txt").write_text("keep me")
    with pytest.raises(ValueError, match="holding files that are not an ensemble's save"):
        fitted.save(tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "keep me"
