"""Emotion labels: names, descriptions, circumplex coordinates and label texts.

The label sets are those of the datasets in :mod:`skemo.datasets`. The text
and numbers live in ``skemo/data/label_descriptions.json`` and
``skemo/data/circumplex.json``; the ``"_sources"`` and ``"_source"`` entries
of those files say where each part comes from.

A label's *text* -- what the label-aware methods encode for it -- is its
name joined with its description by a method-specific template
(``"{name}: {description}"`` for the similarity methods,
``"{name} <#> {description}"`` for TACO); a user dict overrides the built-in
descriptions, and a label with no description falls back to its bare name
with a warning.
"""

import warnings

from skemo.utils._package_data import load_json

__all__ = [
    "LABEL_SETS",
    "circumplex_coordinates",
    "describe_labels",
    "label_descriptions",
    "label_names",
    "label_texts",
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
    >>> from skemo.labels import label_names
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
    >>> from skemo.labels import label_descriptions
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
    >>> from skemo.labels import circumplex_coordinates
    >>> valence, arousal = circumplex_coordinates()["sadness"]
    >>> valence < 0 and arousal < 0
    True
    """
    emotions = load_json("circumplex.json")["emotions"]
    return {name: (float(v), float(a)) for name, (v, a) in emotions.items()}

def describe_labels(names, descriptions=None):
    """A description for every label in ``names`` (built-in, overridden by ``descriptions``).

    Parameters
    ----------
    names : sequence of str
        Label names.
    descriptions : dict of str to str, or None
        Descriptions by label name, used instead of the built-in ones; None: the
        built-in ones.

    Returns
    -------
    dict of str to str or None
        None for labels that have no description anywhere.

    Examples
    --------
    >>> from skemo.labels import describe_labels
    >>> describe_labels(["nostalgia"], {"nostalgia": "longing for the past"})
    {'nostalgia': 'longing for the past'}
    """
    if descriptions is not None and not isinstance(descriptions, dict):
        raise TypeError("label_descriptions must be a dict {label: description} or None; "
                        f"got {type(descriptions).__name__}.")
    lookup = {**label_descriptions(), **(descriptions or {})}
    return {name: lookup.get(name) for name in names}


def label_texts(names, descriptions=None, template="{name}: {description}"):
    """The text to encode for each label, in the order of ``names``.

    Parameters
    ----------
    names : sequence of str
        Label names.
    descriptions : dict of str to str, or None
        Overrides of the built-in descriptions.
    template : str
        Format with ``{name}`` and ``{description}`` fields.

    Returns
    -------
    list of str

    Examples
    --------
    >>> from skemo.labels import label_texts
    >>> label_texts(["calm"], {"calm": "free from agitation"})
    ['calm: free from agitation']
    """
    described = describe_labels(names, descriptions)
    missing = [name for name, text in described.items() if not text]
    if missing:
        warnings.warn(f"no description for label(s) {missing}; their bare names are used. "
                      "Pass label_descriptions={label: text} to describe them.",
                      UserWarning, stacklevel=3)
    return [template.format(name=name, description=text) if text else name
            for name, text in described.items()]
