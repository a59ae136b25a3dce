"""Loading never runs code it was not allowed to, never trusts tampered files, saving never
deletes what skemo did not write."""

import hashlib
import json
import re
import shutil

import numpy as np
import pytest

import skemo
from skemo import FineTunedEmotionClassifier

from .conftest import tiny_params

#: A module that announces its import by writing a marker file.
MARKER_CODE = '''from pathlib import Path

from transformers import BertConfig, BertModel

Path({marker!r}).write_text("custom code ran")


class MarkerConfig(BertConfig):
    model_type = "marker-bert"


class MarkerModel(BertModel):
    config_class = MarkerConfig
'''


def copy_save(path, dest):
    shutil.copytree(path, dest)
    return dest


def edit_metadata(path, edit):
    meta = json.loads((path / "skemo.json").read_text())
    edit(meta)
    (path / "skemo.json").write_text(json.dumps(meta))


# ------------------------------------------------------------------ custom code
def custom_code_encoder(tiny_encoder, tmp_path, file="config.json"):
    """A copy of the tiny encoder whose ``file`` names code that writes ``marker``."""
    directory = shutil.copytree(tiny_encoder, tmp_path / "custom-encoder")
    marker = tmp_path / "marker"
    (directory / "marker_code.py").write_text(MARKER_CODE.format(marker=str(marker)))
    config = json.loads((directory / file).read_text())
    if file == "config.json":
        config["model_type"] = "marker-bert"
        config["auto_map"] = {"AutoConfig": "marker_code.MarkerConfig",
                              "AutoModel": "marker_code.MarkerModel"}
    else:
        config["auto_map"] = {"AutoTokenizer": ["marker_code.MarkerTokenizer", None]}
    (directory / file).write_text(json.dumps(config))
    return directory, marker


@pytest.mark.parametrize("file", ["config.json", "tokenizer_config.json"])
def test_custom_code_is_refused_without_consent(file, tiny_encoder, multilabel_data, tmp_path,
                                                 monkeypatch):
    from transformers import dynamic_module_utils

    monkeypatch.setattr(dynamic_module_utils, "TIME_OUT_REMOTE_CODE", 0)  # never prompt
    X, Y, names = multilabel_data
    directory, marker = custom_code_encoder(tiny_encoder, tmp_path, file)
    clf = FineTunedEmotionClassifier(**tiny_params(encoder=str(directory), label_names=names,
                                                   max_epochs=1))
    message = (f"{directory / file} names custom code (auto_map), which loading would run; "
               "pass trust_remote_code=True if you trust it.")
    with pytest.raises(ValueError, match=re.escape(message)):
        clf.fit(X[:16], Y[:16])
    assert not marker.exists()


def test_custom_code_runs_with_consent(tiny_encoder, multilabel_data, tmp_path):
    X, Y, names = multilabel_data
    directory, marker = custom_code_encoder(tiny_encoder, tmp_path)
    clf = FineTunedEmotionClassifier(**tiny_params(encoder=str(directory), label_names=names,
                                                   max_epochs=1, trust_remote_code=True))
    clf.fit(X[:16], Y[:16])
    assert marker.read_text() == "custom code ran"
    assert type(clf.module_.encoder.backbone).__name__ == "MarkerModel"


def test_a_save_naming_custom_code_is_refused(saved, tmp_path):
    _, path, _ = saved
    copy = copy_save(path, tmp_path / "copy")
    config = json.loads((copy / "encoder" / "config.json").read_text())
    config["auto_map"] = {"AutoConfig": "marker_code.MarkerConfig"}
    (copy / "encoder" / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match=re.escape(
            f"{copy / 'encoder' / 'config.json'} names custom code (auto_map)")):
        skemo.load(copy)


def test_trust_remote_code_is_a_checked_parameter(multilabel_data):
    X, Y, names = multilabel_data
    assert FineTunedEmotionClassifier().trust_remote_code is False
    with pytest.raises(ValueError, match="'trust_remote_code' parameter"):
        FineTunedEmotionClassifier(**tiny_params(trust_remote_code="yes")).fit(X[:16], Y[:16])


# ------------------------------------------------------------------ integrity
def test_weight_hashes_are_recorded_and_checked(saved, tmp_path):
    _, path, _ = saved
    meta = json.loads((path / "skemo.json").read_text())
    digest = hashlib.sha256((path / "model.safetensors").read_bytes()).hexdigest()
    assert meta["sha256"] == {"model.safetensors": digest}
    copy = copy_save(path, tmp_path / "copy")
    data = bytearray((copy / "model.safetensors").read_bytes())
    data[-4:] = bytes(255 - b for b in data[-4:])  # one weight changed, the file still parses
    (copy / "model.safetensors").write_bytes(bytes(data))
    with pytest.raises(ValueError, match=re.escape(
            f"{copy / 'model.safetensors'} does not match the sha256 recorded in "
            f"{copy / 'skemo.json'}")):
        skemo.load(copy)


def test_saves_without_hashes_still_load(saved, tmp_path):
    est, path, X = saved
    copy = copy_save(path, tmp_path / "copy")
    edit_metadata(copy, lambda meta: meta.pop("sha256"))
    np.testing.assert_array_equal(skemo.load(copy).predict_proba(X), est.predict_proba(X))


def test_checkpoint_training_state_is_hashed_too(multilabel_data, tmp_path):
    X, Y, names = multilabel_data
    FineTunedEmotionClassifier(**tiny_params(label_names=names, max_epochs=1,
                                             checkpoint_dir=tmp_path)).fit(X, Y)
    last = next(tmp_path.glob("*/last"))
    hashed = json.loads((last / "skemo.json").read_text())["sha256"]
    assert {"model.safetensors", "optimizer.pt"} <= set(hashed)
    for name, digest in hashed.items():
        assert hashlib.sha256((last / name).read_bytes()).hexdigest() == digest


