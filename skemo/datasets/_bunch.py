"""What every dataset loader shares: argument checks and the returned Bunch."""

import numpy as np
from sklearn.utils import Bunch

from skemo.labels import label_descriptions
from skemo.utils._package_data import load_json

SPLITS = ("train", "dev", "test")


def check_option(name, value, allowed):
    """Raise a ValueError listing ``allowed`` unless ``value`` is one of them."""
    if value not in allowed:
        raise ValueError(
            f"{name} must be one of {', '.join(map(repr, allowed))}; got {value!r}."
        )


def make_dataset(texts, target, *, label_set, card, split, return_X_y, subset=None,
                 labels=None):
    """Package texts and targets as loaders return them.

    Parameters
    ----------
    texts : list of str
    target : ndarray
        Indicator matrix (multi-label) or 1-D class ids (single-label).
    label_set : str
        Name in :data:`skemo.labels.LABEL_SETS`; gives
        ``target_names`` (in class-id order) and ``descriptions``.
    card : str
        Key of ``skemo/data/dataset_cards.json`` for ``DESCR``.
    split : str
    return_X_y : bool
    subset : str, default=None
        Named after the card's title in ``DESCR``.
    labels : list of str, default=None
        Keep these labels and the texts that carry one of them.

    Returns
    -------
    Bunch or tuple
        ``(texts, target)`` if ``return_X_y``, else a Bunch with ``data``,
        ``target``, ``target_names``, ``descriptions`` and ``DESCR``.
    """
    descriptions = label_descriptions(label_set)
    if labels is not None:
        texts, target, descriptions = _keep_labels(texts, target, descriptions, labels)
    if return_X_y:
        return texts, target
    info = load_json("dataset_cards.json")[card]
    kind = "multi-label" if target.ndim == 2 else "single-label"
    title = info["title"] if subset is None else f"{info['title']}, {subset} subset"
    descr = "\n".join(
        [
            f"{title}: {split} split, {len(texts)} texts, "
            f"{len(descriptions)} labels ({kind})"
            + ("." if labels is None else ": only these and their texts."),
            "",
            f"Source: {info['source']}",
            f"Citation: {info['citation']}",
            f"License: {info['license']}",
            f"Format: {info['format']}",
        ]
    )
    return Bunch(
        data=texts,
        target=target,
        target_names=list(descriptions),
        descriptions=descriptions,
        DESCR=descr,
    )


def _keep_labels(texts, target, descriptions, labels):
    """The texts, target columns (or class ids) and descriptions of ``labels`` only."""
    names = list(descriptions)
    labels = list(labels)
    unknown = [label for label in labels if label not in descriptions]
    if unknown or not labels or len(set(labels)) < len(labels):
        raise ValueError(
            f"labels must be distinct names among {names}; got {labels}"
            + (f" (unknown: {unknown})." if unknown else "."))
    ids = [names.index(label) for label in labels]
    if target.ndim == 2:
        target = target[:, ids]
        rows = np.flatnonzero(target.any(axis=1))
    else:
        rows = np.flatnonzero(np.isin(target, ids))
        new_ids = np.full(len(names), -1, dtype=target.dtype)
        new_ids[ids] = np.arange(len(ids))
        target = new_ids[target]
    return ([texts[i] for i in rows], target[rows],
            {label: descriptions[label] for label in labels})
