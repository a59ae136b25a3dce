"""GoEmotions (Demszky et al., 2020): the full splits and the shipped sample."""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from skemo.datasets._bunch import SPLITS, check_option, make_dataset, shared_parameters
from skemo.datasets._fetch import fetch_file
from skemo.labels import label_names
from skemo.utils._package_data import DATA_DIR

if TYPE_CHECKING:
    from sklearn.utils import Bunch


#: Subset name -> label set name in :mod:`skemo.labels`.
SUBSET_LABEL_SETS = {
    "original": "goemotions",
    "ekman": "goemotions_ekman",
    "group": "goemotions_group",
}


def _read_tsv(path, label_set):
    """Texts and indicator matrix of a GoEmotions TSV (text, ids, comment id).

    The csv module undoes the quoting of texts that contain quotes; a plain
    ``split("\\t")`` would leave the quote characters in.
    """
    n_labels = len(label_names(label_set))
    texts, rows = [], []
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f, delimiter="\t")
        for fields in reader:
            try:
                text, ids, _ = fields
                label_ids = [int(i) for i in ids.split(",")]
                if not all(0 <= i < n_labels for i in label_ids):
                    raise ValueError
            except ValueError:
                raise ValueError(f"{path}, line {reader.line_num}: expected a text, comma-"
                                 f"separated label ids in [0, {n_labels}) and a comment id, "
                                 f"tab-separated; got {fields!r:.120}.") from None
            texts.append(text)
            rows.append(label_ids)
    target = np.zeros((len(rows), n_labels), dtype=np.uint8)
    for row, label_ids in enumerate(rows):
        target[row, label_ids] = 1
    return texts, target


@shared_parameters
def load_goemotions(
    subset: str = "original",
    split: str = "train",
    *,
    data_home: str | os.PathLike | None = None,
    download_if_missing: bool = True,
    return_X_y: bool = False,
    as_frame: bool = False,
    labels: Sequence[str] | None = None,
) -> Bunch | tuple:
    """Load a split of GoEmotions (Reddit comments, multi-label).

    =================  ===========================================
    subsets            original (28), ekman (7), group (4) labels
    samples            43410 train / 5426 dev / 5427 test
    target             binary indicator matrix, uint8
    license            Apache-2.0 (Google Research)
    =================  ===========================================

    Parameters
    ----------
    subset : {"original", "ekman", "group"}, default="original"
        Label granularity: the 27 emotions plus neutral, Ekman's six basic
        emotions plus neutral, or positive/negative/ambiguous plus neutral.
    split : {"train", "dev", "test"}, default="train"
        The split to load.
    data_home : str or os.PathLike, default=None
        See :func:`skemo.datasets.get_data_home`. The files are expected at
        ``<data_home>/goemotions/<subset>/<split>.tsv``.
    {download_if_missing}
    {output_parameters}

    Returns
    -------
    sklearn.utils.Bunch or tuple
        ``data`` (list of str), ``target`` (ndarray of shape
        (n_samples, n_labels), uint8), ``target_names`` (column order),
        ``descriptions`` ({label: description}) and ``DESCR``.

    Raises
    ------
    ValueError
        If ``subset`` or ``split`` is unknown.
    OSError
        If the file is missing and cannot be downloaded, or fails its checksum.

    Examples
    --------
    >>> from skemo.datasets import load_goemotions
    >>> ge = load_goemotions("ekman", split="dev")  # doctest: +SKIP
    >>> ge.target.shape, ge.target_names[4]  # doctest: +SKIP
    ((5426, 7), 'neutral')
    """
    if subset in SPLITS:  # load_goemotions("train"): the split taken for the subset
        raise ValueError(f"subset must be one of {', '.join(map(repr, SUBSET_LABEL_SETS))}; "
                         f"got {subset!r}, a split: the first argument of load_goemotions is "
                         f"the label subset. Use split={subset!r}, or "
                         f"load_goemotions('original', {subset!r}).")
    check_option("subset", subset, tuple(SUBSET_LABEL_SETS))
    check_option("split", split, SPLITS)
    label_set = SUBSET_LABEL_SETS[subset]
    path = fetch_file(f"goemotions/{subset}/{split}.tsv", data_home, download_if_missing)
    texts, target = _read_tsv(path, label_set)
    return make_dataset(
        texts,
        target,
        label_set=label_set,
        card="goemotions",
        split=split,
        return_X_y=return_X_y,
        as_frame=as_frame,
        labels=labels,
        subset=subset,
    )


@shared_parameters
def load_goemotions_sample(
    split: str = "train",
    *,
    return_X_y: bool = False,
    as_frame: bool = False,
    labels: Sequence[str] | None = None,
) -> Bunch | tuple:
    """Load the small GoEmotions sample that ships with skemo.

    About 1000 training and 400 test comments (exactly 1005 and 411) drawn
    from GoEmotions 'original' by multi-label stratification, topped up so
    that every one of the 28 labels has at least 8 positives in 'train' and
    3 in 'test'; ``DESCR`` gives the exact recipe. Meant for tests, examples
    and quick experiments; no download needed.

    Parameters
    ----------
    split : {"train", "test"}, default="train"
        Drawn from GoEmotions' train and test splits respectively.
    {output_parameters}

    Returns
    -------
    sklearn.utils.Bunch or tuple
        As :func:`load_goemotions` with ``subset="original"``.

    Raises
    ------
    ValueError
        If ``split`` is not "train" or "test".

    Examples
    --------
    >>> from skemo.datasets import load_goemotions_sample
    >>> X, y = load_goemotions_sample(return_X_y=True)
    >>> len(X), y.shape
    (1005, (1005, 28))
    >>> few = load_goemotions_sample(labels=["joy", "anger"])
    >>> few.target_names, few.target.shape[1], bool(few.target.any(axis=1).all())
    (['joy', 'anger'], 2, True)
    >>> sample = load_goemotions_sample(as_frame=True)  # needs pandas
    >>> sample.frame.shape, sample.data.name, sample.target.columns[0]
    ((1005, 29), 'text', 'admiration')
    """
    check_option("split", split, ("train", "test"))
    path = DATA_DIR / "goemotions_sample" / f"{split}.tsv"
    texts, target = _read_tsv(path, "goemotions")
    return make_dataset(
        texts,
        target,
        label_set="goemotions",
        card="goemotions_sample",
        split=split,
        return_X_y=return_X_y,
        as_frame=as_frame,
        labels=labels,
    )
