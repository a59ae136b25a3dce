"""Device and precision: autocast types, int8 prediction, switching precision after fit."""

import numpy as np
import pytest
import torch

from skemo import FineTunedEmotionClassifier, SimilarityEmotionClassifier
from skemo.nn.encoder import TextEncoder
from skemo.utils import _onnx
from skemo.utils._onnx import OnnxRuntimeEncoder
from skemo.utils._precision import (
    autocast,
    autocast_dtype,
    int8_copy,
    quantizes,
    resolve_device,
    tuning_precision,
)

from .conftest import tiny_params


def test_device_auto_follows_cuda_availability():
    assert resolve_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
    assert resolve_device("cpu") == "cpu"


@pytest.mark.parametrize("precision, dtype", [
    ("fp32", None),
    ("bf16", torch.bfloat16),
    # "int8" trains as "auto" (fp32 on a CPU) and predicts with an int8 encoder
    ("int8", None),
    ("auto", None),
])
def test_cpu_autocast_types(precision, dtype):
    assert autocast_dtype(precision, "cpu") is dtype


def test_which_precisions_quantise_and_what_is_refused():
    assert [quantizes(p, "cpu") for p in ("auto", "int8", "fp32", "bf16")] == [
        False, True, False, False]
    assert not quantizes("auto", "cuda")
    with pytest.raises(ValueError, match="int8.*CPU; use 'bf16' on CUDA"):
        quantizes("int8", "cuda")
    with pytest.raises(ValueError, match="fp16.*needs a CUDA device"):
        autocast_dtype("fp16", "cpu")
    with autocast("fp32", "cpu"):
        assert (torch.ones(2, 2) @ torch.ones(2, 2)).dtype == torch.float32


@pytest.fixture(scope="module")
def fp32_model(multilabel_data):
    X, Y, _ = multilabel_data
    return FineTunedEmotionClassifier(**tiny_params(precision="fp32")).fit(X, Y)


def test_int8_copy_runs_the_encoder_on_onnxruntime_and_follows_weight_updates(
        fp32_model, multilabel_data):
    X, _, _ = multilabel_data
    est = fp32_model
    module = est.module_.eval()
    int8 = int8_copy(module, est.tokenizer_)
    assert type(int8.encoder) is OnnxRuntimeEncoder and type(module.encoder) is TextEncoder
    assert int8.head.weight is module.head.weight           # heads shared, not copied
    options = int8.encoder.session.get_session_options()
    assert options.intra_op_num_threads == torch.get_num_threads()
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"
    assert not int8.training
    ids = est.get_dataset(X[:8]).subset(np.arange(8))
    batch, _ = next(iter(est.get_iterator(ids)))
    with torch.inference_mode():
        expected, got = module(**batch), int8(**batch)
    assert got.dtype == torch.float32
    assert not torch.equal(got, expected)
    torch.testing.assert_close(got, expected, atol=0.05, rtol=0)
    assert int8_copy(module, est.tokenizer_) is int8    # cached while weights stand
    saved = module.encoder.backbone.embeddings.word_embeddings.weight.detach().clone()
    try:
        with torch.no_grad():
            module.encoder.backbone.embeddings.word_embeddings.weight.mul_(2.0)  # as AdamW does
        assert int8_copy(module, est.tokenizer_) is not int8
    finally:
        with torch.no_grad():
            module.encoder.backbone.embeddings.word_embeddings.weight.copy_(saved)


def test_int8_prediction_runs_the_onnxruntime_encoder_and_stays_close_to_fp32(
        fp32_model, multilabel_data):
    X, _, _ = multilabel_data
    est = fp32_model
    fp32 = est.predict_proba(X)
    float_module = est.module_
    seen = []
    try:
        int8 = est.set_params(precision="int8").predict_proba(X)  # exports (traces) the encoder
        handle = torch.nn.modules.module.register_module_forward_hook(
            lambda module, args, out: seen.append(type(module)))
        try:
            again = est.predict_proba(X)                          # the cached int8 copy
        finally:
            handle.remove()
    finally:
        est.set_params(precision="fp32")
    assert OnnxRuntimeEncoder in seen and torch.nn.Linear in seen   # int8 encoder, float head
    assert TextEncoder not in seen
    assert est.module_ is float_module                              # the fitted module is kept
    assert not np.array_equal(int8, fp32)
    np.testing.assert_allclose(int8, fp32, atol=0.03)
    np.testing.assert_array_equal(again, int8)


