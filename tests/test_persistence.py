"""save/load: safetensors and JSON only, validated on the way in."""

import json
import re

import numpy as np
import pytest

import skemo
from skemo import FineTunedEmotionClassifier

from .conftest import tiny_params


def copy_save(path, dest):
    for f in path.rglob("*"):
        if f.is_file():
            target = dest / f.relative_to(path)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(f.read_bytes())
    return dest


def test_files_are_json_and_safetensors_only(saved):
    _, path, _ = saved
    files = sorted(p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file())
    assert "model.safetensors" in files and "skemo.json" in files
    assert not [f for f in files if f.endswith((".pkl", ".pt", ".bin", ".joblib"))]
    meta = json.loads((path / "skemo.json").read_text())
    assert meta["class"] == "skemo.methods.finetuned:FineTunedEmotionClassifier"
    assert meta["target"]["kind"] == "label_lists"


def test_load_restores_predictions_of_label_lists(saved):
    est, path, X = saved
    loaded = skemo.load(path)
    np.testing.assert_allclose(loaded.predict_proba(X), est.predict_proba(X), atol=1e-6)
    assert loaded.predict(X) == est.predict(X)


def test_truncated_weights_are_refused(saved, tmp_path):
    _, path, _ = saved
    copy = copy_save(path, tmp_path / "copy")
    data = (copy / "model.safetensors").read_bytes()
    (copy / "model.safetensors").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="model.safetensors does not match the sha256"):
        skemo.load(copy)
    meta = json.loads((copy / "skemo.json").read_text())
    del meta["sha256"]  # as saves before the hashes were recorded
    (copy / "skemo.json").write_text(json.dumps(meta))
    with pytest.raises(ValueError, match="truncated or mismatched"):
        skemo.load(copy)


def test_mismatched_label_count_is_refused(saved, tmp_path):
    _, path, _ = saved
    meta = json.loads((path / "skemo.json").read_text())
    meta["target"]["classes"].append("extra")
    meta["target"]["label_names"].append("extra")
    for key in ("thresholds", "temperatures"):
        if meta[key] is not None:
            meta[key].append(meta[key][-1])
    copy = copy_save(path, tmp_path / "bad")
    (copy / "skemo.json").write_text(json.dumps(meta))
    with pytest.raises(ValueError, match="truncated or mismatched"):
        skemo.load(copy)


def test_not_a_save_directory(tmp_path):
    with pytest.raises(ValueError, match="not a saved skemo estimator"):
        skemo.load(tmp_path)


# ----------------------------------------------------------- every parameter (item 3)
@pytest.mark.parametrize("name, params", [
    ("TACOClassifier", {"module__embedding_dim": 16, "criterion__temperature": 0.3}),
    ("FineTunedEmotionClassifier", {"module__dropout": 0.2, "optimizer__betas": (0.8, 0.9),
                                    "iterator_train__num_workers": 0}),
])
def test_prefixed_parameters_are_saved(name, params, multilabel_data, tmp_path):
    X, Y, _ = multilabel_data
    est = dict(skemo.all_estimators())[name](**tiny_params(max_epochs=1, **params))
    est.fit(X, Y).save(tmp_path / "m")
    meta = json.loads((tmp_path / "m" / "skemo.json").read_text())
    for key, value in params.items():
        assert meta["params"][key] == (list(value) if isinstance(value, tuple) else value)
    loaded = skemo.load(tmp_path / "m")
    for key in params:
        assert loaded.get_params()[key] == pytest.approx(params[key])
    np.testing.assert_array_equal(loaded.predict_proba(X), est.predict_proba(X))


@pytest.mark.parametrize("version", [0, 4, "2", None])
def test_unknown_format_version_is_refused(saved, tmp_path, version):
    _, path, _ = saved
    copy = copy_save(path, tmp_path / "v")
    meta = json.loads((copy / "skemo.json").read_text())
    meta["format_version"] = version
    (copy / "skemo.json").write_text(json.dumps(meta))
    with pytest.raises(ValueError, match=f"format_version {version!r}; this skemo reads"):
        skemo.load(copy)


def test_a_save_of_format_2_names_its_class_by_name_and_loads(saved, tmp_path):
    est, path, X = saved
    copy = copy_save(path, tmp_path / "v2")
    meta = json.loads((copy / "skemo.json").read_text())
    meta.update(format_version=2, **{"class": "FineTunedEmotionClassifier"})
    (copy / "skemo.json").write_text(json.dumps(meta))
    loaded = skemo.load(copy)
    assert type(loaded) is FineTunedEmotionClassifier
    np.testing.assert_allclose(loaded.predict_proba(X), est.predict_proba(X), atol=1e-6)


@pytest.mark.parametrize("name", [
    "collections:OrderedDict",  # importable, but no estimator
    "os:system",  # not a class
    "skemo.base:EmotionClassifierBase.fit",
    "no_such_package.module:Classifier",
    "skemo.methods.taco:NoSuchClassifier",
    "NoSuchClassifier",  # format 2: a bare name no estimator has
])
def test_a_class_that_is_no_skemo_estimator_is_refused(saved, tmp_path, name):
    _, path, _ = saved
    copy = copy_save(path, tmp_path / "c")
    meta = json.loads((copy / "skemo.json").read_text())
    meta["class"] = name
    if ":" not in name:
        meta["format_version"] = 2
    (copy / "skemo.json").write_text(json.dumps(meta))
    with pytest.raises(ValueError, match=re.escape(repr(name))):
        skemo.load(copy)


