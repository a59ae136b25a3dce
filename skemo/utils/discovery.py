"""The method registry and discovery of the estimators (sklearn's ``all_estimators``).

A method is registered by its class: every subclass of
:class:`~skemo.base.EmotionClassifierBase` that declares a ``method_key`` of
its own registers itself under that key when it is defined
(:class:`RegisteredMethod`, which the base inherits). skemo's own methods
are the public modules of :mod:`skemo.methods`, imported here on first use;
a method defined in another package is registered once its module is
imported. The command line (``skemo fit --method``), the package's
estimator names (``skemo.TACOClassifier``), the documentation's tables, the
benchmarks and :mod:`skemo.utils.estimator_checks` take their lists from
:func:`method_registry` and :func:`all_estimators`.

Nothing here imports torch until an estimator is asked for.
"""

import importlib
import importlib.util
import pkgutil

#: skemo's method keys, sorted: the public modules of :mod:`skemo.methods` (each holds
#: the estimator whose ``method_key`` it is), found without importing them.
METHOD_KEYS = tuple(sorted(
    info.name
    for info in pkgutil.iter_modules(
        importlib.util.find_spec("skemo.methods").submodule_search_locations)
    if not info.name.startswith("_")))

#: method key -> estimator class, in the order the classes were defined.
_REGISTRY = {}


class RegisteredMethod:
    """Registers each subclass that declares its own ``method_key`` (see the module docstring).

    A second class with a key already taken by another class raises
    ValueError; a class defined again under the same ``module:qualname``
    (a reloaded module) replaces the first.
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        key = vars(cls).get("method_key")
        if key is None:
            return
        known = _REGISTRY.get(key)
        if known is not None and _qualified(known) != _qualified(cls):
            raise ValueError(f"the method key {key!r} of {_qualified(cls)} is already the "
                             f"key of {_qualified(known)}; choose another method_key.")
        _REGISTRY[key] = cls


def _qualified(klass):
    return f"{klass.__module__}.{klass.__qualname__}"


def method_registry():
    """``method_key`` -> estimator class of every registered method, sorted by key.

    skemo's own methods are imported first; the methods of other packages
    are there once their modules are imported.

    Returns
    -------
    dict of str to type

    Examples
    --------
    >>> from skemo.utils.discovery import method_registry
    >>> method_registry()["taco"].__name__
    'TACOClassifier'
    """
    for key in METHOD_KEYS:
        importlib.import_module(f"skemo.methods.{key}")
    return dict(sorted(_REGISTRY.items()))


def all_estimators():
    """The registered estimators, as ``(name, class)`` pairs sorted by name.

    Returns
    -------
    list of (str, type)
        The class of every method of :func:`method_registry`.

    Examples
    --------
    >>> from skemo.utils.discovery import all_estimators
    >>> dict(all_estimators())["FineTunedEmotionClassifier"].method_key
    'finetuned'
    """
    return sorted(((klass.__name__, klass) for klass in method_registry().values()),
                  key=lambda pair: (pair[0], _qualified(pair[1])))


__all__ = ["METHOD_KEYS", "RegisteredMethod", "all_estimators", "method_registry"]
