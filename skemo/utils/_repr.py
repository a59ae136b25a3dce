"""A scikit-learn style ``repr`` of estimators: the class and its non-default parameters."""

import inspect
import pprint

#: Lines of a repr are wrapped at this width, as scikit-learn's are.
REPR_WIDTH = 88


def _default_params(estimator):
    """The parameters of a default instance of ``type(estimator)``.

    Parameters without a default are passed as ``estimator`` has them (and
    left out of the result: they are always shown).
    """
    cls = type(estimator)
    required = [name for name, p in inspect.signature(cls).parameters.items()
                if p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    params = estimator.get_params(deep=False)
    defaults = cls(**{name: params[name] for name in required}).get_params(deep=False)
    return {name: value for name, value in defaults.items() if name not in required}


def changed_params(estimator):
    """The parameters of ``estimator`` that differ from its class's defaults.

    Parameters
    ----------
    estimator : sklearn.base.BaseEstimator

    Returns
    -------
    dict
        In the order of the class's signature, then by name.
    """
    defaults = _default_params(estimator)
    params = estimator.get_params(deep=False)
    order = list(inspect.signature(type(estimator)).parameters)
    names = sorted(params, key=lambda name: (order.index(name) if name in order
                                             else len(order), name))
    return {name: params[name] for name in names
            if name not in defaults or not _same(params[name], defaults[name])}


def _same(value, default):
    return value is default or (type(value) is type(default)
                                and repr(value) == repr(default))


def _value_repr(value, width):
    """Classes and functions by name; containers pretty-printed within ``width``;
    other objects of multi-line repr (a transformers config) by their class."""
    if inspect.isclass(value) or inspect.isfunction(value):
        return value.__qualname__
    if isinstance(value, (list, tuple, dict, set)):
        return pprint.pformat(value, width=max(width, 20), compact=True)
    text = repr(value)
    return f"{type(value).__name__}(...)" if "\n" in text else text


def estimator_repr(estimator):
    """``ClassName(param=value, ...)`` with the non-default parameters only.

    Parameters
    ----------
    estimator : sklearn.base.BaseEstimator

    Returns
    -------
    str
        Wrapped at :data:`REPR_WIDTH` characters, continuation lines aligned
        after the opening parenthesis.
    """
    head = f"{type(estimator).__name__}("
    indent = " " * len(head)
    changed = changed_params(estimator)
    lines, line = [], head
    for i, (key, value) in enumerate(changed.items()):
        text = _value_repr(value, REPR_WIDTH - len(indent) - len(key) - 2)
        item = f"{key}={text}".replace("\n", "\n" + indent + " " * (len(key) + 1))
        item += "," if i < len(changed) - 1 else ""
        first = item.split("\n")[0]
        if line != head and ("\n" in item or len(line) + 1 + len(first) > REPR_WIDTH):
            lines.append(line)
            line = indent + item
        else:
            line += ("" if line == head else " ") + item
    lines.append(line + ")")
    return "\n".join(lines)
