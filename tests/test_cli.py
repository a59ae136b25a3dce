"""The ``skemo`` command, run in-process through ``skemo.cli.main`` on a tiny random encoder."""

import io
import json
import re

import numpy as np
import pytest
from sklearn.utils import Bunch
from transformers import AutoModel

import skemo
from skemo import DEFAULT_ENCODER, all_estimators
from skemo.cli import _check_same_labels, estimator_class, main
from skemo.methods import METHOD_KEYS
from skemo.nn.encoder import load_tokenizer

from .conftest import tiny_bert

TEXTS = ["Thank you so much, this made my day!", "I can't believe they did that.", ""]


@pytest.fixture(scope="module")
def tiny_encoder(tmp_path_factory):
    """A directory holding a tiny random BERT and MiniLM's tokenizer, as --encoder takes."""
    path = tmp_path_factory.mktemp("tiny-encoder")
    AutoModel.from_config(tiny_bert()).save_pretrained(path)
    load_tokenizer(DEFAULT_ENCODER).save_pretrained(path)
    return str(path)


def fit_args(encoder, out, method="finetuned", *extra):
    return ["fit", "--method", method, "--data", "goemotions_sample", "--train-size", "64",
            "--epochs", "1", "--max-length", "32", "--batch-size", "16",
            "--encoder", encoder, "--out", str(out), *extra]


@pytest.fixture(scope="module")
def model(tiny_encoder, tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "model"
    assert main(fit_args(tiny_encoder, out, "finetuned", "--param", "threshold=0.3")) == 0
    return out


def run(capsys, argv, stdin=None, monkeypatch=None):
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    status = main(argv)
    out, err = capsys.readouterr()
    return status, out, err


def test_fit_saves_the_method_with_its_parameters(model):
    meta = json.loads((model / "skemo.json").read_text())
    assert meta["class"] == "FineTunedEmotionClassifier"
    assert meta["params"]["threshold"] == 0.3
    assert meta["params"]["max_epochs"] == 1 and meta["params"]["max_length"] == 32
    assert len(meta["target"]["label_names"]) == 28


def test_fit_prints_one_summary_line(tiny_encoder, tmp_path, capsys):
    status, out, _ = run(capsys, fit_args(tiny_encoder, tmp_path / "taco", "taco"))
    assert status == 0
    # iterative stratification draws about --train-size texts, not always exactly
    match = re.fullmatch(r"saved TACOClassifier \(28 labels, 1 epochs on (\d+) texts\) "
                         r"to (.*)\n", out)
    assert 60 <= int(match[1]) <= 64 and match[2] == str(tmp_path / "taco")
    assert skemo.load(tmp_path / "taco").predict_proba(["hello"]).shape == (1, 28)


@pytest.mark.parametrize("method", METHOD_KEYS)
def test_every_method_key_names_its_estimator_and_module(method):
    klass = estimator_class(method)
    assert klass in dict(all_estimators()).values()
    assert klass.method_key == method
    assert klass.__module__ == f"skemo.methods.{method}"


def test_every_estimator_has_a_method_key():
    assert sorted(k.method_key for _, k in all_estimators()) == sorted(METHOD_KEYS)


def test_predict_writes_one_json_line_per_text(model, capsys, monkeypatch):
    status, out, _ = run(capsys, ["predict", str(model)], "\n".join(TEXTS) + "\n",
                         monkeypatch)
    assert status == 0
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["text"] for r in records] == TEXTS
    est = skemo.load(model)
    expected = est.predict_proba(TEXTS)
    for record, row in zip(records, expected):
        assert list(record["probabilities"]) == est.label_names_
        np.testing.assert_allclose(list(record["probabilities"].values()), row, atol=1e-4)
        assert record["labels"] == [name for name, p in zip(est.label_names_, row) if p >= 0.3]


def test_predict_reads_an_input_file(model, tmp_path, capsys):
    path = tmp_path / "texts.txt"
    path.write_text("joy\r\nfear\n", encoding="utf-8")
    status, out, _ = run(capsys, ["predict", str(model), "--input", str(path)])
    assert status == 0
    assert [json.loads(line)["text"] for line in out.splitlines()] == ["joy", "fear"]


def test_evaluate_prints_the_emotion_report(model, capsys):
    status, out, _ = run(capsys, ["evaluate", str(model), "--data", "goemotions_sample",
                                  "--split", "test", "--digits", "2"])
    assert status == 0
    assert out.startswith("macro-F1: ")
    assert "admiration" in out and "jaccard (samples):" in out


def test_evaluate_refuses_other_labels(model):
    est = skemo.load(model)
    other = Bunch(target=np.zeros((2, 3), dtype=int), target_names=["a", "b", "c"])
    with pytest.raises(ValueError, match="not the labels of other"):
        _check_same_labels(est, other, "other")


@pytest.mark.parametrize("argv, message", [
    (["predict", "/no/such/model"], "is not a saved skemo estimator"),
    (["evaluate", "/no/such/model", "--data", "goemotions_sample"], "is not a saved"),
    (["fit", "--method", "svm", "--data", "goemotions_sample", "--out", "x"],
     "unknown method 'svm'"),
    (["fit", "--method", "finetuned", "--data", "imdb", "--out", "x"], "unknown dataset"),
    (["fit", "--method", "finetuned", "--data", "goemotions_sample", "--out", "x",
      "--data-home", "/tmp"], "--data-home does not apply"),
    (["fit", "--method", "finetuned", "--data", "goemotions_sample", "--out", "x",
      "--split", "validation"], "validation"),
    (["fit", "--method", "finetuned", "--data", "goemotions_sample", "--out", "x",
      "--epochs", "-1"], "max_epochs"),
])
def test_errors_are_one_line_and_status_2(argv, message, capsys):
    status, out, err = run(capsys, argv)
    assert status == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith(f"skemo {argv[0]}: error: ")
    assert message in err


def test_predict_without_texts_is_an_error(model, capsys, monkeypatch):
    status, _, err = run(capsys, ["predict", str(model)], "", monkeypatch)
    assert status == 2 and "no texts to predict" in err


def test_bad_param_syntax_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["fit", "--method", "finetuned", "--data", "goemotions_sample", "--out", "x",
              "--param", "alpha"])
    assert exit_info.value.code == 2
    assert "expected KEY=VALUE" in capsys.readouterr().err
