"""Property-based tests: arbitrary unicode through fit and predict_proba."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skemo import FineTunedEmotionClassifier

from .conftest import tiny_params

# Emoji, right-to-left scripts, control characters, combining marks, surrogates excluded.
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200)
LONG_TEXT = st.text(alphabet="ab 😀\u202e\u0645\x00\n", min_size=1000, max_size=5000)
TEXTS = st.lists(st.one_of(TEXT, LONG_TEXT, st.just("")), min_size=1, max_size=12)
SLOW = settings(max_examples=25, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


@pytest.fixture(scope="module")
def fitted(multilabel_data):
    X, Y, _ = multilabel_data
    return FineTunedEmotionClassifier(**tiny_params(max_epochs=1)).fit(X, Y)


@SLOW
@given(texts=TEXTS)
def test_predict_proba_on_arbitrary_unicode(fitted, texts):
    proba = fitted.predict_proba(texts)
    assert proba.shape == (len(texts), 4)
    assert np.isfinite(proba).all() and (proba >= 0).all() and (proba <= 1).all()


@SLOW
@given(texts=TEXTS)
def test_output_rows_follow_input_order(fitted, texts):
    proba = fitted.predict_proba(texts)
    reversed_proba = fitted.predict_proba(texts[::-1])
    np.testing.assert_allclose(reversed_proba[::-1], proba, rtol=1e-5, atol=1e-6)


@SLOW
@given(texts=TEXTS)
def test_batch_size_does_not_change_results(fitted, texts):
    proba = fitted.predict_proba(texts)
    fitted.set_params(batch_size=1)
    try:
        one_by_one = fitted.predict_proba(texts)
    finally:
        fitted.set_params(batch_size=16)
    np.testing.assert_allclose(one_by_one, proba, rtol=1e-4, atol=1e-5)


@settings(max_examples=4, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(texts=st.lists(TEXT, min_size=8, max_size=8))
def test_fit_on_arbitrary_unicode(texts):
    y = ["a", "b"] * 4
    est = FineTunedEmotionClassifier(**tiny_params(max_epochs=1, validation_fraction=None))
    proba = est.fit(texts, y).predict_proba(texts)
    assert proba.shape == (8, 2) and np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
