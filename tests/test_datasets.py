"""Tests of skemo.datasets: the shipped sample, file lookup and download, and
every loader against the real benchmark files.

The real files are read from the ``SKEMO_DATA`` environment variable if set,
else from ``../shared/data`` next to the repository; those tests are skipped
when neither exists. Nothing here touches the network: downloads go
through pooch with its HTTP downloader replaced by one that copies
``file://`` URLs (pooch's documented downloader interface), so pooch's own
temporary files, sha256 checks and retries are what is tested.
"""

import csv
import functools
import hashlib
import json
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pooch
import pytest
import requests

from skemo.datasets import (
    _fetch,
    get_data_home,
    load_emotion,
    load_empathetic_dialogues,
    load_goemotions,
    load_goemotions_sample,
    load_semeval2018_ec,
    load_taco_goemotions,
)
from skemo.labels import label_descriptions, label_names

REPO_ROOT = Path(__file__).resolve().parents[1]
REAL_DATA = Path(os.environ.get("SKEMO_DATA") or REPO_ROOT.parent / "shared" / "data")

needs_real_data = pytest.mark.skipif(
    not (REAL_DATA / "goemotions").is_dir(),
    reason=f"benchmark files not found at {REAL_DATA} (set SKEMO_DATA)",
)

LOADERS = {
    "goemotions": load_goemotions,
    "goemotions_ekman": functools.partial(load_goemotions, "ekman"),
    "goemotions_group": functools.partial(load_goemotions, "group"),
    "semeval2018_ec": load_semeval2018_ec,
    "emotion": load_emotion,
    "taco_goemotions": load_taco_goemotions,
    "empathetic_dialogues": load_empathetic_dialogues,
}

ROW_COUNTS = {
    "goemotions": (43410, 5426, 5427),
    "goemotions_ekman": (43410, 5426, 5427),
    "goemotions_group": (43410, 5426, 5427),
    "semeval2018_ec": (6838, 886, 3259),
    "emotion": (16000, 2000, 2000),
    "taco_goemotions": (23485, 2956, 2984),
    "empathetic_dialogues": (17802, 2761, 2541),
}
MULTI_LABEL = {"goemotions", "goemotions_ekman", "goemotions_group", "semeval2018_ec"}


@functools.lru_cache(maxsize=None)
def load_real(label_set, split):
    """Load one real split once per test session."""
    return LOADERS[label_set](
        split=split, data_home=REAL_DATA, download_if_missing=False
    )


# ---------------------------------------------------------------- the sample


@pytest.mark.parametrize("split, n_rows, min_positives", [("train", 1005, 8), ("test", 411, 3)])
def test_goemotions_sample(split, n_rows, min_positives):
    sample = load_goemotions_sample(split)
    assert len(sample.data) == n_rows
    assert all(isinstance(text, str) and text for text in sample.data)
    assert sample.target.shape == (n_rows, 28)
    assert sample.target.dtype == np.uint8
    assert sample.target.sum(axis=0).min() >= min_positives
    assert sample.target.sum(axis=1).min() >= 1
    assert sample.target_names == label_names("goemotions")
    assert sample.descriptions == label_descriptions("goemotions")
    assert "Apache-2.0" in sample.DESCR
    assert "random_state=0" in sample.DESCR


def test_goemotions_sample_return_X_y_and_bad_split():
    X, y = load_goemotions_sample("test", return_X_y=True)
    assert len(X) == y.shape[0] == 411
    with pytest.raises(ValueError, match="'train', 'test'"):
        load_goemotions_sample("dev")


@needs_real_data
@pytest.mark.parametrize("split", ["train", "test"])
def test_goemotions_sample_rows_come_from_goemotions(split):
    sample = load_goemotions_sample(split)
    full = load_real("goemotions", split)
    full_rows = {(text, tuple(labels)) for text, labels in zip(full.data, full.target)}
    sample_rows = {(text, tuple(labels)) for text, labels in zip(sample.data, sample.target)}
    assert sample_rows <= full_rows


# ------------------------------------------------------- lookup and download


REAL_HTTP_DOWNLOADER = _fetch.http_downloader


def copy_file_url(url, output_file, pooch_instance):
    """A pooch downloader for ``file://`` URLs (pooch itself speaks HTTP, FTP, SFTP, DOI)."""
    source = Path(url.removeprefix("file://"))
    Path(output_file).write_bytes(source.read_bytes())


