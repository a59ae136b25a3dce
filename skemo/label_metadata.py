"""Names, descriptions and circumplex coordinates of emotion labels.

The label sets are those of the datasets in :mod:`skemo.datasets`. The text
and numbers live in ``skemo/data/label_descriptions.json`` and
``skemo/data/circumplex.json``; the ``"_sources"`` and ``"_source"`` entries
of those files say where each part comes from.
"""

from skemo.package_data import load_json

__all__ = [
    "LABEL_SETS",
    "circumplex_coordinates",
    "label_descriptions",
    "label_names",
]

#: Names of the label sets known to skemo, one per dataset (or subset).
LABEL_SETS = tuple(
    name for name in load_json("label_descriptions.json") if not name.startswith("_")
)


def _label_set(label_set):
    """Return the ``{label: description}`` dict of one label set, in class-id order."""
    if label_set not in LABEL_SETS:
        raise ValueError(
            f"Unknown label set {label_set!r}; expected one of {', '.join(LABEL_SETS)}."
        )
    return load_json("label_descriptions.json")[label_set]


def label_names(label_set):
    """Return the label names of a label set in class-id order.

    Parameters
    ----------
    label_set : str
        One of :data:`LABEL_SETS`.

    Returns
    -------
    list of str
        ``names[i]`` is the name of class id ``i`` in the matching
        :mod:`skemo.datasets` loader.

    Raises
    ------
    ValueError
        If ``label_set`` is not in :data:`LABEL_SETS`.

    Examples
    --------
    >>> from skemo.label_metadata import label_names
    >>> label_names("emotion")
    ['sadness', 'joy', 'love', 'anger', 'fear', 'surprise']
    """
    return list(_label_set(label_set))


def label_descriptions(label_set=None):
    """Return a one-sentence (or longer) description of each emotion label.

    Parameters
    ----------
    label_set : str or None, default=None
        One of :data:`LABEL_SETS`. If None, the descriptions of all sets are
        merged into one dict keyed by label name; where several sets
        describe the same name, the GoEmotions (``"goemotions"``) rater
        definition wins, then the first set in :data:`LABEL_SETS` order.

    Returns
    -------
    dict of str to str
        ``{label: description}``, in class-id order for a single set.

    Raises
    ------
    ValueError
        If ``label_set`` is neither None nor in :data:`LABEL_SETS`.

    Examples
    --------
    >>> from skemo.label_metadata import label_descriptions
    >>> label_descriptions("goemotions")["annoyance"]
    'Mild anger, irritation.'
    >>> "trusting" in label_descriptions()
    True
    """
    if label_set is not None:
        return _label_set(label_set)
    all_sets = load_json("label_descriptions.json")
    merged = dict(all_sets["goemotions"])
    for name in LABEL_SETS:
        for label, description in all_sets[name].items():
            merged.setdefault(label, description)
    return merged


def circumplex_coordinates():
    """Return the (valence, arousal) position of every emotion label.

    The positions are hand-placed approximations after the figures of
    Russell (1980) and Scherer (2005), not measured norms; see the
    ``"_source"`` entry of ``skemo/data/circumplex.json``. Every label name of
    every set in :data:`LABEL_SETS` has an entry, and ``neutral`` is the
    origin.

    Returns
    -------
    dict of str to tuple of (float, float)
        ``{emotion: (valence, arousal)}`` with both values in [-1, 1];
        positive valence is pleasant, positive arousal is activated.

    Examples
    --------
    >>> from skemo.label_metadata import circumplex_coordinates
    >>> valence, arousal = circumplex_coordinates()["sadness"]
    >>> valence < 0 and arousal < 0
    True
    """
    emotions = load_json("circumplex.json")["emotions"]
    return {name: (float(v), float(a)) for name, (v, a) in emotions.items()}
