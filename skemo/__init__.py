"""skemo: scikit-learn-compatible fine-grained emotion classification of text.

Estimators wrap Hugging Face encoders through skorch and behave like
scikit-learn classifiers: ``fit`` / ``predict_proba`` / ``predict`` /
``score``, ``clone``, ``Pipeline``, ``GridSearchCV`` and pickling.

The names below are imported lazily, on first use, so that ``import skemo``
(and ``skemo --help``) does not load torch.
"""

import importlib
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("skemo")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

#: Public name -> the module that defines it.
_LAZY = {
    "EmotionClassifierBase": "skemo.base",
    "DefinitionAuxiliaryClassifier": "skemo.methods",
    "DualObjectiveClassifier": "skemo.methods",
    "FineTunedEmotionClassifier": "skemo.methods",
    "MultiHeadValenceClassifier": "skemo.methods",
    "SimilarityEmotionClassifier": "skemo.methods",
    "TACOClassifier": "skemo.methods",
    "SelectCheckpoint": "skemo.callbacks",
    "DEFAULT_ENCODER": "skemo.nn.encoder",
    "load": "skemo.persistence",
    "pretrained": "skemo.hub",
    "from_pretrained": "skemo.hub",
    "all_estimators": "skemo.utils.discovery",
}


def __getattr__(name):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'skemo' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *_LAZY])


__all__ = sorted(_LAZY)
