"""The single-label splits preprocessed by TACO: GoEmotions GE-27 and ED-32."""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from skemo.datasets._bunch import SPLITS, check_option, make_dataset, shared_parameters
from skemo.datasets._fetch import fetch_file

if TYPE_CHECKING:
    from sklearn.utils import Bunch


_SPLIT_FILES = {"train": "train.csv", "dev": "valid.csv", "test": "test.csv"}


def _load_taco(folder, label_set, *, split, data_home, download_if_missing, return_X_y,
               as_frame, labels):
    """Read ``taco/<folder>/<split file>`` (header ``text,aug_text,label``)."""
    check_option("split", split, SPLITS)
    path = fetch_file(f"taco/{folder}/{_SPLIT_FILES[split]}", data_home, download_if_missing)
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    # "aug_text" is TACO's generated paraphrase, not original data: left out.
    texts = [row["text"] for row in rows]
    target = np.array([int(row["label"]) for row in rows], dtype=np.int64)
    return make_dataset(
        texts,
        target,
        label_set=label_set,
        card=label_set,
        split=split,
        return_X_y=return_X_y,
        as_frame=as_frame,
        labels=labels,
    )


@shared_parameters
def load_taco_goemotions(
    split: str = "train", *, data_home: str | os.PathLike | None = None,
    download_if_missing: bool = True, return_X_y: bool = False, as_frame: bool = False,
    labels: Sequence[str] | None = None,
) -> Bunch | tuple:
    """Load TACO's single-label GoEmotions split (GE-27).

    The GoEmotions comments with a single label other than neutral, as
    preprocessed (lowercased) and split by TACO (Gong, Yang and Shen).

    =================  ===========================================
    labels             27 (GoEmotions without neutral)
    samples            23485 train / 2956 dev / 2984 test
    target             class ids, int64 (TACO's label2idx)
    license            Apache-2.0
    =================  ===========================================

    Parameters
    ----------
    split : {"train", "dev", "test"}, default="train"
        "dev" is the file ``valid.csv``.
    data_home : str or os.PathLike, default=None
        See :func:`skemo.datasets.get_data_home`. The files are expected at
        ``<data_home>/taco/go_emotion/{train,valid,test}.csv``.
    {download_if_missing}
    {output_parameters}

    Returns
    -------
    sklearn.utils.Bunch or tuple
        ``data`` (list of str), ``target`` (ndarray of shape (n_samples,),
        int64), ``target_names`` (``target_names[id]`` is the name),
        ``descriptions`` (TACO's label descriptions) and ``DESCR``.

    Raises
    ------
    ValueError
        If ``split`` is unknown.
    OSError
        If the file is missing and cannot be downloaded, or fails its checksum.

    Examples
    --------
    >>> from skemo.datasets import load_taco_goemotions
    >>> ge = load_taco_goemotions(split="dev")  # doctest: +SKIP
    >>> len(ge.data), len(ge.target_names)  # doctest: +SKIP
    (2956, 27)
    """
    return _load_taco(
        "go_emotion",
        "taco_goemotions",
        split=split,
        data_home=data_home,
        download_if_missing=download_if_missing,
        return_X_y=return_X_y,
        as_frame=as_frame,
        labels=labels,
    )


@shared_parameters
def load_empathetic_dialogues(
    split: str = "train", *, data_home: str | os.PathLike | None = None,
    download_if_missing: bool = True, return_X_y: bool = False, as_frame: bool = False,
    labels: Sequence[str] | None = None,
) -> Bunch | tuple:
    """Load TACO's EmpatheticDialogues split (ED-32, situation texts).

    Each text is the speaker's description of the situation that opens an
    EmpatheticDialogues conversation (Rashkin et al., 2019), labelled with one
    of 32 emotions, as preprocessed and split by TACO.

    =================  ===========================================
    labels             32
    samples            17802 train / 2761 dev / 2541 test
    target             class ids, int64 (TACO's label2idx)
    license            CC BY-NC 4.0 (non-commercial use only)
    =================  ===========================================

    Parameters
    ----------
    split : {"train", "dev", "test"}, default="train"
        "dev" is the file ``valid.csv``.
    data_home : str or os.PathLike, default=None
        See :func:`skemo.datasets.get_data_home`. The files are expected at
        ``<data_home>/taco/ED/{train,valid,test}.csv``.
    {download_if_missing}
    {output_parameters}

    Returns
    -------
    sklearn.utils.Bunch or tuple
        ``data`` (list of str), ``target`` (ndarray of shape (n_samples,),
        int64), ``target_names`` (``target_names[id]`` is the name),
        ``descriptions`` (TACO's label descriptions) and ``DESCR``.

    Raises
    ------
    ValueError
        If ``split`` is unknown.
    OSError
        If the file is missing and cannot be downloaded, or fails its checksum.

    Examples
    --------
    >>> from skemo.datasets import load_empathetic_dialogues
    >>> X, y = load_empathetic_dialogues(split="test", return_X_y=True)  # doctest: +SKIP
    >>> len(X), int(y.max())  # doctest: +SKIP
    (2541, 31)
    """
    return _load_taco(
        "ED",
        "empathetic_dialogues",
        split=split,
        data_home=data_home,
        download_if_missing=download_if_missing,
        return_X_y=return_X_y,
        as_frame=as_frame,
        labels=labels,
    )