def test_auto_prediction_on_cpu_is_as_documented(fp32_model, multilabel_data, monkeypatch):
    X, _, _ = multilabel_data
    exports = []
    monkeypatch.setattr(_onnx, "int8_encoder", lambda *args: exports.append(1))
    with torch.no_grad():
        fp32_model.module_.head.weight.add_(0)  # a new weights version: no cached copy
    auto = fp32_model.set_params(precision="auto").predict_proba(X)
    fp32 = fp32_model.set_params(precision="fp32").predict_proba(X)
    np.testing.assert_array_equal(auto, fp32)
    assert exports == []                                  # no int8 encoder built
    assert ('``"auto"`` is bf16 on GPUs and fp32 on CPUs'
            in " ".join(FineTunedEmotionClassifier.__doc__.split()))


def test_an_encoder_onnx_cannot_export_fails_int8_prediction_clearly(
        fp32_model, multilabel_data, monkeypatch):
    X, _, _ = multilabel_data

    def refuse(encoder, tokenizer):
        raise RuntimeError("unsupported operator aten::frobnicate")

    monkeypatch.setattr(_onnx, "int8_encoder", refuse)
    with torch.no_grad():
        fp32_model.module_.head.weight.add_(0)  # a new weights version: no cached copy
    try:
        with pytest.raises(ValueError, match="int8' could not export.*aten::frobnicate"):
            fp32_model.set_params(precision="int8").predict_proba(X)
    finally:
        fp32_model.set_params(precision="fp32")


def test_int8_and_auto_fits_train_in_fp32_on_cpu(multilabel_data):
    X, Y, _ = multilabel_data
    # No validation split: the epoch kept cannot depend on int8 validation scores.
    fp32_model = FineTunedEmotionClassifier(**tiny_params(precision="fp32",
                                                          validation_fraction=None)).fit(X, Y)
    for precision in ("int8", "auto"):
        est = FineTunedEmotionClassifier(**tiny_params(precision=precision,
                                                       validation_fraction=None)).fit(X, Y)
        for ours, theirs in zip(est.module_.parameters(), fp32_model.module_.parameters()):
            torch.testing.assert_close(ours, theirs, rtol=0, atol=0)


def test_thresholds_are_tuned_on_float32_probabilities_where_prediction_is_int8(
        multilabel_data, monkeypatch):
    X, Y, _ = multilabel_data
    params = dict(threshold="tuned", validation_fraction=0.25)
    fp32 = FineTunedEmotionClassifier(**tiny_params(**params, precision="fp32")).fit(X, Y)
    exports = []
    real = _onnx.int8_encoder
    monkeypatch.setattr(_onnx, "int8_encoder",
                        lambda *args: exports.append(1) or real(*args))
    int8 = FineTunedEmotionClassifier(**tiny_params(**params, precision="int8")).fit(X, Y)
    assert exports == [] and int8.precision == "int8"   # no int8 pass in fit
    np.testing.assert_array_equal(int8.thresholds_, fp32.thresholds_)
    valid = [X[i] for i in int8.validation_indices_]
    assert not np.array_equal(int8.predict_proba(valid), fp32.predict_proba(valid))
    assert exports == [1]                                # prediction itself is int8
    assert tuning_precision("int8", "cpu") == "fp32"
    assert tuning_precision("bf16", "cpu") == "bf16"


def test_int8_prediction_of_a_label_text_model_scores_new_labels(multilabel_data):
    X, Y, _ = multilabel_data
    est = SimilarityEmotionClassifier(**tiny_params(precision="fp32")).fit(X, Y)
    labels = {"joy": "feeling great happiness", "anger": "a strong feeling of annoyance"}
    fp32 = est.predict_proba(X, labels=labels)
    int8 = est.set_params(precision="int8").predict_proba(X, labels=labels)
    seen_labels = est.predict_proba(X)
    assert int8.shape == (len(X), 2) and seen_labels.shape == Y.shape
    np.testing.assert_allclose(int8, fp32, atol=0.05)
    np.testing.assert_allclose(seen_labels,
                               est.set_params(precision="fp32").predict_proba(X), atol=0.05)