@pytest.fixture(autouse=True)
def local_downloads(monkeypatch):
    """Downloads copy local files; pooch's retries do not sleep."""
    monkeypatch.setattr(_fetch, "http_downloader", lambda: copy_file_url)
    monkeypatch.setattr(pooch.core.time, "sleep", lambda seconds: None)


def test_downloads_stream_with_a_progress_bar_and_a_timeout():
    downloader = REAL_HTTP_DOWNLOADER()
    assert isinstance(downloader, pooch.HTTPDownloader)
    assert downloader.progressbar is True and downloader.kwargs["timeout"] == 60


def test_download_is_checked_and_read(monkeypatch, tmp_path):
    source = tmp_path / "dev.tsv"
    source.write_text('one\t0,27\tid1\n"a ""quoted"" one"\t3\tid2\n', encoding="utf-8")
    entry = _fetch.DATASET_FILES["goemotions/original/dev.tsv"]
    monkeypatch.setitem(entry, "url", source.as_uri())
    monkeypatch.setitem(entry, "sha256", hashlib.sha256(source.read_bytes()).hexdigest())
    home = tmp_path / "home"
    dev = load_goemotions(split="dev", data_home=home)
    assert dev.data == ["one", 'a "quoted" one']
    assert dev.target[0].nonzero()[0].tolist() == [0, 27] and dev.target[1, 3] == 1
    assert (home / "goemotions/original/dev.tsv").read_bytes() == source.read_bytes()
    assert [p.name for p in (home / "goemotions/original").iterdir()] == ["dev.tsv"]


def test_failed_downloads_are_retried(monkeypatch, tmp_path):
    source = tmp_path / "val.txt"
    source.write_text("i feel great;joy\n", encoding="utf-8")
    entry = _fetch.DATASET_FILES["semeval2018_ec/2018-E-c-En-dev.txt"]
    calls = []

    def flaky(url, output_file, pooch_instance):
        calls.append(url)
        if len(calls) <= _fetch.DOWNLOAD_RETRIES:
            raise requests.exceptions.ConnectionError("connection reset")
        copy_file_url(url, output_file, pooch_instance)

    monkeypatch.setattr(_fetch, "http_downloader", lambda: flaky)
    monkeypatch.setitem(entry, "url", source.as_uri())
    monkeypatch.setitem(entry, "sha256", hashlib.sha256(source.read_bytes()).hexdigest())
    path = _fetch.fetch_file("semeval2018_ec/2018-E-c-En-dev.txt", tmp_path / "home")
    assert len(calls) == _fetch.DOWNLOAD_RETRIES + 1 == 3
    assert path.read_bytes() == source.read_bytes()


def test_get_data_home(monkeypatch, tmp_path):
    assert get_data_home(tmp_path) == str(tmp_path)
    monkeypatch.setenv("SKEMO_DATA", str(tmp_path / "env"))
    assert get_data_home() == str(tmp_path / "env")
    monkeypatch.delenv("SKEMO_DATA")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert get_data_home() == str(tmp_path / "skemo_data")


def test_missing_file_without_download(tmp_path):
    with pytest.raises(OSError, match="SKEMO_DATA") as info:
        load_emotion(split="dev", data_home=tmp_path, download_if_missing=False)
    message = str(info.value)
    assert str(tmp_path / "dair_emotion" / "val.txt") in message
    assert "data_home" in message


def test_failed_download_names_the_missing_file(monkeypatch, tmp_path):
    entry = _fetch.DATASET_FILES["semeval2018_ec/2018-E-c-En-dev.txt"]
    monkeypatch.setitem(entry, "url", (tmp_path / "absent.txt").as_uri())
    with pytest.raises(OSError, match="SKEMO_DATA") as info:
        load_semeval2018_ec(split="dev", data_home=tmp_path / "home")
    assert "2018-E-c-En-dev.txt" in str(info.value)
    assert not any(p.is_file() for p in (tmp_path / "home").rglob("*"))


def test_checksum_mismatch_leaves_nothing(monkeypatch, tmp_path):
    bad = tmp_path / "bad.tsv"
    bad.write_text("not goemotions\t0\tid\n", encoding="utf-8")
    entry = _fetch.DATASET_FILES["goemotions/original/dev.tsv"]
    monkeypatch.setitem(entry, "url", bad.as_uri())
    home = tmp_path / "home"
    with pytest.raises(OSError, match="checksum mismatch") as info:
        load_goemotions(split="dev", data_home=home)
    message = str(info.value)
    assert "goemotions/original/dev.tsv" in message
    assert entry["sha256"] in message
    assert hashlib.sha256(bad.read_bytes()).hexdigest() in message
    assert not home.exists() or not any(p.is_file() for p in home.rglob("*"))


