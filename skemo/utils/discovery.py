"""Discovery of skemo's estimators (as :func:`sklearn.utils.discovery.all_estimators`)."""


def all_estimators():
    """The public skemo estimators, as ``(name, class)`` pairs sorted by name.

    Returns
    -------
    list of (str, type)
        Every concrete :class:`~skemo.base.EmotionClassifierBase` subclass
        defined in skemo whose name is public.

    Examples
    --------
    >>> from skemo.utils.discovery import all_estimators
    >>> dict(all_estimators())["FineTunedEmotionClassifier"].method_key
    'finetuned'
    """
    from skemo.base import EmotionClassifierBase
    from skemo.methods import METHODS  # noqa: F401  (imports every method module)

    found = {}
    pending = list(EmotionClassifierBase.__subclasses__())
    while pending:
        klass = pending.pop()
        pending.extend(klass.__subclasses__())
        concrete = klass.module is not None and klass.criterion is not None
        if (concrete and klass.__module__.startswith("skemo.")
                and not klass.__name__.startswith("_")):
            found[klass.__name__] = klass
    return sorted(found.items())


def method_registry():
    """``method_key`` -> estimator class of every skemo method.

    Returns
    -------
    dict of str to type

    Examples
    --------
    >>> from skemo.utils.discovery import method_registry
    >>> method_registry()["taco"].__name__
    'TACOClassifier'
    """
    from skemo.methods import METHODS

    return dict(METHODS)


__all__ = ["all_estimators", "method_registry"]