# ------------------------------------------------------------------ parameters from a file
@pytest.mark.parametrize("key, value, message", [
    ("thresholds", [-5, 0.5, 0.5, 0.5], "'thresholds' must hold one number in [0, 1] per label"),
    ("thresholds", [0.5], "'thresholds' must hold one number in [0, 1] per label"),
    ("temperatures", [0.0, 1.0, 1.0, 1.0], "'temperatures' must hold one positive number"),
])
def test_fitted_values_out_of_range_are_refused(saved, tmp_path, key, value, message):
    _, path, _ = saved
    copy = copy_save(path, tmp_path / "copy")
    edit_metadata(copy, lambda meta: meta.update({key: value}))
    with pytest.raises(ValueError, match=re.escape(f"{copy / 'skemo.json'} is corrupt: "
                                                   f"{message}")):
        skemo.load(copy)


@pytest.mark.parametrize("name, value, message", [
    ("threshold", 7, "The 'threshold' parameter of FineTunedEmotionClassifier must be"),
    ("max_length", -1, "The 'max_length' parameter of FineTunedEmotionClassifier must be"),
    ("module", "os.system", "'module' names code (a class or function), which skemo never "
                            "takes from a file"),
    ("optimizer", "os.system", "'optimizer' names code"),
])
def test_invalid_or_code_parameters_are_refused(saved, tmp_path, name, value, message):
    _, path, _ = saved
    copy = copy_save(path, tmp_path / "copy")
    edit_metadata(copy, lambda meta: meta["params"].update({name: value}))
    with pytest.raises(ValueError, match=re.escape(f"{copy / 'skemo.json'}") + ".*"
                       + re.escape(message)):
        skemo.load(copy)


def test_parameters_that_load_code_or_touch_paths_are_not_taken(saved, tmp_path):
    est, path, X = saved
    copy = copy_save(path, tmp_path / "copy")
    edit_metadata(copy, lambda meta: meta["params"].update(
        torch_load_kwargs={"weights_only": False}, checkpoint_dir="/etc",
        cache_dir="/etc", trust_remote_code=True))
    loaded = skemo.load(copy)
    assert loaded.torch_load_kwargs is None
    assert loaded.checkpoint_dir is None and loaded.cache_dir is None
    assert loaded.trust_remote_code is False
    np.testing.assert_array_equal(loaded.predict_proba(X), est.predict_proba(X))


# ------------------------------------------------------------------ saving keeps user files
def test_saving_over_a_save_keeps_files_skemo_did_not_write(saved, tmp_path):
    est, path, _ = saved
    copy = copy_save(path, tmp_path / "copy")
    (copy / "train.csv").write_text("text,label\nhello,joy\n")
    with pytest.raises(ValueError, match=re.escape(
            f"cannot save to {copy}: it holds files skemo did not write (train.csv)")):
        est.save(copy)
    assert (copy / "train.csv").read_text() == "text,label\nhello,joy\n"
    assert skemo.load(copy).label_names_ == est.label_names_


def test_saving_over_an_older_save_keeps_user_files(saved, tmp_path):
    est, path, _ = saved
    copy = copy_save(path, tmp_path / "copy")
    edit_metadata(copy, lambda meta: (meta.pop("sha256"), meta.pop("files")))  # an older save
    (copy / "data").mkdir()
    (copy / "data" / "train.csv").write_text("hello")
    with pytest.raises(ValueError, match=re.escape("(data/train.csv)")):
        est.save(copy)
    assert (copy / "data" / "train.csv").read_text() == "hello"
    shutil.rmtree(copy / "data")
    est.save(copy)  # only skemo's files: replaced
    assert skemo.load(copy).label_names_ == est.label_names_


# ------------------------------------------------------------------ missing directories
def test_a_missing_tokenizer_directory_is_named(multilabel_data, tmp_path):
    X, Y, names = multilabel_data
    missing = tmp_path / "no-tokenizer"
    clf = FineTunedEmotionClassifier(**tiny_params(tokenizer=str(missing), label_names=names))
    with pytest.raises(ValueError, match="^" + re.escape(
            f"Cannot load tokenizer {str(missing)!r}: no such directory: {missing}") + "$"):
        clf.fit(X[:16], Y[:16])


def test_a_save_without_its_tokenizer_says_so(saved, tmp_path):
    _, path, _ = saved
    copy = copy_save(path, tmp_path / "copy")
    shutil.rmtree(copy / "tokenizer")
    with pytest.raises(ValueError, match="^" + re.escape(
            f"Cannot load tokenizer {str(copy / 'tokenizer')!r}: no such directory: "
            f"{copy / 'tokenizer'}") + "$"):
        skemo.load(copy)


def test_the_bundled_model_records_and_checks_its_weights(tmp_path):
    from skemo.hub import _bundled_dir, load_bundled

    folder = shutil.copytree(_bundled_dir("goemotions"), tmp_path / "bundled")
    weights = folder / "adapters.safetensors"
    meta = json.loads((folder / "skemo.json").read_text())
    assert meta["sha256"] == {
        "adapters.safetensors": hashlib.sha256(weights.read_bytes()).hexdigest()}
    data = bytearray(weights.read_bytes())
    data[-2:] = bytes(255 - b for b in data[-2:])
    weights.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=re.escape(f"{weights} does not match the sha256")):
        load_bundled(folder, device="cpu")
