"""The scikit-learn contract, checked once for every public skemo estimator.

Parametrised over :func:`skemo.all_estimators` with tiny random encoders
(``INIT_PARAMS`` holds per-estimator extras). ``parametrize_with_checks``
feeds numeric arrays, which text estimators cannot take, so the individual
scikit-learn checks that apply are called directly, and the ones that do
not apply are listed in ``NOT_APPLICABLE`` with the reason.
"""

import io

import joblib
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone, is_classifier
from sklearn.model_selection import GridSearchCV, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils import estimator_checks as checks

import skemo
from skemo.model_selection import MultilabelStratifiedKFold

from .conftest import tiny_params

ESTIMATORS = skemo.all_estimators()
IDS = [name for name, _ in ESTIMATORS]

#: Extra constructor arguments per estimator on top of ``tiny_params``.
INIT_PARAMS = {
    "DefinitionAuxiliaryClassifier": {"aux_tasks": ("cdp", "mlm")},
    "DualObjectiveClassifier": {},
    "FineTunedEmotionClassifier": {},
    "MultiHeadValenceClassifier": {"circumplex": {"0": (0.6, 0.3), "1": (-0.5, 0.4),
                                                  "2": (0.7, -0.2), "3": (0.0, 0.0)}},
    "SimilarityEmotionClassifier": {},
    "TACOClassifier": {},
}

#: scikit-learn checks that feed numeric 2-D X and so cannot apply to text input.
NOT_APPLICABLE = {
    "check_fit2d_1sample": "numeric 2-D X",
    "check_estimators_dtypes": "numeric 2-D X",
    "check_dont_overwrite_parameters": "numeric 2-D X",
    "check_fit_score_takes_y": "numeric 2-D X",
    "check_estimators_fit_returns_self": "numeric 2-D X",
}

#: Checks that apply but fail for a known, accepted reason (strict xfail).
EXPECTED_FAILURES = {
    "check_no_attributes_set_in_init": "skorch's NeuralNet.__init__ sets its bookkeeping "
                                       "attributes history_, initialized_, virtual_params_",
}

SKLEARN_CHECKS = [
    pytest.param(checks.check_no_attributes_set_in_init, marks=pytest.mark.xfail(
        strict=True, reason=EXPECTED_FAILURES["check_no_attributes_set_in_init"])),
    checks.check_get_params_invariance,
    checks.check_set_params,
    checks.check_estimator_cloneable,
    checks.check_estimator_repr,
    checks.check_estimator_tags_renamed,
    checks.check_valid_tag_types,
]


def make(cls, **overrides):
    return cls(**tiny_params(**INIT_PARAMS.get(cls.__name__, {}), **overrides))


def lowercase(texts):
    return [t.lower() for t in texts]


def test_all_estimators_are_listed():
    assert "FineTunedEmotionClassifier" in IDS
    assert len(IDS) == len(INIT_PARAMS), "add every estimator to INIT_PARAMS"


@pytest.mark.parametrize("name, cls", ESTIMATORS, ids=IDS)
def test_default_constructible(name, cls):
    est = cls()
    assert is_classifier(est)
    assert est.get_params()["encoder"] == skemo.DEFAULT_ENCODER
    checks.check_parameters_default_constructible(name, est)


@pytest.mark.parametrize("check", SKLEARN_CHECKS, ids=lambda c: getattr(c, "__name__", c))
@pytest.mark.parametrize("name, cls", ESTIMATORS, ids=IDS)
def test_sklearn_checks(name, cls, check):
    check(name, make(cls))


@pytest.mark.parametrize("name, cls", ESTIMATORS, ids=IDS)
def test_clone_and_params_round_trip(name, cls, multilabel_data):
    X, Y, names = multilabel_data
    est = make(cls, label_names=names).fit(X, Y)
    twin = clone(est)
    assert not hasattr(twin, "classes_") and not hasattr(twin, "module_")
    params = est.get_params(deep=False)
    assert set(twin.get_params(deep=False)) == set(params)
    twin.set_params(**{"lr": 0.123, "threshold": "tuned"})
    assert twin.get_params()["lr"] == 0.123 and twin.threshold == "tuned"
    assert est.lr != 0.123


