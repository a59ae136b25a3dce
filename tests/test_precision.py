"""Device and precision: autocast types, switching precision after fit."""

import numpy as np
import pytest
import torch

from skemo import FineTunedEmotionClassifier
from skemo.utils._precision import autocast, autocast_dtype, cpu_supports_bf16, resolve_device

from .conftest import tiny_params


def test_device_auto_follows_cuda_availability():
    assert resolve_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
    assert resolve_device("cpu") == "cpu"


def test_autocast_types():
    assert autocast_dtype("fp32", "cpu") is None
    assert autocast_dtype("bf16", "cpu") is torch.bfloat16
    expected = torch.bfloat16 if cpu_supports_bf16() else None
    assert autocast_dtype("auto", "cpu") is expected
    with pytest.raises(ValueError, match="fp16.*needs a CUDA device"):
        autocast_dtype("fp16", "cpu")
    with autocast("fp32", "cpu"):
        assert (torch.ones(2, 2) @ torch.ones(2, 2)).dtype == torch.float32


def test_precision_set_after_fit_applies_to_the_next_prediction(multilabel_data):
    X, Y, _ = multilabel_data
    est = FineTunedEmotionClassifier(**tiny_params(precision="fp32")).fit(X, Y)
    fp32 = est.predict_proba(X)
    calls = []
    handle = est.module_.head.register_forward_hook(
        lambda module, args, out: calls.append(out.dtype))
    est.set_params(precision="bf16")
    bf16 = est.predict_proba(X)
    handle.remove()
    assert set(calls) == {torch.bfloat16}
    assert not np.array_equal(bf16, fp32)
    np.testing.assert_allclose(bf16, fp32, atol=0.03)


def test_bf16_training_stays_close_to_fp32(multilabel_data):
    X, Y, _ = multilabel_data
    fp32 = FineTunedEmotionClassifier(**tiny_params(precision="fp32")).fit(X, Y)
    bf16 = FineTunedEmotionClassifier(**tiny_params(precision="bf16")).fit(X, Y)
    assert all(p.dtype == torch.float32 for p in bf16.module_.parameters())  # master weights
    np.testing.assert_allclose(bf16.predict_proba(X), fp32.predict_proba(X), atol=0.1)