@needs_real_data
def test_download_drops_header_and_verifies(monkeypatch, tmp_path):
    # The pinned dair-ai copy carries an extra "text;label_name" first line.
    source = tmp_path / "val_with_header.txt"
    source.write_bytes(b"text;label_name\n" + (REAL_DATA / "dair_emotion/val.txt").read_bytes())
    monkeypatch.setitem(_fetch.DATASET_FILES["dair_emotion/val.txt"], "url", source.as_uri())
    home = tmp_path / "home"
    emotion = load_emotion(split="dev", data_home=home)
    assert len(emotion.data) == 2000
    stored = (home / "dair_emotion/val.txt").read_bytes()
    assert stored == (REAL_DATA / "dair_emotion/val.txt").read_bytes()
    assert [p.name for p in (home / "dair_emotion").iterdir()] == ["val.txt"]


def test_file_table_is_commit_pinned():
    assert len(_fetch.DATASET_FILES) == 21
    pinned = re.compile(r"https://raw\.githubusercontent\.com/[^/]+/[^/]+/[0-9a-f]{40}/")
    for entry in _fetch.DATASET_FILES.values():
        assert pinned.match(entry["url"]), entry["url"]
        assert re.fullmatch("[0-9a-f]{64}", entry["sha256"])


@needs_real_data
def test_real_files_match_recorded_checksums():
    for relative_path, entry in _fetch.DATASET_FILES.items():
        digest = hashlib.sha256((REAL_DATA / relative_path).read_bytes()).hexdigest()
        assert digest == entry["sha256"], relative_path


# ------------------------------------------------------------ bad arguments


@pytest.mark.parametrize("label_set", sorted(LOADERS))
def test_unknown_split(label_set):
    with pytest.raises(ValueError, match="'train', 'dev', 'test'"):
        LOADERS[label_set](split="valid", download_if_missing=False)


def test_unknown_subset():
    with pytest.raises(ValueError, match="'original', 'ekman', 'group'"):
        load_goemotions("plutchik", download_if_missing=False)


# --------------------------------------------------------- the real files


@needs_real_data
@pytest.mark.parametrize("label_set", sorted(ROW_COUNTS))
@pytest.mark.parametrize("split_index, split", [(0, "train"), (1, "dev"), (2, "test")])
def test_real_split_shapes(label_set, split_index, split):
    dataset = load_real(label_set, split)
    n_rows = ROW_COUNTS[label_set][split_index]
    names = label_names(label_set)
    assert len(dataset.data) == n_rows
    assert all(isinstance(text, str) and text.strip() for text in dataset.data)
    assert dataset.target_names == names
    assert dataset.descriptions == label_descriptions(label_set)
    assert f"{n_rows} texts" in dataset.DESCR
    if label_set in MULTI_LABEL:
        assert dataset.target.shape == (n_rows, len(names))
        assert dataset.target.dtype == np.uint8
        assert set(np.unique(dataset.target)) == {0, 1}
    else:
        assert dataset.target.shape == (n_rows,)
        assert dataset.target.dtype == np.int64
        assert set(np.unique(dataset.target)) == set(range(len(names)))

@needs_real_data
@pytest.mark.parametrize("label_set", sorted(LOADERS))
def test_real_return_X_y(label_set):
    dataset = load_real(label_set, "dev")
    X, y = LOADERS[label_set](
        split="dev", data_home=REAL_DATA, download_if_missing=False, return_X_y=True
    )
    assert X == dataset.data
    np.testing.assert_array_equal(y, dataset.target)


@needs_real_data
def test_real_data_through_environment_variable(monkeypatch):
    monkeypatch.setenv("SKEMO_DATA", str(REAL_DATA))
    assert len(load_emotion(split="test", download_if_missing=False).data) == 2000


@needs_real_data
def test_goemotions_labels_and_quoting():
    train = load_real("goemotions", "train")
    counts = dict(zip(train.target_names, train.target.sum(axis=0).tolist()))
    assert counts["neutral"] == 14219
    assert counts["admiration"] == 4130
    assert counts["grief"] == 77
    assert (train.target.sum(axis=1) > 1).sum() == 7102
    assert train.target.sum(axis=1).min() == 1
    # Rows stored with CSV quoting: outer quotes removed, doubled quotes undone.
    assert 'Three words, no subtlety. "Dude. Stop. Seriously." ' in train.data
    assert '"[NAME], meet [NAME]" love that show' in train.data
    assert not any("\t" in text for text in train.data)
    for split, n_multi in [("dev", 878), ("test", 837)]:
        assert (load_real("goemotions", split).target.sum(axis=1) > 1).sum() == n_multi


