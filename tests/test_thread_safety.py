"""Prediction never mutates the estimator, so threads can share one fitted estimator."""

import threading

import numpy as np
import pytest
import torch

from skemo import FineTunedEmotionClassifier, SimilarityEmotionClassifier
from skemo.utils import _onnx

from .conftest import tiny_params

N_THREADS = 8
NEW_LABELS = {"joy": "feeling great happiness", "anger": "a strong feeling of annoyance"}


def in_threads(calls):
    """Run every ``calls[i]()`` in its own thread, all released at once; their results."""
    barrier = threading.Barrier(len(calls))
    results, errors = [None] * len(calls), []

    def run(i):
        barrier.wait()
        try:
            for _ in range(3):  # several rounds, so that the calls overlap
                results[i] = calls[i]()
        except Exception as error:  # noqa: BLE001 -- reported by the test
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


@pytest.fixture(scope="module")
def fitted(multilabel_data):
    X, Y, _ = multilabel_data
    return FineTunedEmotionClassifier(**tiny_params(precision="fp32")).fit(X, Y)


@pytest.mark.parametrize("precision", ["fp32", "int8"])
def test_threads_sharing_an_estimator_get_the_single_thread_probabilities(
        fitted, multilabel_data, precision):
    X, _, _ = multilabel_data
    est = fitted.set_params(precision=precision)
    module = est.module_
    try:
        expected = est.predict_proba(X)
        results = in_threads([lambda: est.predict_proba(X)] * N_THREADS)
    finally:
        est.set_params(precision="fp32")
    for proba in results:
        np.testing.assert_array_equal(proba, expected)
    assert est.module_ is module


def test_threads_build_the_int8_encoder_once(fitted, multilabel_data, monkeypatch):
    X, _, _ = multilabel_data
    exports = []
    real = _onnx.int8_encoder
    monkeypatch.setattr(_onnx, "int8_encoder", lambda *args: exports.append(1) or real(*args))
    with torch.no_grad():
        fitted.module_.head.weight.add_(0)  # a new weights version: no cached copy
    est = fitted.set_params(precision="int8")
    try:
        results = in_threads([lambda: est.predict_proba(X)] * N_THREADS)
        expected = est.predict_proba(X)
    finally:
        est.set_params(precision="fp32")
    assert exports == [1]
    for proba in results:
        np.testing.assert_array_equal(proba, expected)


@pytest.mark.parametrize("precision", ["fp32", "int8"])
def test_threads_scoring_new_and_fitted_labels_do_not_mix_them(multilabel_data, precision):
    X, Y, names = multilabel_data
    est = SimilarityEmotionClassifier(**tiny_params(precision=precision, label_names=names))
    est.fit(X, Y)
    fitted_labels = est.predict_proba(X)
    new_labels = est.predict_proba(X, labels=NEW_LABELS)
    calls = [lambda: est.predict_proba(X), lambda: est.predict_proba(X, labels=NEW_LABELS)]
    results = in_threads(calls * (N_THREADS // 2))
    for proba in results[0::2]:
        np.testing.assert_array_equal(proba, fitted_labels)
    for proba in results[1::2]:
        np.testing.assert_array_equal(proba, new_labels)
