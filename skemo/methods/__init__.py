"""skemo's methods: one paper, one module holding its model, loss and estimator.

Each estimator declares its registry key in the class attribute
``method_key``, which is also the name of its module and its ``--method``
on the command line. :data:`METHOD_KEYS` lists the keys from the module
names without importing anything heavy (the command line's help uses it);
:data:`METHODS` maps each key to its estimator class, built from the
``method_key`` attributes. The CLI, the benchmarks and the documentation
take their lists from these two.

=========================  ==================================================
key                        estimator
=========================  ==================================================
``definition_auxiliary``   :class:`DefinitionAuxiliaryClassifier`
``dual_objective``         :class:`DualObjectiveClassifier`
``finetuned``              :class:`FineTunedEmotionClassifier` (the baseline)
``multihead_valence``      :class:`MultiHeadValenceClassifier`
``similarity``             :class:`SimilarityEmotionClassifier`
``taco``                   :class:`TACOClassifier`
=========================  ==================================================

The estimators are imported on first use, so ``import skemo.methods`` does
not load torch.
"""

import importlib
import pkgutil

#: The method keys, sorted: the public modules of this package (each holds the
#: estimator whose ``method_key`` it is).
METHOD_KEYS = tuple(sorted(
    info.name for info in pkgutil.iter_modules(__path__) if not info.name.startswith("_")))

_ESTIMATORS = {
    "DefinitionAuxiliaryClassifier": "definition_auxiliary",
    "DualObjectiveClassifier": "dual_objective",
    "FineTunedEmotionClassifier": "finetuned",
    "MultiHeadValenceClassifier": "multihead_valence",
    "SimilarityEmotionClassifier": "similarity",
    "TACOClassifier": "taco",
    "LabelTextClassifierBase": "_label_text",
}


def _methods():
    """``method_key`` -> estimator class, from the classes' own attribute."""
    registry = {}
    for name, module in _ESTIMATORS.items():
        klass = getattr(importlib.import_module(f"{__name__}.{module}"), name)
        if klass.method_key is not None:
            registry[klass.method_key] = klass
    return dict(sorted(registry.items()))


def __getattr__(name):
    if name == "METHODS":
        value = _methods()
    elif name in _ESTIMATORS:
        value = getattr(importlib.import_module(f"{__name__}.{_ESTIMATORS[name]}"), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return sorted([*globals(), "METHODS", *_ESTIMATORS])


__all__ = ["METHODS", "METHOD_KEYS", *sorted(_ESTIMATORS)]