@needs_real_data
def test_goemotions_label_names_match_files():
    for label_set, subset in [
        ("goemotions", "original"),
        ("goemotions_ekman", "ekman"),
        ("goemotions_group", "group"),
    ]:
        names = (REAL_DATA / "goemotions" / subset / "labels.txt").read_text().split("\n")
        assert label_names(label_set) == names


@needs_real_data
def test_goemotions_coarse_subsets_follow_official_mappings():
    original = load_real("goemotions", "dev")
    for label_set, mapping_file in [
        ("goemotions_ekman", "ekman_mapping.json"),
        ("goemotions_group", "sentiment_dict.json"),
    ]:
        mapping = json.loads((REAL_DATA / "goemotions/mappings" / mapping_file).read_text())
        coarse = load_real(label_set, "dev")
        assert coarse.data == original.data
        for fine, coarse_name in [(f, c) for c, fines in mapping.items() for f in fines]:
            has_fine = original.target[:, original.target_names.index(fine)] == 1
            assert coarse.target[has_fine, coarse.target_names.index(coarse_name)].all()


@needs_real_data
def test_semeval_texts_and_labels():
    test = load_real("semeval2018_ec", "test")
    assert test.target.sum(axis=0).tolist() == [
        1101, 425, 1099, 485, 1442, 516, 1143, 375, 960, 170, 153
    ]
    with (REAL_DATA / "semeval2018_ec/2018-E-c-En-train.txt").open(newline="") as f:
        header = f.readline().rstrip("\r\n").split("\t")
    assert label_names("semeval2018_ec") == header[2:]
    for split, n_empty in [("train", 204), ("dev", 14), ("test", 75)]:
        dataset = load_real("semeval2018_ec", split)
        assert (dataset.target.sum(axis=1) == 0).sum() == n_empty
        assert not any("\r" in text or "\n" in text for text in dataset.data)
        assert "Tweet" not in dataset.data
        assert not any(text.startswith("2017-En-") for text in dataset.data)


@needs_real_data
def test_emotion_label_counts():
    expected = {
        "train": {"sadness": 4666, "joy": 5362, "love": 1304, "anger": 2159, "fear": 1937,
                  "surprise": 572},
        "dev": {"sadness": 550, "joy": 704, "love": 178, "anger": 275, "fear": 212,
                "surprise": 81},
        "test": {"sadness": 581, "joy": 695, "love": 159, "anger": 275, "fear": 224,
                 "surprise": 66},
    }
    for split, counts in expected.items():
        dataset = load_real("emotion", split)
        assert dataset.target_names == ["sadness", "joy", "love", "anger", "fear", "surprise"]
        assert dict(zip(dataset.target_names, np.bincount(dataset.target).tolist())) == counts
        assert not any(text.endswith(";") or "\n" in text for text in dataset.data)


@needs_real_data
@pytest.mark.parametrize(
    "label_set, folder, key",
    [("taco_goemotions", "go_emotion", "go_emotion"), ("empathetic_dialogues", "ED", "ED")],
)
def test_taco_labels_follow_label2idx(label_set, folder, key):
    label2idx = json.loads((REAL_DATA / "taco/label2idx_taco.json").read_text())[key]
    assert {name: i for i, name in enumerate(label_names(label_set))} == label2idx
    with (REAL_DATA / "taco" / folder / "test.csv").open(newline="", encoding="utf-8") as f:
        first = next(csv.DictReader(f))
    test = load_real(label_set, "test")
    assert test.data[0] == first["text"] != first["aug_text"]
    assert test.target[0] == int(first["label"])


def test_labels_keep_those_columns_and_the_texts_that_carry_them():
    full = load_goemotions_sample("test")
    few = load_goemotions_sample("test", labels=["joy", "anger"])
    cols = [full.target_names.index("joy"), full.target_names.index("anger")]
    rows = np.flatnonzero(full.target[:, cols].any(axis=1))
    assert few.target_names == ["joy", "anger"] and list(few.descriptions) == ["joy", "anger"]
    assert few.data == [full.data[i] for i in rows]
    np.testing.assert_array_equal(few.target, full.target[rows][:, cols])
    assert "2 labels (multi-label): only these and their texts." in few.DESCR
    X, y = load_goemotions_sample("test", return_X_y=True, labels=["joy", "anger"])
    assert X == few.data and np.array_equal(y, few.target)


