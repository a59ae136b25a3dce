"""save/load: safetensors and JSON only, validated on the way in."""

import json

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


@pytest.fixture(scope="module")
def saved(tmp_path_factory, label_lists):
    X, y = label_lists
    est = FineTunedEmotionClassifier(**tiny_params(max_epochs=1)).fit(X, y)
    path = tmp_path_factory.mktemp("saved") / "model"
    est.save(path)
    return est, path, X


def test_files_are_json_and_safetensors_only(saved):
    _, path, _ = saved
    files = sorted(p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file())
    assert "model.safetensors" in files and "skemo.json" in files
    assert not [f for f in files if f.endswith((".pkl", ".pt", ".bin", ".joblib"))]
    meta = json.loads((path / "skemo.json").read_text())
    assert meta["class"] == "FineTunedEmotionClassifier"
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
    with pytest.raises(ValueError, match="truncated or mismatched"):
        skemo.load(copy)


def test_mismatched_label_count_is_refused(saved, tmp_path):
    _, path, _ = saved
    meta = json.loads((path / "skemo.json").read_text())
    meta["target"]["classes"].append("extra")
    meta["target"]["label_names"].append("extra")
    copy = copy_save(path, tmp_path / "bad")
    (copy / "skemo.json").write_text(json.dumps(meta))
    with pytest.raises(ValueError, match="truncated or mismatched"):
        skemo.load(copy)


def test_not_a_save_directory(tmp_path):
    with pytest.raises(ValueError, match="not a saved skemo estimator"):
        skemo.load(tmp_path)