def test_precision_set_after_fit_applies_to_the_next_prediction(fp32_model, multilabel_data):
    X, _, _ = multilabel_data
    est = fp32_model
    fp32 = est.predict_proba(X)
    calls = []
    handle = est.module_.head.register_forward_hook(
        lambda module, args, out: calls.append(out.dtype))
    est.set_params(precision="bf16")
    bf16 = est.predict_proba(X)
    handle.remove()
    est.set_params(precision="fp32")
    assert set(calls) == {torch.bfloat16}
    assert not np.array_equal(bf16, fp32)
    np.testing.assert_allclose(bf16, fp32, atol=0.03)


def test_bf16_training_stays_close_to_fp32(fp32_model, multilabel_data):
    X, Y, _ = multilabel_data
    bf16 = FineTunedEmotionClassifier(**tiny_params(precision="bf16")).fit(X, Y)
    assert all(p.dtype == torch.float32 for p in bf16.module_.parameters())  # master weights
    np.testing.assert_allclose(bf16.predict_proba(X), fp32_model.predict_proba(X), atol=0.1)


def test_int8_prediction_of_a_lora_model_folds_the_adapters_in():
    pytest.importorskip("peft")
    X = ["i am happy", "so sad today", "great news", "awful day"] * 4
    y = ["joy", "sadness", "joy", "sadness"] * 4
    clf = FineTunedEmotionClassifier(**tiny_params(lora_r=2, max_epochs=1,
                                                   random_state=0)).fit(X, y)
    fp32 = clf.set_params(precision="fp32").predict_proba(X)
    int8 = clf.set_params(precision="int8").predict_proba(X)
    np.testing.assert_allclose(int8, fp32, atol=0.05)
    assert hasattr(clf.module_.encoder.backbone, "merge_and_unload")  # the fit's model keeps LoRA


def test_int8_prediction_of_a_label_text_model_keeps_its_per_label_offsets(multilabel_data):
    X, Y, names = multilabel_data
    est = SimilarityEmotionClassifier(**tiny_params(label_names=names)).fit(X, Y)
    with torch.no_grad():
        est.module_.offset.copy_(torch.tensor([0.1, 0.3, 0.6, 0.9]))
    fp32 = est.predict_proba(X)
    int8 = est.set_params(precision="int8").predict_proba(X)
    np.testing.assert_allclose(int8, fp32, atol=0.01)  # the mean offset was 0.12 away


@pytest.mark.parametrize("precision", ["auto", "int8"])
def test_scores_of_a_text_do_not_depend_on_its_batch_or_the_thread_count(
        fp32_model, multilabel_data, precision):
    import copy

    X, _, _ = multilabel_data
    probes = list(X[:8])
    # 64 texts of mixed lengths, one of them long: with activations quantised per
    # batch, its large activations would coarsen the scale of every text beside it
    others = list(X[8:70]) + [" ".join(X[70:90])]
    est = fp32_model.set_params(precision=precision, batch_size=64)
    threads = torch.get_num_threads()
    try:
        alone = np.stack([est.predict_proba([text])[0] for text in probes])
        batched = np.stack([est.predict_proba(others[:i] + [text] + others[i:])[i]
                            for i, text in enumerate(probes)])
        torch.set_num_threads(1 if threads > 1 else 2)
        twin = copy.deepcopy(est)             # its own int8 copy, built at this thread count
        other_threads = twin.predict_proba(probes)
    finally:
        torch.set_num_threads(threads)
        est.set_params(precision="fp32", batch_size=tiny_params()["batch_size"])
    np.testing.assert_allclose(batched, alone, atol=1e-5, rtol=0)
    np.testing.assert_allclose(other_threads, alone, atol=1e-5, rtol=0)
