"""skemo.hub and the model card: local round trips, and the Hub at huggingface_hub's boundary.

The Hub is never reached: downloads come from a Hub cache laid out as
``huggingface_hub`` lays it out (offline mode, set in conftest), or from a
patched ``snapshot_download``; uploads go to a patched ``create_repo`` /
``upload_folder``.
"""

import os
import re
import shutil

import numpy as np
import pytest

import skemo
from skemo import FineTunedEmotionClassifier, TACOClassifier
from skemo.hub import from_pretrained, is_hub_id, resolve_model_path
from skemo.model_card import model_card

from .conftest import LABELS, tiny_params

COMMIT = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture(scope="module")
def fitted(multilabel_data):
    X, Y, names = multilabel_data
    return FineTunedEmotionClassifier(**tiny_params(label_names=names, threshold="tuned")).fit(X, Y)


@pytest.fixture(scope="module")
def saved(fitted, tmp_path_factory):
    path = tmp_path_factory.mktemp("hub") / "model"
    fitted.save_pretrained(path, datasets=["goemotions"], metrics={"test micro-F1": 0.5})
    return path


def hub_cache(root, repo_id, save):
    """A huggingface_hub cache holding ``save`` as ``repo_id`` at COMMIT (branch main)."""
    repo = root / f"models--{repo_id.replace('/', '--')}"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(COMMIT)
    shutil.copytree(save, repo / "snapshots" / COMMIT)
    return root


def test_save_pretrained_writes_a_model_card_with_hub_metadata(fitted, saved):
    card = (saved / "README.md").read_text()
    front = card.split("---")[1]
    assert "library_name: skemo" in front and "pipeline_tag: text-classification" in front
    assert '- "google-research-datasets/go_emotions"' in front
    assert [line[3:-1] for line in front.splitlines() if line.startswith('- "')][-4:] == LABELS
    for name, threshold in zip(LABELS, fitted.thresholds_):
        assert f"| {name} | {threshold:.4f} |" in card
    assert "| `max_epochs` | `2` |" in card and "| `threshold` | `tuned` |" in card
    for epoch in fitted.history_:
        assert f"{epoch['valid_f1_macro']:.4f}" in card
    assert "| test micro-F1 | 0.5000 |" in card
    assert "Training data goemotions: apache-2.0." in card
    assert 'skemo.load("path/to/model")' in card


def test_the_default_encoder_card_names_its_license():
    clf = FineTunedEmotionClassifier()
    clf.label_names_, clf.multilabel_, clf.thresholds_ = ["joy", "fear"], True, None
    card = model_card(clf, model_id="org/joy-fear")
    assert "license: apache-2.0" in card
    assert 'base_model: "sentence-transformers/all-MiniLM-L6-v2"' in card
    assert 'skemo.load("org/joy-fear")' in card and "| joy | — |" in card


def test_every_save_writes_the_card(fitted, tmp_path):
    fitted.save(tmp_path / "m")
    assert (tmp_path / "m" / "README.md").read_text().startswith("---\nlibrary_name: skemo\n")


def test_from_pretrained_local_directory_round_trip(fitted, saved, multilabel_data):
    X = multilabel_data[0][:20]
    same = FineTunedEmotionClassifier.from_pretrained(saved)
    np.testing.assert_array_equal(same.predict_proba(X), fitted.predict_proba(X))
    np.testing.assert_array_equal(same.thresholds_, fitted.thresholds_)
    with pytest.raises(TypeError, match="holds a FineTunedEmotionClassifier, not a TACO"):
        TACOClassifier.from_pretrained(saved)


def test_load_resolves_a_hub_id_from_the_hub_cache(fitted, saved, tmp_path, monkeypatch,
                                                   multilabel_data):
    cache = hub_cache(tmp_path / "cache", "skemo-org/tiny", saved)
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    X = multilabel_data[0][:10]
    by_id = from_pretrained("skemo-org/tiny", cache_dir=cache)
    np.testing.assert_array_equal(by_id.predict_proba(X), fitted.predict_proba(X))
    by_commit = FineTunedEmotionClassifier.from_pretrained("skemo-org/tiny", revision=COMMIT,
                                                           cache_dir=cache)
    assert by_commit.label_names_ == LABELS
    import huggingface_hub.constants as constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    assert skemo.load("skemo-org/tiny").label_names_ == LABELS


def test_hub_arguments_reach_snapshot_download(saved, monkeypatch):
    calls = []

    def snapshot_download(repo_id, **kwargs):
        calls.append((repo_id, kwargs))
        return str(saved)

    monkeypatch.setattr("huggingface_hub.snapshot_download", snapshot_download)
    from_pretrained("org/name", revision="v1", token="hf_x", cache_dir="/c", device="cpu")
    repo_id, kwargs = calls[0]
    assert repo_id == "org/name"
    assert (kwargs["revision"], kwargs["token"], kwargs["cache_dir"]) == ("v1", "hf_x", "/c")
    assert kwargs["library_name"] == "skemo"


