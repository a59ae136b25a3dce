"""The ``skemo`` command, run in-process through ``skemo.cli.main`` on a tiny random encoder."""

import io
import json
import re

import numpy as np
import pytest
from sklearn.utils import Bunch

import skemo
from skemo import all_estimators
from skemo.cli import _check_same_labels, estimator_class, main
from skemo.methods import METHOD_KEYS

TEXTS = ["Thank you so much, this made my day!", "I can't believe they did that.", "ok"]


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
    assert meta["class"] == "skemo.methods.finetuned:FineTunedEmotionClassifier"
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


# --------------------------------------------------------------- output and input formats
def test_version(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"skemo {skemo.__version__}\n"


def test_predict_top_k_and_threshold(model, capsys, monkeypatch):
    est = skemo.load(model)
    proba = est.predict_proba(TEXTS[:2])
    status, out, _ = run(capsys, ["predict", str(model), "--top-k", "3"],
                         "\n".join(TEXTS[:2]) + "\n", monkeypatch)
    assert status == 0
    for line, row in zip(out.splitlines(), proba):
        record = json.loads(line)
        top = np.argsort(-row)[:3]
        assert record["labels"] == [est.label_names_[j] for j in top]
        np.testing.assert_allclose(record["scores"], row[top], atol=1e-4)
    status, out, _ = run(capsys, ["predict", str(model), "--threshold", "0.05"],
                         TEXTS[0] + "\n", monkeypatch)
    expected = [est.label_names_[j] for j in np.argsort(-proba[0]) if proba[0, j] >= 0.05]
    assert json.loads(out)["labels"] == expected


@pytest.mark.parametrize("argv, message", [
    (["--top-k", "0"], "expected a positive integer or 'all'"),
    (["--threshold", "2"], "expected a number in [0, 1]"),
    (["--threshold", "high"], "expected a number in [0, 1] or 'tuned'"),
])
def test_bad_top_k_and_threshold_are_usage_errors(model, argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["predict", str(model), *argv])
    assert exit_info.value.code == 2 and message in capsys.readouterr().err


def test_predict_jsonl_in_csv_out(model, tmp_path, capsys):
    source = tmp_path / "in.jsonl"
    source.write_text('{"text": "joy", "id": 1}\n\n"fear, again"\n', encoding="utf-8")
    target = tmp_path / "out.csv"
    status, out, _ = run(capsys, ["predict", str(model), "--input", str(source),
                                  "--output", str(target)])
    assert status == 0 and out == ""
    import csv

    rows = list(csv.reader(target.open(encoding="utf-8")))
    est = skemo.load(model)
    assert rows[0] == ["text", "labels", *est.label_names_]
    assert [r[0] for r in rows[1:]] == ["joy", "fear, again"]
    proba = est.predict_proba(["joy", "fear, again"])
    np.testing.assert_allclose([[float(v) for v in r[2:]] for r in rows[1:]], proba, atol=1e-4)
    for row, expected in zip(rows[1:], proba):
        labels = [n for n, p in sorted(zip(est.label_names_, expected), key=lambda t: -t[1])
                  if p >= 0.3]
        assert row[1] == ";".join(labels)


def test_predict_csv_in_with_a_named_column(model, tmp_path, capsys):
    source = tmp_path / "in.csv"
    source.write_text('id,comment\n1,"so happy, really"\n2,sad\n', encoding="utf-8")
    status, out, _ = run(capsys, ["predict", str(model), "--input", str(source),
                                  "--text-field", "comment"])
    assert status == 0
    assert [json.loads(line)["text"] for line in out.splitlines()] == ["so happy, really", "sad"]


@pytest.mark.parametrize("name, content, message", [
    ("bad.jsonl", '{"text": "ok"}\n{"text": oops}\n', "bad.jsonl, line 2: not valid JSON"),
    ("bad.jsonl", '{"text": "ok"}\n\n{"body": "x"}\n',
     "bad.jsonl, line 3: expected a JSON string or an object with a string field 'text'"),
    ("bad.csv", "id,text\n1,ok\n2\n", "bad.csv, line 3: the row has fewer columns"),
    ("bad.csv", "id,body\n1,ok\n", "has no 'text' column"),
    ("bad.txt", b"fine\n\xff\xfe broken\n", "bad.txt, line 2: not valid UTF-8"),
])
def test_malformed_input_names_file_and_line(model, tmp_path, capsys, name, content, message):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    status, _, err = run(capsys, ["predict", str(model), "--input", str(path)])
    assert status == 2 and err.count("\n") == 1
    assert message in err and str(tmp_path) in err


@pytest.mark.parametrize("name, content, line", [
    ("texts.txt", "joy\n\nfear\n", 2),
    ("texts.txt", "joy\nfear\n \t \n", 3),
    ("texts.jsonl", '{"text": "joy"}\n\n{"text": "  "}\n', 3),
    ("texts.csv", 'id,text\n1,joy\n2,""\n', 3),
])
def test_a_blank_text_is_refused_naming_its_line(model, tmp_path, capsys, name, content,
                                                 line):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    status, out, err = run(capsys, ["predict", str(model), "--input", str(path)])
    assert status == 2 and out == ""
    assert err == (f"skemo predict: error: {path}, line {line}: the text is blank; give one "
                   "text per line, or pass --skip-blank to leave blank texts out.\n")


def test_skip_blank_leaves_blank_texts_out_and_says_where(model, capsys, monkeypatch):
    stdin = "joy\n\nfear\n   \n"
    status, out, err = run(capsys, ["predict", str(model), "--skip-blank"], stdin,
                           monkeypatch)
    assert status == 0
    assert [json.loads(line)["text"] for line in out.splitlines()] == ["joy", "fear"]
    assert err == "skemo predict: skipped 2 blank text(s), on line(s) 2, 4\n"
    status, out, err = run(capsys, ["predict", str(model), "--skip-blank", "-q"], stdin,
                           monkeypatch)
    assert status == 0 and len(out.splitlines()) == 2 and err == ""
    status, _, err = run(capsys, ["predict", str(model), "--skip-blank"], "\n \n",
                         monkeypatch)
    assert status == 2 and "no texts to predict" in err


def test_predict_on_a_chosen_device(model, capsys, monkeypatch):
    status, out, _ = run(capsys, ["predict", str(model), "--device", "cpu"], "hi\n", monkeypatch)
    assert status == 0 and json.loads(out)["text"] == "hi"
    status, _, err = run(capsys, ["predict", str(model), "--device", "tpu"], "hi\n",
                         monkeypatch)
    assert status == 2 and "tpu" in err


# --------------------------------------------------------------- errors
def test_out_pointing_at_a_file_is_refused_before_training(tiny_encoder, tmp_path, capsys,
                                                           monkeypatch):
    out = tmp_path / "taken.txt"
    out.write_text("keep me")
    monkeypatch.setattr("skemo.cli.load_data", lambda *a: pytest.fail("data was loaded"))
    status, _, err = run(capsys, fit_args(tiny_encoder, out))
    assert status == 2 and "is an existing file" in err
    assert out.read_text() == "keep me"
    other = tmp_path / "notes"
    other.mkdir()
    (other / "a.txt").write_text("x")
    status, _, err = run(capsys, fit_args(tiny_encoder, other))
    assert status == 2 and "not a skemo save" in err


def test_unknown_param_and_unavailable_device_are_user_errors(tiny_encoder, tmp_path, capsys,
                                                              monkeypatch):
    monkeypatch.setattr("skemo.cli._subset", lambda *a: pytest.fail("training started"))
    status, _, err = run(capsys, fit_args(tiny_encoder, tmp_path / "m", "finetuned",
                                          "--param", "no_such_thing=1"))
    assert status == 2 and "does not take these parameters" in err and "no_such_thing" in err
    monkeypatch.setattr("torch.cuda.is_available", lambda: False)
    status, _, err = run(capsys, fit_args(tiny_encoder, tmp_path / "m", "finetuned",
                                          "--param", "device=cuda"))
    assert status == 2 and err.count("\n") == 1 and "cuda" in err


@pytest.mark.parametrize("error", [TypeError("bug"), KeyError("bug")])
def test_an_internal_bug_keeps_its_traceback(model, error, monkeypatch):
    def broken(*args, **kwargs):
        raise error

    monkeypatch.setattr("skemo.cli.load_model", broken)
    with pytest.raises(type(error)):
        main(["predict", str(model)])


def test_quiet_prints_no_summary(tiny_encoder, tmp_path, capsys):
    status, out, err = run(capsys, fit_args(tiny_encoder, tmp_path / "q", "finetuned", "-q"))
    assert status == 0 and out == "" and "Warning" not in err
    assert (tmp_path / "q" / "README.md").read_text().count("go_emotions") == 1


def test_piping_into_head_ends_quietly(model, tmp_path):
    import subprocess
    import sys

    texts = "".join(f"text number {i}\n" for i in range(1100))  # > one chunk of 1024
    pipeline = (f"{sys.executable} -m skemo.cli predict {model} --device cpu -q "
                f"| head -n 2")
    done = subprocess.run(["bash", "-o", "pipefail", "-c", pipeline], input=texts,
                          capture_output=True, text=True, timeout=900)
    assert len(done.stdout.splitlines()) == 2
    assert "Broken pipe" not in done.stderr and "BrokenPipeError" not in done.stderr
    assert done.returncode == 0, done.stderr


def test_a_malformed_dataset_file_names_file_and_line(tmp_path, capsys):
    folder = tmp_path / "goemotions" / "original"
    folder.mkdir(parents=True)
    (folder / "train.tsv").write_text("good text\t1\tid1\nbad text\t1,x\tid2\n",
                                      encoding="utf-8")
    status, _, err = run(capsys, ["fit", "--method", "finetuned", "--data", "goemotions",
                                  "--data-home", str(tmp_path), "--out", str(tmp_path / "m")])
    assert status == 2 and err.count("\n") == 1
    assert f"{folder / 'train.tsv'}, line 2: expected a text" in err
