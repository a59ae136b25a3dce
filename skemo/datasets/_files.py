"""Your own labelled texts: a CSV, TSV or JSON-lines file, or a pandas DataFrame."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

#: File suffixes read as each format by ``format="auto"``.
SUFFIXES = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".jsonl": "jsonl",
            ".ndjson": "jsonl", ".json": "jsonl"}
#: Column names taken as the label column when none is named.
LABEL_COLUMN_NAMES = ("label", "labels", "emotion", "emotions")


class _Table:
    """Rows of a file or frame as dicts, each with the line number it started on."""

    def __init__(self, source, rows, columns):
        self.source, self.rows, self.columns = source, rows, columns

    def where(self, line, column=None):
        at = f"{self.source}, line {line}" if line is not None else str(self.source)
        return at + (f", column {column!r}" if column is not None else "")


def _read_delimited(path, delimiter):
    with open(path, newline="", encoding="utf-8-sig") as f:
        try:
            reader = csv.DictReader(f, delimiter=delimiter, strict=True)
            columns = list(reader.fieldnames or [])
            rows = []
            for row in reader:
                line = reader.line_num
                if None in row:
                    raise ValueError(f"{path}, line {line}: {len(columns) + len(row[None])} "
                                     f"fields, but the header has {len(columns)}.")
                if any(value is None for value in row.values()):
                    raise ValueError(f"{path}, line {line}: fewer fields than the "
                                     f"{len(columns)} of the header.")
                rows.append((line, row))
        except csv.Error as error:
            raise ValueError(f"{path}, line {reader.line_num}: not valid "
                             f"{'CSV' if delimiter == ',' else 'TSV'} ({error}).") from error
        except UnicodeDecodeError as error:
            raise ValueError(f"{path}: not UTF-8 text ({error.reason} at byte "
                             f"{error.start}).") from error
    if not columns:
        raise ValueError(f"{path}: the file is empty; it needs a header line naming "
                         "its columns.")
    return columns, rows


def _read_jsonl(path):
    rows, columns = [], {}
    with open(path, "rb") as f:
        for line, raw in enumerate(f, 1):
            try:
                text = raw.decode("utf-8-sig" if line == 1 else "utf-8")
            except UnicodeDecodeError as error:
                raise ValueError(f"{path}, line {line}: not UTF-8 text "
                                 f"({error.reason}).") from error
            if not text.strip():
                continue
            try:
                row = json.loads(text)
            except json.JSONDecodeError as error:
                raise ValueError(f"{path}, line {line}: not valid JSON ({error.msg}, "
                                 f"column {error.colno}).") from error
            if not isinstance(row, dict):
                raise ValueError(f"{path}, line {line}: each line must be a JSON object "
                                 f"(got {type(row).__name__}).")
            columns.update(dict.fromkeys(row))
            rows.append((line, row))
    return list(columns), rows


def _table(source, format):
    if hasattr(source, "columns") and hasattr(source, "to_dict"):  # a pandas DataFrame
        columns = [str(c) for c in source.columns]
        records = source.to_dict(orient="records")
        return _Table("the DataFrame", [(i, {str(k): v for k, v in row.items()})
                                        for i, row in enumerate(records)], columns)
    path = Path(source)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file.")
    if format == "auto":
        format = SUFFIXES.get(path.suffix.lower())
        if format is None:
            raise ValueError(f"{path}: cannot tell the format from the suffix "
                             f"{path.suffix!r}; pass format='csv', 'tsv' or 'jsonl'.")
    if format not in ("csv", "tsv", "jsonl"):
        raise ValueError(f"format must be 'auto', 'csv', 'tsv' or 'jsonl'; got {format!r}.")
    columns, rows = (_read_jsonl(path) if format == "jsonl"
                     else _read_delimited(path, "," if format == "csv" else "\t"))
    if not rows:
        raise ValueError(f"{path}: no rows after the header.")
    return _Table(path, rows, columns)


def _check_column(table, name, what):
    if name not in table.columns:
        raise ValueError(f"{table.where(None)}: no {what} column {name!r}; its columns "
                         f"are {', '.join(map(repr, table.columns))}.")


_BINARY_STRINGS = {"0": 0, "1": 1, "0.0": 0, "1.0": 1, "false": 0, "true": 1}


def _as_binary(value):
    """0 or 1 for a 0/1 cell (a number, a bool or their text), else None."""
    if isinstance(value, (bool, np.bool_)):
        return int(value)
    if isinstance(value, (int, float, np.integer, np.floating)) and value in (0, 1):
        return int(value)
    if isinstance(value, str):
        return _BINARY_STRINGS.get(value.strip().lower())
    return None


def _binary(table, line, column, value):
    """0 or 1 from a cell of a 0/1 label column."""
    binary = _as_binary(value)
    if binary is None:
        raise ValueError(f"{table.where(line, column)}: expected 0 or 1, got {value!r}.")
    return binary


def _label_list(table, line, column, value, sep):
    """The labels of one cell: a JSON list, a ``sep``-delimited string, or one label."""
    if isinstance(value, (list, tuple)):
        labels = [str(v).strip() for v in value]
    elif value is None or (isinstance(value, float) and np.isnan(value)):
        labels = []
    elif sep is not None:
        labels = [part.strip() for part in str(value).split(sep)]
    else:
        labels = [str(value).strip()]
    if any(not label for label in labels) and labels != [""]:
        raise ValueError(f"{table.where(line, column)}: an empty label in {value!r}.")
    return [label for label in labels if label]


def _guess_label_columns(table, text_column):
    """The label column (a str) or 0/1 label columns (a list) the table seems to have."""
    for name in LABEL_COLUMN_NAMES:
        if name in table.columns and name != text_column:
            return name
    others = [c for c in table.columns if c != text_column]
    binary = [c for c in others
              if all(_as_binary(row.get(c)) is not None for _, row in table.rows)]
    if binary and len(binary) == len(others):
        return binary
    raise ValueError(
        f"{table.where(None)}: cannot tell which columns hold the labels (columns "
        f"{', '.join(map(repr, table.columns))}); name one label column with "
        "label_column (one label per text, or several with label_sep) or the 0/1 "
        "columns with label_columns.")


def load_labelled_texts(
    source: str | os.PathLike, *, text_column: str = "text",
    label_column: str | None = None, label_columns: Sequence[str] | None = None,
    label_sep: str | None = None, multilabel: bool | None = None,
    format: str = "auto", return_X_y: bool = False,
):
    """Load your own labelled texts from a CSV, TSV or JSON-lines file, or a DataFrame.

    The labels may be given in any of three layouts:

    - **one label column** (``label_column``): one label per text
      (single-label: ``target`` holds class ids), or several separated by
      ``label_sep`` (e.g. ``"joy;love"``), or a JSON list in JSON lines
      (multi-label: ``target`` is an indicator matrix);
    - **one 0/1 column per label** (``label_columns``): multi-label, the
      columns' names are the labels;
    - neither named: a column called ``label``, ``labels``, ``emotion`` or
      ``emotions`` is the label column, else every column but the text
      column must be 0/1.

    Parameters
    ----------
    source : str, os.PathLike or pandas.DataFrame
        The file (format from its suffix: ``.csv``, ``.tsv``, ``.jsonl``,
        ``.json`` -- one object per line) or a DataFrame.
    text_column : str, default="text"
        Column (or JSON field) of the texts.
    label_column : str, default=None
        Column of the labels: one per text, or several separated by ``label_sep``. None
        looks for a column named label, labels, emotion or emotions, else reads every
        other column as one 0/1 column per label.
    label_columns : sequence of str, default=None
        0/1 columns, one per label (multi-label).
    label_sep : str, default=None
        Separator of several labels in one cell of ``label_column``.
    multilabel : bool, default=None
        Force the kind of target; None: multi-label when ``label_sep`` or
        ``label_columns`` is given, when a cell holds a list, and
        single-label otherwise.
    format : {"auto", "csv", "tsv", "jsonl"}, default="auto"
        The file's format; ``"auto"`` reads it from the suffix.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    sklearn.utils.Bunch or tuple
        ``data`` (list of str), ``target`` (indicator matrix of shape
        (n_texts, n_labels), or class ids of shape (n_texts,)),
        ``target_names`` (the labels, sorted, or the 0/1 columns in file
        order) and ``DESCR``.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        Naming the file, line and column: a missing column, an empty text,
        a label cell that is not 0/1, a malformed line, a file that is not
        UTF-8, or no label at all.

    Examples
    --------
    >>> import pandas as pd
    >>> from skemo.datasets import load_labelled_texts
    >>> frame = pd.DataFrame({"text": ["so happy", "this is awful", "wow, thanks!"],
    ...                       "emotions": ["joy", "anger;sadness", "joy;gratitude"]})
    >>> data = load_labelled_texts(frame, label_column="emotions", label_sep=";")
    >>> data.target_names
    ['anger', 'gratitude', 'joy', 'sadness']
    >>> data.target
    array([[0, 0, 1, 0],
           [1, 0, 0, 1],
           [0, 1, 1, 0]])
    """
    from sklearn.utils import Bunch

    if label_column is not None and label_columns is not None:
        raise ValueError("give label_column (one column of labels) or label_columns "
                         "(one 0/1 column per label), not both.")
    table = _table(source, format)
    _check_column(table, text_column, "text")
    if label_column is None and label_columns is None:
        guessed = _guess_label_columns(table, text_column)
        label_column, label_columns = ((guessed, None) if isinstance(guessed, str)
                                       else (None, guessed))
    texts = []
    for line, row in table.rows:
        text = row.get(text_column)
        if not isinstance(text, str) or not text.strip():
            state = "missing" if text is None else "empty" if text == "" else repr(text)
            raise ValueError(f"{table.where(line, text_column)}: the text is {state}; "
                             "every row needs a non-empty text.")
        texts.append(text)
    if label_columns is not None:
        label_columns = list(label_columns)
        for column in label_columns:
            _check_column(table, column, "label")
        target = np.array([[_binary(table, line, c, row.get(c)) for c in label_columns]
                           for line, row in table.rows], dtype=np.int64)
        names = label_columns
    else:
        _check_column(table, label_column, "label")
        cells = [_label_list(table, line, label_column, row.get(label_column), label_sep)
                 for line, row in table.rows]
        lists = any(isinstance(row.get(label_column), (list, tuple)) for _, row in table.rows)
        if multilabel is None:
            multilabel = label_sep is not None or lists
        names = sorted({label for labels in cells for label in labels})
        if not names:
            raise ValueError(f"{table.where(None, label_column)}: no labels at all.")
        if multilabel:
            index = {name: j for j, name in enumerate(names)}
            target = np.zeros((len(texts), len(names)), dtype=np.int64)
            for i, labels in enumerate(cells):
                target[i, [index[label] for label in labels]] = 1
        else:
            for (line, _), labels in zip(table.rows, cells):
                if len(labels) != 1:
                    raise ValueError(
                        f"{table.where(line, label_column)}: {len(labels)} labels where a "
                        "single-label file has one; give label_sep for several labels per "
                        "text.")
            target = np.searchsorted(names, [labels[0] for labels in cells]).astype(np.int64)
    if return_X_y:
        return texts, target
    kind = "multi-label" if target.ndim == 2 else "single-label"
    return Bunch(data=texts, target=target, target_names=list(names),
                 DESCR=f"{len(texts)} labelled texts from {table.where(None)} ({kind}, "
                       f"{len(names)} labels).")
