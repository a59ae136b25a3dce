"""What every dataset loader shares: argument checks and the returned Bunch."""

from sklearn.utils import Bunch

from skemo.label_metadata import label_descriptions
from skemo.package_data import load_json

SPLITS = ("train", "dev", "test")


def check_option(name, value, allowed):
    """Raise a ValueError listing ``allowed`` unless ``value`` is one of them."""
    if value not in allowed:
        raise ValueError(
            f"{name} must be one of {', '.join(map(repr, allowed))}; got {value!r}."
        )


def make_dataset(texts, target, *, label_set, card, split, return_X_y, subset=None):
    """Package texts and targets as loaders return them.

    Parameters
    ----------
    texts : list of str
    target : ndarray
        Indicator matrix (multi-label) or 1-D class ids (single-label).
    label_set : str
        Name in :data:`skemo.label_metadata.LABEL_SETS`; gives
        ``target_names`` (in class-id order) and ``descriptions``.
    card : str
        Key of ``skemo/data/dataset_cards.json`` for ``DESCR``.
    split : str
    return_X_y : bool
    subset : str, default=None
        Named after the card's title in ``DESCR``.

    Returns
    -------
    Bunch or tuple
        ``(texts, target)`` if ``return_X_y``, else a Bunch with ``data``,
        ``target``, ``target_names``, ``descriptions`` and ``DESCR``.
    """
    if return_X_y:
        return texts, target
    descriptions = label_descriptions(label_set)
    info = load_json("dataset_cards.json")[card]
    kind = "multi-label" if target.ndim == 2 else "single-label"
    title = info["title"] if subset is None else f"{info['title']}, {subset} subset"
    descr = "\n".join(
        [
            f"{title}: {split} split, {len(texts)} texts, "
            f"{len(descriptions)} labels ({kind}).",
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
