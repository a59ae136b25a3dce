"""skemo: scikit-learn-compatible fine-grained emotion classification of text.

Estimators wrap Hugging Face encoders through skorch and behave like
scikit-learn classifiers: ``fit`` / ``predict_proba`` / ``predict`` /
``score``, ``clone``, ``Pipeline``, ``GridSearchCV`` and pickling.
"""

from .base import EmotionClassifierBase
from .checkpoint_selection import SelectCheckpoint
from .definition_auxiliary import DefinitionAuxiliaryClassifier
from .dual_objective import DualObjectiveClassifier
from .encoders import DEFAULT_ENCODER
from .finetuned import FineTunedEmotionClassifier
from .multihead_valence import MultiHeadValenceClassifier
from .persistence import load
from .similarity import SimilarityEmotionClassifier
from .taco import TACOClassifier

__version__ = "0.1.0"


def all_estimators():
    """The public skemo estimators, as ``(name, class)`` pairs sorted by name.

    Examples
    --------
    >>> from skemo import all_estimators
    >>> dict(all_estimators())["FineTunedEmotionClassifier"].__name__
    'FineTunedEmotionClassifier'
    """
    found = {}
    pending = list(EmotionClassifierBase.__subclasses__())
    while pending:
        klass = pending.pop()
        pending.extend(klass.__subclasses__())
        concrete = klass.module is not None and klass.criterion is not None
        if concrete and klass.__module__.startswith("skemo.") and not klass.__name__.startswith("_"):
            found[klass.__name__] = klass
    return sorted(found.items())


__all__ = [
    "DEFAULT_ENCODER",
    "DefinitionAuxiliaryClassifier",
    "DualObjectiveClassifier",
    "EmotionClassifierBase",
    "FineTunedEmotionClassifier",
    "MultiHeadValenceClassifier",
    "SelectCheckpoint",
    "SimilarityEmotionClassifier",
    "TACOClassifier",
    "all_estimators",
    "load",
]
