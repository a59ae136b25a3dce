"""skemo: scikit-learn-compatible fine-grained emotion classification of text.

Estimators wrap Hugging Face encoders through skorch and behave like
scikit-learn classifiers: ``fit`` / ``predict_proba`` / ``predict`` /
``score``, ``clone``, ``Pipeline``, ``GridSearchCV`` and pickling.

The names below are imported lazily, on first use, so that ``import skemo``
(and ``skemo --help``) does not load torch. The estimators are those of the
method registry (:func:`skemo.utils.discovery.method_registry`), so a new
method in :mod:`skemo.methods` is a name here without being listed.

Imports between skemo's modules go one way (``tests/test_layout.py`` checks
that no module imports, at its top or inside a function, one that imports it
back): the Hub (:mod:`skemo.hub`) on the estimators (:mod:`skemo.base`,
:mod:`skemo.methods`, :mod:`skemo.callbacks`), the estimators on the local
format (:mod:`skemo.persistence`), and each of them on the shared building
blocks (:mod:`skemo.nn`, :mod:`skemo.losses`, ``skemo.utils``). An import
is deferred into a function for one of two reasons only: the dependency is
optional or heavy for what the module is loaded for (``peft``, ``onnxruntime``,
``matplotlib``, ``huggingface_hub``, ``safetensors``, and torch for this
package and the command line's help), or the name is one of this package's
lazy names.
"""

import importlib
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("skemo")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

#: Public names besides the estimators -> the module that defines them.
_LAZY = {
    "EmotionClassifierBase": "skemo.base",
    "EmotionEnsemble": "skemo.ensemble",
    "distill": "skemo.distillation",
    "SelectCheckpoint": "skemo.callbacks",
    "DEFAULT_ENCODER": "skemo.nn.encoder",
    "load": "skemo.hub",
    "pretrained": "skemo.hub",
    "from_pretrained": "skemo.hub",
    "all_estimators": "skemo.utils.discovery",
}


def _estimators():
    """Class name -> class of skemo's own methods (imports them, and torch)."""
    from skemo.methods import _estimators

    return _estimators()


def __getattr__(name):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
    elif name == "__all__":
        return sorted([*_LAZY, *_estimators()])
    elif name[:1].isupper() and name in _estimators():  # an estimator class
        value = _estimators()[name]
    else:
        raise AttributeError(f"module 'skemo' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return sorted([*globals(), *_LAZY, *_estimators()])
