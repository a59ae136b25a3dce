"""Loaders for emotion-classification benchmarks, in scikit-learn's style.

Every loader returns a :class:`sklearn.utils.Bunch` with ``data`` (list of
str), ``target``, ``target_names``, ``descriptions`` and ``DESCR``, or
``(data, target)`` with ``return_X_y=True``. Multi-label sets (GoEmotions,
SemEval-2018 E-c) give a binary indicator matrix; single-label sets (emotion,
TACO's GE-27 and ED-32) give 1-D class ids. ``as_frame=True`` gives pandas
objects instead (and a ``frame`` holding texts and targets), as scikit-learn's
loaders do. Files are read from :func:`get_data_home` and, when absent,
downloaded with :mod:`pooch` (streamed, retried, with a progress bar) and
checked against their recorded sha256; the GoEmotions sample ships with the
package. Importing this package does not import scikit-learn or pandas.

Each loader takes the split as its one positional argument
(``load_emotion("test")``), except :func:`load_goemotions`, which takes the
label subset and then the split (``load_goemotions("ekman", "dev")``); every
other argument is keyword-only.

:func:`~skemo.datasets.load_labelled_texts` reads your own labelled texts (CSV, TSV, JSON
lines or a DataFrame) into the same Bunch.

:data:`DATASETS` is the dataset registry: each loader under its name without
``load_`` (the ``--data`` of the command line and the benchmarks).
"""

from skemo.datasets._dair_emotion import load_emotion
from skemo.datasets._fetch import get_data_home
from skemo.datasets._files import load_labelled_texts
from skemo.datasets._goemotions import load_goemotions, load_goemotions_sample
from skemo.datasets._semeval2018 import load_semeval2018_ec
from skemo.datasets._taco import load_empathetic_dialogues, load_taco_goemotions

#: Dataset name -> loader: each loader's name without ``load_``.
DATASETS = {
    loader.__name__.removeprefix("load_"): loader
    for loader in (
        load_goemotions,
        load_goemotions_sample,
        load_semeval2018_ec,
        load_emotion,
        load_taco_goemotions,
        load_empathetic_dialogues,
    )
}

__all__ = [
    "DATASETS",
    "get_data_home",
    "load_emotion",
    "load_empathetic_dialogues",
    "load_goemotions",
    "load_goemotions_sample",
    "load_labelled_texts",
    "load_semeval2018_ec",
    "load_taco_goemotions",
]
