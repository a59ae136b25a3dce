"""SemEval-2018 Task 1 E-c, English (Mohammad et al., 2018)."""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from skemo.datasets._bunch import SPLITS, check_option, make_dataset, shared_parameters
from skemo.datasets._fetch import fetch_file
from skemo.labels import label_names

if TYPE_CHECKING:
    from sklearn.utils import Bunch


_FILES = {
    "train": "semeval2018_ec/2018-E-c-En-train.txt",
    "dev": "semeval2018_ec/2018-E-c-En-dev.txt",
    "test": "semeval2018_ec/2018-E-c-En-test-gold.txt",
}


@shared_parameters
def load_semeval2018_ec(
    split: str = "train", *, data_home: str | os.PathLike | None = None,
    download_if_missing: bool = True, return_X_y: bool = False, as_frame: bool = False,
    labels: Sequence[str] | None = None,
) -> Bunch | tuple:
    """Load a split of SemEval-2018 Task 1 E-c (English tweets, multi-label).

    =================  ===========================================
    labels             11 (a tweet may have none)
    samples            6838 train / 886 dev / 3259 test (gold)
    target             binary indicator matrix, uint8
    license            research use only (task organizers' terms)
    =================  ===========================================

    Parameters
    ----------
    split : {"train", "dev", "test"}, default="train"
        The split to load.
    data_home : str or os.PathLike, default=None
        See :func:`skemo.datasets.get_data_home`. The files are expected in
        ``<data_home>/semeval2018_ec/`` under their official names
        (``2018-E-c-En-{train,dev,test-gold}.txt``).
    {download_if_missing}
    {output_parameters}

    Returns
    -------
    sklearn.utils.Bunch or tuple
        ``data`` (list of str), ``target`` (ndarray of shape (n_samples, 11),
        uint8, columns in the files' order), ``target_names``,
        ``descriptions`` and ``DESCR``.

    Raises
    ------
    ValueError
        If ``split`` is unknown, or the file's header has other label columns.
    OSError
        If the file is missing and cannot be downloaded, or fails its checksum.

    Examples
    --------
    >>> from skemo.datasets import load_semeval2018_ec
    >>> X, y = load_semeval2018_ec(split="dev", return_X_y=True)  # doctest: +SKIP
    >>> y.shape  # doctest: +SKIP
    (886, 11)
    """
    check_option("split", split, SPLITS)
    path = fetch_file(_FILES[split], data_home, download_if_missing)
    names = label_names("semeval2018_ec")
    # Fields are never quoted in these files, so any quote character is text.
    # newline="" lets csv handle both the CRLF (train/dev) and LF (test) files.
    with path.open(encoding="utf-8", newline="") as f:
        header, *rows = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
    if header[2:] != names:
        raise ValueError(f"Unexpected label columns in {path}: {header[2:]}")
    texts = [row[1] for row in rows]
    target = np.array([row[2:] for row in rows], dtype=np.uint8)
    return make_dataset(
        texts,
        target,
        label_set="semeval2018_ec",
        card="semeval2018_ec",
        split=split,
        return_X_y=return_X_y,
        as_frame=as_frame,
        labels=labels,
    )
