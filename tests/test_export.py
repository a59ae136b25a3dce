"""skemo.export: transformers checkpoints and ONNX graphs that predict as the estimator does."""

import json

import numpy as np
import pytest

from skemo import FineTunedEmotionClassifier, TACOClassifier, all_estimators
from skemo.export import ONNXEmotionClassifier, export_onnx, export_transformers

from .conftest import LABELS, tiny_params

pytest.importorskip("onnxruntime")

#: Texts of very different lengths: batches padded to their longest, truncation at 64.
TEXTS = ["Thank you so much!", "", "no", "This is " + "really " * 80 + "annoying.",
         "I miss you and I hope you are doing well, it has been a while since we talked."]


@pytest.fixture(scope="module")
def texts(multilabel_data):
    return list(multilabel_data[0][:40]) + TEXTS


@pytest.mark.parametrize("name, klass", all_estimators())
def test_onnx_probabilities_match_pytorch(name, klass, multilabel_data, texts, tmp_path):
    X, Y, names = multilabel_data
    clf = klass(**tiny_params(label_names=names, max_epochs=1, threshold=0.3)).fit(X, Y)
    export_onnx(clf, tmp_path / "onnx")
    onnx = ONNXEmotionClassifier(tmp_path / "onnx")
    with pytest.warns(UserWarning, match="truncated"):
        proba = onnx.predict_proba(texts)
    expected = clf.predict_proba(texts)
    assert proba.dtype == np.float32 and proba.shape == expected.shape
    np.testing.assert_allclose(proba, expected, atol=1e-4, rtol=0)
    np.testing.assert_array_equal(onnx.predict(texts), clf.predict(texts))  # indicator y


def test_onnx_keeps_tuned_thresholds_and_single_label(multilabel_data, single_labels, tmp_path):
    X, Y, names = multilabel_data
    clf = FineTunedEmotionClassifier(**tiny_params(label_names=names, threshold="tuned"))
    clf.fit(X, Y)
    export_onnx(clf, tmp_path / "tuned")
    meta = json.loads((tmp_path / "tuned" / "skemo_onnx.json").read_text())
    assert meta["threshold"] == "tuned"
    np.testing.assert_array_equal(meta["thresholds"], clf.thresholds_)
    onnx = ONNXEmotionClassifier(tmp_path / "tuned")
    np.testing.assert_array_equal(onnx.predict(X[:20]), clf.predict(X[:20]))
    X1, y1 = single_labels
    single = FineTunedEmotionClassifier(**tiny_params(max_epochs=1)).fit(X1, y1)
    export_onnx(single, tmp_path / "single")
    onnx = ONNXEmotionClassifier(tmp_path / "single")
    np.testing.assert_allclose(onnx.predict_proba(X1[:20]).sum(axis=1), 1, atol=1e-5)
    np.testing.assert_array_equal(onnx.predict(X1[:20]), single.predict(X1[:20]))


def test_onnx_predicts_the_kind_of_y_the_estimator_was_fitted_on(label_lists, tmp_path):
    X, y = label_lists
    clf = FineTunedEmotionClassifier(**tiny_params(max_epochs=1, threshold=0.3)).fit(X, y)
    export_onnx(clf, tmp_path / "lists")
    onnx = ONNXEmotionClassifier(tmp_path / "lists")
    assert onnx.predict(X[:20]) == clf.predict(X[:20])
    assert all(isinstance(labels, list) for labels in onnx.predict(X[:20]))


@pytest.mark.parametrize("extra", [{"pooling": "mean"}, {"pooling": "cls", "lora_r": 4}])
def test_transformers_pipeline_gives_skemo_probabilities(extra, multilabel_data, texts,
                                                         tmp_path):
    pytest.importorskip("peft")
    from transformers import AutoModelForSequenceClassification, pipeline

    X, Y, names = multilabel_data
    clf = FineTunedEmotionClassifier(**tiny_params(label_names=names, max_epochs=1, **extra))
    clf.fit(X, Y)
    path = export_transformers(clf, tmp_path / "hf")
    config = json.loads((path / "config.json").read_text())
    assert config["problem_type"] == "multi_label_classification"
    assert config["id2label"] == {str(i): name for i, name in enumerate(LABELS)}
    assert config["model_type"] == "skemo"  # no class of transformers' own: code or nothing
    assert config["auto_map"] == {
        "AutoConfig": "modeling_skemo.SkemoConfig",
        "AutoModelForSequenceClassification": "modeling_skemo.SkemoForSequenceClassification"}
    model = AutoModelForSequenceClassification.from_pretrained(path, trust_remote_code=True)
    assert type(model).__name__ == "SkemoForSequenceClassification"
    classify = pipeline("text-classification", model=str(path), trust_remote_code=True,
                        top_k=None, truncation=True, max_length=clf.max_length)
    rows = classify(texts)
    proba = np.array([[next(d["score"] for d in row if d["label"] == name) for name in names]
                      for row in rows])
    np.testing.assert_allclose(proba, clf.predict_proba(texts), atol=1e-5, rtol=0)


def test_transformers_export_does_not_load_without_its_code(multilabel_data, tmp_path,
                                                           monkeypatch):
    from transformers import (
        AutoConfig,
        AutoModelForSequenceClassification,
        dynamic_module_utils,
        pipeline,
    )

    monkeypatch.setattr(dynamic_module_utils, "TIME_OUT_REMOTE_CODE", 0)  # never prompt
    X, Y, names = multilabel_data
    clf = FineTunedEmotionClassifier(**tiny_params(label_names=names, max_epochs=1))
    path = export_transformers(clf.fit(X, Y), tmp_path / "hf")
    for load in (AutoConfig.from_pretrained, AutoModelForSequenceClassification.from_pretrained,
                 lambda path: pipeline("text-classification", model=str(path))):
        with pytest.raises(ValueError, match=r"trust_remote_code=True"):
            load(path)


def test_transformers_export_refuses_other_methods(multilabel_data, tmp_path):
    X, Y, names = multilabel_data
    clf = TACOClassifier(**tiny_params(label_names=names, max_epochs=1)).fit(X, Y)
    with pytest.raises(TypeError, match="exports the fine-tuned baseline"):
        export_transformers(clf, tmp_path / "taco")


def test_onnx_int8_export_quantises_the_weights_and_stays_close(multilabel_data, tmp_path):
    onnx_package = pytest.importorskip("onnx")
    X, Y, names = multilabel_data
    clf = FineTunedEmotionClassifier(**tiny_params(label_names=names, max_epochs=1)).fit(X, Y)
    export_onnx(clf, tmp_path / "fp32")
    export_onnx(clf, tmp_path / "int8", quantize=True)
    assert sorted(p.name for p in (tmp_path / "int8").iterdir()) == sorted(
        p.name for p in (tmp_path / "fp32").iterdir())
    graph = onnx_package.load(str(tmp_path / "int8" / "model.onnx")).graph
    assert {"DynamicQuantizeLinear", "MatMulInteger"} <= {node.op_type for node in graph.node}
    assert json.loads((tmp_path / "int8" / "skemo_onnx.json").read_text())["quantized"]
    int8 = ONNXEmotionClassifier(tmp_path / "int8").predict_proba(X)
    fp32 = ONNXEmotionClassifier(tmp_path / "fp32").predict_proba(X)
    difference = np.abs(int8 - fp32)
    assert 0 < difference.max() < 0.05  # quantised: not the fp32 graph, but close to it