def test_offline_and_not_cached_says_so(tmp_path):
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    with pytest.raises(OSError, match=r"cannot load 'nobody/nothing': there is no local "
                                      r"directory of that name, and it is not in the Hugging "
                                      r"Face Hub cache while downloads are off"):
        skemo.load("nobody/nothing")
    with pytest.raises(OSError, match="at revision 'v2'"):
        resolve_model_path("nobody/nothing", revision="v2", cache_dir=tmp_path)


def test_hub_errors_are_translated(monkeypatch):
    from types import SimpleNamespace

    from huggingface_hub.errors import RepositoryNotFoundError

    response = SimpleNamespace(headers={}, request=None, status_code=404)

    def missing(repo_id, **kwargs):
        raise RepositoryNotFoundError("404", response=response)

    monkeypatch.setattr("huggingface_hub.snapshot_download", missing)
    with pytest.raises(OSError, match="no such Hub repository, or it is private"):
        from_pretrained("org/private")


@pytest.mark.parametrize("name, expected", [
    ("org/name", True), ("my-org/model.v2", True), ("org/name/extra", False),
    ("./model", False), ("../a", False), ("model", False), ("/abs/path", False),
])
def test_is_hub_id(name, expected):
    assert is_hub_id(name) is expected


def test_a_missing_path_that_is_no_hub_id_is_a_value_error(tmp_path):
    with pytest.raises(ValueError, match="is not a directory, and not a Hugging Face Hub id"):
        resolve_model_path(tmp_path / "missing" / "deeper" / "model")


def test_push_to_hub_creates_the_repo_and_uploads_a_full_save(fitted, monkeypatch):
    seen = {}

    def create_repo(repo_id, **kwargs):
        seen["create"] = (repo_id, kwargs)

    def upload_folder(**kwargs):
        folder = kwargs["folder_path"]
        seen["files"] = sorted(str(p.relative_to(folder)) for p in folder.rglob("*")
                               if p.is_file())
        seen["card"] = (folder / "README.md").read_text()
        seen["upload"] = kwargs
        return "commit-info"

    monkeypatch.setattr("huggingface_hub.create_repo", create_repo)
    monkeypatch.setattr("huggingface_hub.upload_folder", upload_folder)
    result = fitted.push_to_hub("me/tiny", private=True, token="hf_t",
                                card={"datasets": ["goemotions"], "model_id": "me/tiny"})
    assert result == "commit-info"
    assert seen["create"] == ("me/tiny", {"token": "hf_t", "private": True,
                                          "repo_type": "model", "exist_ok": True})
    assert {"skemo.json", "encoder/config.json", "model.safetensors",
            "README.md"} <= set(seen["files"])
    assert any(f.startswith("tokenizer/") for f in seen["files"])
    assert seen["upload"]["repo_id"] == "me/tiny" and seen["upload"]["token"] == "hf_t"
    assert seen["upload"]["commit_message"] == "Upload FineTunedEmotionClassifier with skemo"
    assert 'skemo.load("me/tiny")' in seen["card"]
    with pytest.raises(ValueError, match="'org/name'"):
        fitted.push_to_hub("not a repo id")


def test_predict_label_scores_follow_the_pipeline_format(fitted, multilabel_data):
    X = multilabel_data[0][:12]
    proba, predicted = fitted.predict_proba(X), fitted.predict(X)
    picked = fitted.predict_label_scores(X)
    for row, labels, scored in zip(proba, predicted, picked):
        assert sorted(item["label"] for item in scored) == sorted(
            LABELS[j] for j in np.flatnonzero(labels))
        scores = [item["score"] for item in scored]
        assert scores == sorted(scores, reverse=True)
        assert all(item["score"] == pytest.approx(float(row[LABELS.index(item["label"])]))
                   for item in scored)
    top2 = fitted.predict_label_scores(X, top_k=2)
    for row, scored in zip(proba, top2):
        assert [item["label"] for item in scored] == [LABELS[j] for j in np.argsort(-row)[:2]]
    assert all(len(scored) == 4 for scored in fitted.predict_label_scores(X, top_k="all"))
    for bad in (0, -1, 1.5, True, "some"):
        with pytest.raises(ValueError, match="top_k must be None, a positive int or 'all'"):
            fitted.predict_label_scores(X, top_k=bad)


def test_predict_label_scores_single_label_gives_the_argmax(single_labels):
    X, y = single_labels
    clf = FineTunedEmotionClassifier(**tiny_params(max_epochs=1)).fit(X, y)
    scored = clf.predict_label_scores(X[:6])
    assert [s[0]["label"] for s in scored] == list(clf.predict(X[:6]))
    assert all(len(s) == 1 for s in scored)


def test_card_title_and_tags_name_the_method(fitted):
    card = model_card(fitted)
    assert re.search(r'^- "finetuned"$', card, re.M)
    assert '- "multi-label-classification"' in card
