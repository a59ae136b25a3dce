"""Bundled models: package_pretrained / load_bundled round trips, and skemo.pretrained."""

import json

import numpy as np
import pytest

import skemo
from skemo import FineTunedEmotionClassifier
from skemo.hub import PRETRAINED_MODELS, _bundled_dir, load_bundled, package_pretrained
from skemo.persistence import write_manifest
from skemo.thresholds import apply_thresholds

from .conftest import tiny_params

pytest.importorskip("peft")


@pytest.fixture(scope="module")
def lora_model(multilabel_data):
    """MiniLM (the default encoder) with rank-2 LoRA adapters, fitted for one epoch."""
    X, Y, names = multilabel_data
    clf = FineTunedEmotionClassifier(label_names=names, lora_r=2, max_epochs=1, max_length=24,
                                     batch_size=32, threshold="tuned", random_state=0,
                                     precision="fp32")
    return clf.fit(X[:64], Y[:64])


def test_package_and_load_round_trip(lora_model, multilabel_data, tmp_path):
    X = multilabel_data[0][64:80]
    size = package_pretrained(lora_model, "goemotions", directory=tmp_path / "bundle",
                              datasets=["goemotions"])
    files = sorted(p.name for p in (tmp_path / "bundle").iterdir())
    assert files == ["README.md", "adapters.safetensors", "history.json", "skemo.json"]
    assert size == sum(p.stat().st_size for p in (tmp_path / "bundle").iterdir())
    assert size < 1_000_000  # adapters and head only: MiniLM's 90 MB are not copied
    meta = json.loads((tmp_path / "bundle" / "skemo.json").read_text())
    assert meta["params"]["precision"] == "auto" and meta["params"]["lora_r"] == 2
    loaded = load_bundled(tmp_path / "bundle", device="cpu")
    assert loaded.label_names_ == lora_model.label_names_
    np.testing.assert_array_equal(loaded.thresholds_, lora_model.thresholds_)
    # Stored in bf16: the same network up to bf16 rounding of the trained weights.
    loaded.set_params(precision="fp32")
    np.testing.assert_allclose(loaded.predict_proba(X), lora_model.predict_proba(X), atol=2e-2)
    # fitted on an indicator matrix, the bundle answers in label names
    assert lora_model.predict(X).ndim == 2
    assert loaded.predict(X) == [[lora_model.label_names_[j] for j in np.flatnonzero(row)]
                                 for row in apply_thresholds(loaded.predict_proba(X),
                                                             loaded.thresholds_)]
    # The adapters are merged: a plain encoder, which saves and loads as one.
    assert loaded.lora_r is None and not hasattr(loaded.module_.encoder.backbone, "peft_config")
    loaded.save(tmp_path / "saved")
    again = skemo.load(tmp_path / "saved")
    np.testing.assert_array_equal(again.predict_proba(X), loaded.predict_proba(X))
    assert "library_name: skemo" in (tmp_path / "bundle" / "README.md").read_text()


def test_a_bundle_loaded_with_its_adapters_apart_packages_again_unchanged(lora_model,
                                                                         tmp_path):
    package_pretrained(lora_model, "goemotions", directory=tmp_path / "one")
    unmerged = load_bundled(tmp_path / "one", device="cpu", merge_adapters=False)
    assert unmerged.lora_r == 2 and hasattr(unmerged.module_.encoder.backbone, "peft_config")
    assert len(unmerged.history_) == 1  # restored: the card's per-epoch table
    unmerged.thresholds_ = np.full(len(unmerged.classes_), 0.3)  # e.g. tuned anew
    package_pretrained(unmerged, "goemotions", directory=tmp_path / "two")
    for name in ("adapters.safetensors", "history.json"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()
    again = json.loads((tmp_path / "two" / "skemo.json").read_text())
    assert again["thresholds"] == [0.3] * len(unmerged.classes_)
    assert "| 1 |" in (tmp_path / "two" / "README.md").read_text()


def test_package_refuses_a_trained_encoder(multilabel_data, tmp_path):
    X, Y, names = multilabel_data
    full = FineTunedEmotionClassifier(label_names=names, max_epochs=1, max_length=16,
                                      validation_fraction=None, random_state=0)
    full.fit(X[:32], Y[:32])
    with pytest.raises(ValueError, match="was trained; only models whose encoder is frozen"):
        package_pretrained(full, "goemotions", directory=tmp_path / "x")
    tiny = FineTunedEmotionClassifier(**tiny_params(label_names=names, max_epochs=1))
    tiny.fit(X[:32], Y[:32])
    with pytest.raises(ValueError, match="only models on the default encoder"):
        package_pretrained(tiny, "goemotions", directory=tmp_path / "y")


def test_bundled_weights_must_match_the_network(lora_model, tmp_path):
    from safetensors.torch import load_file, save_file

    package_pretrained(lora_model, "goemotions", directory=tmp_path / "b")
    weights = tmp_path / "b" / "adapters.safetensors"
    state = load_file(str(weights))
    state.pop(next(iter(state)))
    save_file(state, str(weights))
    with pytest.raises(ValueError, match="adapters.safetensors does not match the sha256"):
        load_bundled(tmp_path / "b")
    write_manifest(tmp_path / "b")  # hashes recorded anew: the network check still refuses
    with pytest.raises(ValueError, match="do not match the network"):
        load_bundled(tmp_path / "b")


def test_unknown_pretrained_name():
    with pytest.raises(ValueError, match="unknown pretrained model 'imdb'; skemo bundles "
                                         "'goemotions'"):
        skemo.pretrained("imdb")


@pytest.mark.skipif(not (_bundled_dir("goemotions") / "adapters.safetensors").is_file(),
                    reason="the bundled model is written by benchmarks/pretrained.py")
def test_the_bundled_goemotions_model_predicts_in_seconds():
    clf = skemo.pretrained("goemotions")
    assert set(PRETRAINED_MODELS) == {"goemotions"}
    assert len(clf.label_names_) == 28 and clf.label_names_[-1] == "neutral"
    assert clf.threshold == "tuned" and clf.thresholds_.shape == (28,)
    assert np.all((clf.thresholds_ > 0) & (clf.thresholds_ < 1))
    texts = ["Thank you so much, this made my day!", "I am so angry right now.",
             "This is hilarious lol", "I'm really scared of what happens next."]
    predicted = clf.predict(texts)
    assert "gratitude" in predicted[0]
    assert "anger" in predicted[1] or "annoyance" in predicted[1]
    assert "amusement" in predicted[2]
    assert "fear" in predicted[3] or "nervousness" in predicted[3]
    top = clf.predict_label_scores(texts[:1], top_k=1)[0][0]
    assert top["label"] == "gratitude" and top["score"] > 0.5
    size = sum(p.stat().st_size for p in _bundled_dir("goemotions").iterdir() if p.is_file())
    assert size <= 10_000_000
