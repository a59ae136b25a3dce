"""What every dataset loader shares: argument checks, parameter docs and the returned Bunch."""

import numpy as np

from skemo.labels import label_descriptions
from skemo.utils._package_data import load_json

SPLITS = ("train", "dev", "test")


#: Docstring lines of the parameters every loader shares, by their marker.
_SHARED_PARAMETERS = {
    "{download_if_missing}": """\
    download_if_missing : bool, default=True
        Download an absent file from its commit-pinned GitHub URL and check its
        sha256.
""",
    "{output_parameters}": """\
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.
    as_frame : bool, default=False
        Return pandas objects, as scikit-learn's loaders do: ``data`` a
        Series of str named ``"text"``, ``target`` a DataFrame with one uint8
        column per label (multi-label) or a Series named ``"label"``
        (single-label), and the Bunch's ``frame`` both side by side.
        Needs pandas.
    labels : list of str, default=None
        Keep only these labels, in this order (they become ``target_names``),
        and only the texts that carry one of them.
""",
}


def shared_parameters(loader):
    """Write the shared parameter entries into ``loader``'s docstring.

    Each marker of :data:`_SHARED_PARAMETERS`, alone on a line of the
    docstring's Parameters section, becomes its entries, so that every loader
    documents ``return_X_y``, ``as_frame``, ``labels`` (and
    ``download_if_missing``) in the same words.
    """
    doc = loader.__doc__
    for marker, text in _SHARED_PARAMETERS.items():
        doc = doc.replace(f"    {marker}\n", text)
    loader.__doc__ = doc
    return loader


def check_option(name, value, allowed):
    """Raise a ValueError listing ``allowed`` unless ``value`` is one of them."""
    if value not in allowed:
        raise ValueError(
            f"{name} must be one of {', '.join(map(repr, allowed))}; got {value!r}."
        )


def make_dataset(texts, target, *, label_set, card, split, return_X_y, as_frame=False,
                 subset=None, labels=None):
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
    as_frame : bool, default=False
        Texts, targets and their ``frame`` as pandas objects (see :func:`as_frames`).
    subset : str, default=None
        Named after the card's title in ``DESCR``.
    labels : list of str, default=None
        Keep these labels and the texts that carry one of them.

    Returns
    -------
    Bunch or tuple
        ``(texts, target)`` if ``return_X_y``, else a Bunch with ``data``,
        ``target``, ``target_names``, ``descriptions`` and ``DESCR`` (and
        ``frame`` with ``as_frame``).
    """
    from sklearn.utils import Bunch

    descriptions = label_descriptions(label_set)
    if labels is not None:
        texts, target, descriptions = _keep_labels(texts, target, descriptions, labels)
    frame = None
    if as_frame:
        texts, target, frame = as_frames(texts, target, list(descriptions))
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
        **({} if frame is None else {"frame": frame}),
    )


def as_frames(texts, target, target_names):
    """The texts, target and both together as pandas objects.

    Parameters
    ----------
    texts : list of str
    target : ndarray
        Indicator matrix (multi-label) or 1-D class ids (single-label).
    target_names : list of str

    Returns
    -------
    data : pandas.Series
        The texts, named ``"text"`` (what skemo's estimators take as ``X``).
    target : pandas.DataFrame or pandas.Series
        One uint8 column per label, named by ``target_names`` (multi-label),
        or the class ids named ``"label"`` (single-label).
    frame : pandas.DataFrame
        ``data`` and ``target`` side by side.

    Examples
    --------
    >>> import numpy as np
    >>> from skemo.datasets._bunch import as_frames
    >>> data, target, frame = as_frames(["yay", "meh"], np.array([[1, 0], [0, 1]]),
    ...                                 ["joy", "neutral"])
    >>> list(frame.columns), target["joy"].tolist()
    (['text', 'joy', 'neutral'], [1, 0])
    """
    try:
        import pandas as pd
    except ImportError as error:
        raise ImportError("as_frame=True needs pandas: pip install 'skemo[pandas]'") from error
    data = pd.Series(texts, name="text", dtype=object)
    if target.ndim == 2:
        target = pd.DataFrame(target, columns=target_names)
    else:
        target = pd.Series(target, name="label")
    return data, target, pd.concat([data, target], axis=1)


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
