"""Label texts: what the label-aware methods encode for each label.

A label's text is its name joined with its description by a method-specific
template (``"{name}: {description}"`` for the similarity methods,
``"{name} <#> {description}"`` for TACO). Descriptions come from skemo's
built-in label metadata, looked up by label name; a user dict overrides them,
and a label with no description falls back to its bare name with a warning.
"""

import warnings

from .label_metadata import label_descriptions as builtin_descriptions


def describe_labels(names, descriptions=None):
    """A description for every label in ``names`` (built-in, overridden by ``descriptions``).

    Parameters
    ----------
    names : sequence of str
    descriptions : dict of str to str, or None

    Returns
    -------
    dict of str to str or None
        None for labels that have no description anywhere.

    Examples
    --------
    >>> from skemo.label_texts import describe_labels
    >>> describe_labels(["nostalgia"], {"nostalgia": "longing for the past"})
    {'nostalgia': 'longing for the past'}
    """
    if descriptions is not None and not isinstance(descriptions, dict):
        raise TypeError("label_descriptions must be a dict {label: description} or None; "
                        f"got {type(descriptions).__name__}.")
    lookup = {**builtin_descriptions(), **(descriptions or {})}
    return {name: lookup.get(name) for name in names}


def label_texts(names, descriptions=None, template="{name}: {description}"):
    """The text to encode for each label, in the order of ``names``.

    Parameters
    ----------
    names : sequence of str
    descriptions : dict of str to str, or None
        Overrides of the built-in descriptions.
    template : str
        Format with ``{name}`` and ``{description}`` fields.

    Returns
    -------
    list of str

    Examples
    --------
    >>> from skemo.label_texts import label_texts
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
