"""skemo's methods: one paper, one module holding its model, loss and estimator.

Each estimator declares its registry key in the class attribute
``method_key``, which is also the name of its module and its ``--method``
on the command line; the class registers itself under it
(:mod:`skemo.utils.discovery`). A new method is its module here, its test
file and its documentation page: the lists below, the command line, the
package's names, the documentation's tables, the benchmarks and the
estimator checks are derived from the registry.

:data:`METHOD_KEYS` lists skemo's keys from the module names without
importing anything heavy (the command line's help uses it); :data:`METHODS`
maps each registered key to its estimator class, importing the estimators
(and torch) on first use. The estimators, and the shared base of the
label-text methods (``LabelTextClassifierBase``), are also attributes of this
package (``skemo.methods.TACOClassifier``), imported on first use.
"""

from skemo.utils import discovery
from skemo.utils.discovery import method_registry

#: skemo's method keys, sorted: the public modules of this package (each holds the
#: estimator whose ``method_key`` it is), found without importing them.
METHOD_KEYS = discovery.METHOD_KEYS


def _estimators():
    """Class name -> estimator class of skemo's own methods."""
    return {klass.__name__: klass for klass in method_registry().values()
            if klass.__module__.startswith(f"{__name__}.")}


def __getattr__(name):
    if name == "METHODS":  # computed on each use: methods of other packages register later
        return method_registry()
    if name == "LabelTextClassifierBase":
        from skemo.methods._label_text import LabelTextClassifierBase

        return LabelTextClassifierBase
    if name[:1].isupper():
        estimators = _estimators()
        if name in estimators:
            return estimators[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), "METHODS", "LabelTextClassifierBase", *_estimators()])


__all__ = ["METHOD_KEYS", "METHODS"]