@pytest.mark.parametrize("key", ["class", "params", "pooling", "target", "thresholds"])
def test_a_missing_key_is_named(saved, tmp_path, key):
    """Item 17: a tampered skemo.json gives a ValueError naming the key, not a KeyError."""
    _, path, _ = saved
    copy = copy_save(path, tmp_path / "k")
    meta = json.loads((copy / "skemo.json").read_text())
    del meta[key]
    (copy / "skemo.json").write_text(json.dumps(meta))
    with pytest.raises(ValueError, match=f"the key '{key}' is missing"):
        skemo.load(copy)


# -------------------------------------------------------------- atomic saves (item 4)
def test_a_crash_mid_save_leaves_the_previous_save(saved, tmp_path, monkeypatch):
    est, path, X = saved
    target = copy_save(path, tmp_path / "model")
    before = {p: p.read_bytes() for p in target.rglob("*") if p.is_file()}
    from safetensors import torch as safetensors_torch

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(safetensors_torch, "save_model", crash)
    saved_threshold = est.threshold
    est.set_params(threshold=0.3)
    try:
        with pytest.raises(OSError, match="disk full"):
            est.save(target)
    finally:
        est.set_params(threshold=saved_threshold)
    assert {p: p.read_bytes() for p in target.rglob("*") if p.is_file()} == before
    assert [p.name for p in tmp_path.iterdir() if ".tmp-" in p.name] == []
    assert skemo.load(target).threshold == saved_threshold != 0.3


def test_concurrent_writers_take_turns(saved, tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    est, _, X = saved
    target = tmp_path / "shared"
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda _: est.save(target), range(8)))
    assert sorted(p.name for p in tmp_path.iterdir()) == [".shared.lock", "shared"]
    np.testing.assert_array_equal(skemo.load(target).predict_proba(X[:4]),
                                  est.predict_proba(X[:4]))


def test_looking_for_a_save_that_is_not_there_writes_nothing(tmp_path):
    from skemo.ensemble import is_ensemble_save

    with pytest.raises(ValueError, match="is not a saved skemo estimator"):
        skemo.load(tmp_path / "missing")
    assert not is_ensemble_save(tmp_path / "missing")
    assert list(tmp_path.iterdir()) == []   # no lock file beside a path that was only read


def dead_pid():
    import subprocess
    import sys

    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)
    return int(child.stdout)


def test_a_kill_between_the_renames_loses_nothing(saved, tmp_path):
    """The old save, moved aside by a writer killed before moving the new one in, comes back."""
    import socket

    est, path, X = saved
    aside = tmp_path / f".model.old-{socket.gethostname()}-{dead_pid()}-0123abcd"
    copy_save(path, aside)
    stale_tmp = tmp_path / f".model.tmp-{socket.gethostname()}-{dead_pid()}-4567abcd"
    stale_tmp.mkdir()
    loaded = skemo.load(tmp_path / "model")
    np.testing.assert_array_equal(loaded.predict_proba(X[:4]), est.predict_proba(X[:4]))
    est.save(tmp_path / "model")  # the next write cleans the dead writer's leftovers
    assert sorted(p.name for p in tmp_path.iterdir()) == [".model.lock", "model"]


def test_saving_over_a_directory_of_other_files_is_refused(saved, tmp_path):
    est, _, _ = saved
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="not a skemo save, which saving would delete"):
        est.save(tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert list(tmp_path.parent.glob(f".{tmp_path.name}.tmp-*")) == []  # new files deleted


# ------------------------------------------------ precision and device (items 11, 15)
def test_the_resolved_precision_is_saved(multilabel_data, tmp_path, monkeypatch):
    from skemo.persistence import resolved_precision
    from skemo.utils import _precision

    X, Y, _ = multilabel_data
    est = FineTunedEmotionClassifier(**tiny_params(max_epochs=1, precision="auto"))
    est.fit(X, Y).save(tmp_path / "m")
    saved_precision = json.loads((tmp_path / "m" / "skemo.json").read_text())["params"][
        "precision"]
    assert saved_precision == resolved_precision("auto", "cpu") == "fp32"
    expected = est.predict_proba(X)
    # a machine where "auto" would mean int8
    monkeypatch.setattr(_precision, "quantizes",
                        lambda precision, device: precision in ("auto", "int8"))
    assert resolved_precision("auto", "cpu") == "int8"
    loaded = skemo.load(tmp_path / "m")
    assert loaded.precision == saved_precision
    np.testing.assert_array_equal(loaded.predict_proba(X), expected)


def test_a_model_saved_on_cuda_loads_where_there_is_none(saved, tmp_path, monkeypatch):
    import torch

    est, path, X = saved
    copy = copy_save(path, tmp_path / "gpu")
    meta = json.loads((copy / "skemo.json").read_text())
    meta["params"]["device"] = "cuda"
    (copy / "skemo.json").write_text(json.dumps(meta))
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    loaded = skemo.load(copy)
    assert loaded.device == "auto" and loaded.device_ == "cpu"
    np.testing.assert_array_equal(loaded.predict_proba(X[:4]), est.predict_proba(X[:4]))
    assert skemo.load(copy, device="cpu").device == "cpu"


@pytest.mark.parametrize("device, message", [
    ("tpu", "is not one of 'auto', 'cpu'"),
    ("cuda", "CUDA is not available"),
])
def test_an_unusable_device_is_refused_at_fit(device, message, monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    est = FineTunedEmotionClassifier(**tiny_params(max_epochs=1, device=device))
    with pytest.raises(ValueError, match=message):
        est.fit(["a", "b"] * 10, ["joy", "fear"] * 10)
