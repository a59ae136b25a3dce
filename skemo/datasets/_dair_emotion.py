"""The dair-ai "emotion" dataset (CARER, Saravia et al., 2018), six classes."""

from __future__ import annotations

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
    "train": "dair_emotion/train.txt",
    "dev": "dair_emotion/val.txt",
    "test": "dair_emotion/test.txt",
}


@shared_parameters
def load_emotion(
    split: str = "train", *, data_home: str | os.PathLike | None = None,
    download_if_missing: bool = True, return_X_y: bool = False, as_frame: bool = False,
    labels: Sequence[str] | None = None,
) -> Bunch | tuple:
    """Load a split of the dair-ai emotion dataset (English tweets, single-label).

    =================  ===========================================
    labels             6: sadness 0, joy 1, love 2, anger 3, fear 4,
                       surprise 5 (Hugging Face ``dair-ai/emotion`` ids)
    samples            16000 train / 2000 dev / 2000 test
    target             class ids, int64
    license            educational and research use (dair-ai)
    =================  ===========================================

    Parameters
    ----------
    split : {"train", "dev", "test"}, default="train"
        "dev" is the file ``val.txt``.
    data_home : str or os.PathLike, default=None
        See :func:`skemo.datasets.get_data_home`. The files are expected at
        ``<data_home>/dair_emotion/{train,val,test}.txt``.
    download_if_missing : bool, default=True
        Download an absent file from its commit-pinned GitHub URL, drop the
        header line that copy added, and check the sha256 of the rest.
    {output_parameters}

    Returns
    -------
    sklearn.utils.Bunch or tuple
        ``data`` (list of str), ``target`` (ndarray of shape (n_samples,),
        int64), ``target_names`` (``target_names[id]`` is the name),
        ``descriptions`` and ``DESCR``.

    Raises
    ------
    ValueError
        If ``split`` is unknown.
    OSError
        If the file is missing and cannot be downloaded, or fails its checksum.

    Examples
    --------
    >>> from skemo.datasets import load_emotion
    >>> emotion = load_emotion(split="test")  # doctest: +SKIP
    >>> emotion.target_names[emotion.target[0]]  # doctest: +SKIP
    'sadness'
    """
    check_option("split", split, SPLITS)
    path = fetch_file(_FILES[split], data_home, download_if_missing)
    class_ids = {name: i for i, name in enumerate(label_names("emotion"))}
    # Lines are "text;label"; the text may itself contain ";".
    with path.open(encoding="utf-8", newline="\n") as f:
        texts, names = zip(*(line.rstrip("\n").rsplit(";", 1) for line in f))
    target = np.array([class_ids[name] for name in names], dtype=np.int64)
    return make_dataset(
        list(texts),
        target,
        label_set="emotion",
        card="emotion",
        split=split,
        return_X_y=return_X_y,
        as_frame=as_frame,
        labels=labels,
    )