@pytest.mark.parametrize("labels, match", [
    (["joy", "glee"], r"unknown: \['glee'\]"),
    (["joy", "joy"], "distinct"),
    ([], "distinct"),
])
def test_bad_labels_are_named(labels, match):
    with pytest.raises(ValueError, match=match):
        load_goemotions_sample(labels=labels)


@needs_real_data
def test_labels_of_a_single_label_set_renumber_the_classes():
    full = load_real("emotion", "test")
    few = load_emotion(split="test", data_home=REAL_DATA, labels=["surprise", "sadness"])
    keep = np.isin(full.target, [5, 0])
    assert few.target_names == ["surprise", "sadness"] and len(few.data) == keep.sum() == 647
    np.testing.assert_array_equal(few.target, np.where(full.target[keep] == 5, 0, 1))
    assert few.data == [text for text, k in zip(full.data, keep) if k]


# ------------------------------------------------------------- as_frame
def test_as_frame_multilabel():
    bunch = load_goemotions_sample("test")
    framed = load_goemotions_sample("test", as_frame=True)
    assert isinstance(framed.data, pd.Series) and framed.data.name == "text"
    assert framed.data.tolist() == bunch.data
    assert isinstance(framed.target, pd.DataFrame)
    assert framed.target.columns.tolist() == bunch.target_names
    np.testing.assert_array_equal(framed.target.to_numpy(), bunch.target)
    assert framed.target.dtypes.unique().tolist() == [np.uint8]
    assert framed.frame.shape == (411, 29)
    assert framed.frame.columns.tolist() == ["text", *bunch.target_names]
    X, y = load_goemotions_sample("test", return_X_y=True, as_frame=True)
    assert X.equals(framed.data) and y.equals(framed.target)


def test_as_frame_keeps_the_chosen_labels():
    few = load_goemotions_sample("test", as_frame=True, labels=["joy", "anger"])
    assert few.frame.columns.tolist() == ["text", "joy", "anger"]
    assert bool(few.target.any(axis=1).all())


@needs_real_data
def test_as_frame_single_label():
    bunch = load_real("emotion", "test")
    framed = load_emotion(split="test", data_home=REAL_DATA, download_if_missing=False,
                          as_frame=True)
    assert isinstance(framed.target, pd.Series) and framed.target.name == "label"
    np.testing.assert_array_equal(framed.target.to_numpy(), bunch.target)
    assert framed.frame.columns.tolist() == ["text", "label"]
    assert framed.frame["text"].tolist() == bunch.data


def test_importing_the_datasets_loads_neither_sklearn_nor_pandas():
    import subprocess
    import sys

    code = ("import sys, skemo.datasets; "
            "print(sorted(m for m in ('sklearn', 'pandas', 'torch', 'pooch') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# ------------------------------------------------------ the split, positionally
@pytest.mark.parametrize("loader", [load_emotion, load_semeval2018_ec, load_taco_goemotions,
                                    load_empathetic_dialogues, load_goemotions_sample])
def test_every_loader_takes_the_split_positionally_and_the_rest_by_keyword(loader):
    import inspect

    parameters = list(inspect.signature(loader).parameters.values())
    assert parameters[0].name == "split"
    assert parameters[0].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in parameters[1:])


def test_a_split_given_positionally_is_loaded(tmp_path):
    assert len(load_goemotions_sample("test").data) == 411
    for loader in (load_emotion, load_semeval2018_ec, load_taco_goemotions,
                   load_empathetic_dialogues):  # found missing, not a TypeError
        with pytest.raises(OSError, match="download_if_missing=False"):
            loader("dev", data_home=tmp_path, download_if_missing=False)
    with pytest.raises(OSError, match="download_if_missing=False"):
        load_goemotions("ekman", "dev", data_home=tmp_path, download_if_missing=False)


def test_a_split_given_for_the_goemotions_subset_says_so():
    message = ("subset must be one of 'original', 'ekman', 'group'; got 'train', a split: "
               "the first argument of load_goemotions is the label subset. Use "
               "split='train', or load_goemotions('original', 'train').")
    with pytest.raises(ValueError, match=re.escape(message)):
        load_goemotions("train")


@needs_real_data
def test_load_emotion_of_a_positional_split_is_that_split():
    assert load_emotion("test", data_home=REAL_DATA).target.shape == (2000,)