@pytest.mark.parametrize("name, cls", ESTIMATORS, ids=IDS)
def test_fit_predict_indicator(name, cls, multilabel_data):
    X, Y, names = multilabel_data
    est = make(cls, label_names=names).fit(X, Y)
    proba = est.predict_proba(X[:10])
    pred = est.predict(X[:10])
    assert proba.shape == (10, 4) and np.all((proba >= 0) & (proba <= 1))
    assert pred.shape == (10, 4) and set(np.unique(pred)) <= {0, 1}
    assert_array_equal(est.classes_, names)
    assert est.multilabel_ and est.thresholds_.shape == (4,)
    assert 0.0 <= est.score(X, Y) <= 1.0


@pytest.mark.parametrize("name, cls", ESTIMATORS, ids=IDS)
def test_fit_predict_label_lists(name, cls, label_lists):
    X, y = label_lists
    est = make(cls).fit(X, y)
    pred = est.predict(X[:10])
    assert isinstance(pred, list) and len(pred) == 10
    assert all(set(row) <= set(est.classes_) for row in pred)
    assert est.predict_proba(X[:10]).shape == (10, len(est.classes_))


@pytest.mark.parametrize("name, cls", ESTIMATORS, ids=IDS)
def test_fit_predict_single_label(name, cls, single_labels):
    X, y = single_labels
    est = make(cls).fit(X, y)
    proba = est.predict_proba(X[:10])
    assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    pred = est.predict(X[:10])
    assert pred.shape == (10,) and set(pred) <= set(y)
    assert not est.multilabel_


@pytest.mark.parametrize("name, cls", ESTIMATORS, ids=IDS)
def test_random_state_makes_fits_repeatable(name, cls, multilabel_data):
    X, Y, _ = multilabel_data
    first = make(cls, random_state=3).fit(X, Y)
    second = make(cls, random_state=3).fit(X, Y)
    assert_array_equal(first.predict_proba(X), second.predict_proba(X))
    other = make(cls, random_state=4).fit(X, Y)
    assert not np.array_equal(first.predict_proba(X), other.predict_proba(X))


@pytest.mark.parametrize("name, cls", ESTIMATORS, ids=IDS)
def test_pipeline_with_text_cleaning(name, cls, multilabel_data):
    X, Y, _ = multilabel_data
    pipe = make_pipeline(FunctionTransformer(lowercase), make(cls))
    pipe.fit(X, Y)
    assert pipe.predict(X[:5]).shape == (5, 4)
    assert_allclose(pipe.predict_proba(X[:5]),
                    pipe[-1].predict_proba(lowercase(X[:5])))


@pytest.mark.parametrize("name, cls", ESTIMATORS, ids=IDS)
def test_grid_search_with_multilabel_stratified_cv(name, cls, multilabel_data):
    X, Y, _ = multilabel_data
    cv = MultilabelStratifiedKFold(n_splits=2, shuffle=True, random_state=0)
    search = GridSearchCV(make(cls, max_epochs=1), {"lr": [1e-3, 2e-3]}, cv=cv,
                          scoring="f1_macro")
    search.fit(X, Y)
    assert search.best_params_["lr"] in (1e-3, 2e-3)
    assert len(search.cv_results_["mean_test_score"]) == 2
    assert search.best_estimator_.predict(X[:3]).shape == (3, 4)


@pytest.mark.parametrize("name, cls", ESTIMATORS, ids=IDS)
def test_cross_validate_f1_macro(name, cls, multilabel_data):
    X, Y, _ = multilabel_data
    cv = MultilabelStratifiedKFold(n_splits=2, shuffle=True, random_state=0)
    result = cross_validate(make(cls, max_epochs=1), X, Y, cv=cv, scoring="f1_macro")
    assert result["test_score"].shape == (2,)
    assert np.all((result["test_score"] >= 0) & (result["test_score"] <= 1))


@pytest.mark.parametrize("name, cls", ESTIMATORS, ids=IDS)
def test_pickle_and_save_round_trips(name, cls, multilabel_data, tmp_path):
    X, Y, names = multilabel_data
    est = make(cls, label_names=names, threshold="tuned").fit(X, Y)
    expected = est.predict_proba(X)

    buffer = io.BytesIO()
    joblib.dump(est, buffer)
    buffer.seek(0)
    assert_array_equal(joblib.load(buffer).predict_proba(X), expected)

    est.save(tmp_path / "model")
    loaded = skemo.load(tmp_path / "model")
    assert type(loaded) is cls
    assert_allclose(loaded.predict_proba(X), expected, rtol=1e-6, atol=1e-7)
    assert_array_equal(loaded.predict(X), est.predict(X))
    assert_array_equal(loaded.thresholds_, est.thresholds_)
    assert_array_equal(loaded.classes_, est.classes_)
