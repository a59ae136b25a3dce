"""Your own labelled texts: files and DataFrames in, through Python and the command line."""

import csv
import json

import numpy as np
import pandas as pd
import pytest

from skemo.cli import main
from skemo.datasets import load_goemotions_sample, load_labelled_texts


def write_csv(path, header, rows, delimiter=","):
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_one_label_column_is_single_label(tmp_path):
    path = write_csv(tmp_path / "d.csv", ["text", "label"],
                     [["so happy", "joy"], ["awful", "anger"], ["yay", "joy"]])
    data = load_labelled_texts(path)
    assert data.data == ["so happy", "awful", "yay"]
    assert data.target_names == ["anger", "joy"]
    np.testing.assert_array_equal(data.target, [1, 0, 1])


def test_delimited_label_lists_are_multi_label(tmp_path):
    path = write_csv(tmp_path / "d.tsv", ["id", "text", "emotions"],
                     [["1", "so happy", "joy"], ["2", "awful, sad", "anger; sadness"],
                      ["3", "meh", ""]], delimiter="\t")
    data = load_labelled_texts(path, label_column="emotions", label_sep=";")
    assert data.target_names == ["anger", "joy", "sadness"]
    np.testing.assert_array_equal(data.target, [[0, 1, 0], [1, 0, 1], [0, 0, 0]])


def test_binary_columns_are_multi_label_in_file_order(tmp_path):
    path = write_csv(tmp_path / "d.csv", ["text", "joy", "anger"],
                     [["so happy", "1", "0"], ["awful", "0", "1"], ["mixed", "1", "1"]])
    data = load_labelled_texts(path)  # every other column is 0/1: guessed
    assert data.target_names == ["joy", "anger"]
    np.testing.assert_array_equal(data.target, [[1, 0], [0, 1], [1, 1]])
    same = load_labelled_texts(path, label_columns=["joy", "anger"])
    np.testing.assert_array_equal(same.target, data.target)


def test_json_lines_with_label_lists(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text('{"text": "so happy", "labels": ["joy"]}\n\n'
                    '{"text": "awful", "labels": ["anger", "sadness"]}\n')
    X, Y = load_labelled_texts(path, return_X_y=True)
    assert X == ["so happy", "awful"]
    np.testing.assert_array_equal(Y, [[0, 1, 0], [1, 0, 1]])


def test_a_dataframe_reads_as_a_file_does(tmp_path):
    frame = pd.DataFrame({"sentence": ["so happy", "awful"], "joy": [1, 0],
                          "anger": [False, True]})
    data = load_labelled_texts(frame, text_column="sentence")
    np.testing.assert_array_equal(data.target, [[1, 0], [0, 1]])


@pytest.mark.parametrize("name, content, kwargs, message", [
    ("a.csv", "text,label\nok,joy\n,anger\n", {},
     r"a.csv, line 3, column 'text': the text is empty"),
    ("b.csv", "text,joy\nok,1\nfine,yes\n", {"label_columns": ["joy"]},
     r"b.csv, line 3, column 'joy': expected 0 or 1, got 'yes'"),
    ("c.csv", "sentence,label\nok,joy\n", {},
     r"c.csv: no text column 'text'; its columns are 'sentence', 'label'"),
    ("d.jsonl", '{"text": "ok", "label": "joy"}\n{"text": "bad",\n', {},
     r"d.jsonl, line 2: not valid JSON"),
    ("e.csv", "text,label\nok,joy\nfine,joy,extra\n", {},
     r"e.csv, line 3: 3 fields, but the header has 2"),
    ("f.jsonl", '{"text": "ok", "label": ["joy", "love"]}\n', {"multilabel": False},
     r"f.jsonl, line 1, column 'label': 2 labels where a single-label file has one"),
    ("g.csv", "text,source\nok,web\n", {}, r"g.csv: cannot tell which columns hold the labels"),
    ("h.txt", "text,label\nok,joy\n", {}, r"h.txt: cannot tell the format from the suffix"),
    ("i.csv", "", {}, r"i.csv: the file is empty"),
], ids=["empty-text", "not-binary", "no-text-column", "bad-json", "extra-field",
        "two-labels", "no-labels", "suffix", "empty-file"])
def test_bad_files_name_file_line_and_column(tmp_path, name, content, kwargs, message):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(ValueError, match=message):
        load_labelled_texts(path, **kwargs)


def test_bad_utf8_names_the_file(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("text,label\ncaf\xe9,joy\n".encode("latin-1"))
    with pytest.raises(ValueError, match=r"latin.csv: not UTF-8 text"):
        load_labelled_texts(path)


def test_a_missing_file_is_a_file_not_found_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.csv: no such file"):
        load_labelled_texts(tmp_path / "nope.csv")


@pytest.fixture(scope="module")
def sample_files(tmp_path_factory):
    """The sample's train and test splits as CSV files with ';'-delimited label lists."""
    folder = tmp_path_factory.mktemp("own")
    train, test = load_goemotions_sample("train"), load_goemotions_sample("test")
    known = train.target[:64].any(axis=0)
    keep = np.flatnonzero(~(test.target[:, ~known]).any(axis=1))[:40]  # labels seen in train
    paths = []
    for split, data, rows in (("train", train, np.arange(64)), ("test", test, keep)):
        lines = [[data.data[i], ";".join(data.target_names[j]
                                         for j in np.flatnonzero(data.target[i]))]
                 for i in rows]
        paths.append(write_csv(folder / f"{split}.csv", ["text", "emotions"], lines))
    return paths


def test_cli_fits_and_evaluates_a_csv_of_ones_own(tiny_encoder, sample_files, tmp_path,
                                                  capsys):
    train, test = sample_files
    out = tmp_path / "model"
    argv = ["fit", "--method", "finetuned", "--data", str(train), "--label-column",
            "emotions", "--label-sep", ";", "--epochs", "1", "--max-length", "32",
            "--encoder", tiny_encoder, "--out", str(out)]
    assert main(argv) == 0
    meta = json.loads((out / "skemo.json").read_text())
    names = sorted({label for row in csv.DictReader(open(train)) for label in
                    row["emotions"].split(";") if label})
    assert meta["target"]["label_names"] == names
    capsys.readouterr()
    assert main(["evaluate", str(out), "--data", str(test), "--label-column", "emotions",
                 "--label-sep", ";"]) == 0
    report = capsys.readouterr().out
    assert report.startswith("macro-F1: ") and "ECE: " in report


def test_cli_evaluate_refuses_labels_the_model_does_not_know(tiny_encoder, sample_files,
                                                            tmp_path, capsys):
    train, _ = sample_files
    out = tmp_path / "model"
    assert main(["fit", "--method", "finetuned", "--data", str(train), "--label-sep", ";",
                 "--label-column", "emotions", "--epochs", "0", "--encoder", tiny_encoder,
                 "--out", str(out)]) == 0
    other = write_csv(tmp_path / "other.csv", ["text", "emotions"], [["hm", "bewilderment"]])
    capsys.readouterr()
    assert main(["evaluate", str(out), "--data", str(other), "--label-column", "emotions",
                 "--label-sep", ";"]) == 2
    assert "has labels the model does not know: bewilderment" in capsys.readouterr().err


def test_cli_bad_file_fails_before_anything_is_written(tiny_encoder, tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("text,label\nok,joy\n,anger\n")
    out = tmp_path / "model"
    assert main(["fit", "--method", "finetuned", "--data", str(bad), "--encoder",
                 tiny_encoder, "--out", str(out)]) == 2
    assert "bad.csv, line 3, column 'text': the text is empty" in capsys.readouterr().err
    assert not out.exists()
