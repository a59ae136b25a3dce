"""Access to the data files shipped inside the ``skemo`` package.

Everything that is data rather than code (label descriptions, circumplex
coordinates, dataset checksums, dataset cards) lives as JSON under
``skemo/data/`` and is read through :func:`load_json`. The few non-JSON files
there (the GoEmotions sample TSVs) are opened from :data:`DATA_DIR`.
"""

import json
from importlib.resources import files

__all__ = ["DATA_DIR", "load_json"]

#: Folder of the package data files (an ``importlib.resources`` Traversable).
DATA_DIR = files("skemo") / "data"


def load_json(name):
    """Read and parse a JSON file shipped in ``skemo/data/``.

    The file is parsed again on every call, so the caller owns the returned
    object and may modify it freely without affecting later calls.

    Parameters
    ----------
    name : str
        File name relative to ``skemo/data/``, e.g. ``"circumplex.json"``.

    Returns
    -------
    object
        The parsed JSON document (usually a dict).

    Raises
    ------
    FileNotFoundError
        If no such file is shipped with the package.

    Examples
    --------
    >>> from skemo.utils._package_data import load_json
    >>> coordinates = load_json("circumplex.json")
    >>> coordinates["emotions"]["neutral"]
    [0.0, 0.0]
    """
    text = (DATA_DIR / name).read_text(encoding="utf-8")
    return json.loads(text)
