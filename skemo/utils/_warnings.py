"""Warnings about the data a fit is given, shown once per message rather than once per fit.

A cross-validation fits one data set many times. Python's default action
shows a warning once per call site, but it forgets what it has shown
whenever the warning filters change -- and scikit-learn's ``Parallel``
re-installs the caller's filters for every fold it runs (as does any
``warnings.catch_warnings`` block), so the same warning about the data
would be printed once per fold. :func:`warn_once_per_message` remembers
the messages it has shown for the whole process instead.
"""

import sys
import warnings

#: (category, message) of the warnings shown under a once-only action.
_SHOWN = set()


def _filter_action(message, category, module, lineno):
    """The action of the first entry of ``warnings.filters`` that matches the warning."""
    for action, text, kind, where, line in warnings.filters:
        if ((text is None or text.match(message)) and issubclass(category, kind)
                and (where is None or where.match(module)) and line in (0, lineno)):
            return action
    return warnings.defaultaction


def warn_once_per_message(message, category=UserWarning, *, stacklevel=1):
    """``warnings.warn``, but a message Python would show once is shown once per process.

    Where the warning filters give the warning the action ``"default"``,
    ``"module"`` or ``"once"``, a message already shown is not shown again,
    whatever filter changes came in between. The other actions
    (``"always"``, ``"error"``, ``"ignore"``, and so ``pytest.warns``) apply
    as they do to ``warnings.warn``.

    Parameters
    ----------
    message : str
    category : type, default=UserWarning
    stacklevel : int, default=1
        As for ``warnings.warn``, counted from the caller of this function.

    Examples
    --------
    >>> import warnings
    >>> from skemo.utils._warnings import warn_once_per_message
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("default")
    ...     for _ in range(3):
    ...         with warnings.catch_warnings():  # filters change, as in each fold
    ...             warn_once_per_message("the data set is small")
    >>> len(caught)
    1
    """
    try:
        frame = sys._getframe(stacklevel)  # the frame warnings.warn names
        module, lineno = frame.f_globals.get("__name__", "sys"), frame.f_lineno
    except ValueError:  # a stack shallower than stacklevel: warnings.warn says "sys"
        module, lineno = "sys", 1
    if _filter_action(message, category, module, lineno) in ("default", "module", "once"):
        if (category, message) in _SHOWN:
            return
        _SHOWN.add((category, message))
    warnings.warn(message, category, stacklevel=stacklevel + 1)
