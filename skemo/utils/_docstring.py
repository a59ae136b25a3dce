"""Signatures and docstrings of estimators that inherit their bases' parameters.

An estimator's ``__init__`` names only its own parameters and passes the
rest on through ``**kwargs``, so ``inspect.signature``, ``help()``, IDEs and
the API pages would show ``**kwargs`` where ``lr``, ``max_epochs`` or
``threshold`` belong. :func:`inherit_parameters` (called for every subclass
of :class:`~skemo.base.EmotionClassifierBase` when it is defined) composes

- the signature: the class's own parameters, then those of the next
  ``__init__`` up the inheritance chain that it does not name, keyword-only,
  then ``**kwargs`` (still there for skorch's prefixed parameters), set as the
  ``__signature__`` of the class's own ``__init__``;
- the numpydoc ``Parameters`` section: one entry per parameter of that
  signature, in its order, taken from the class's own docstring where it
  documents the parameter and from its bases' otherwise (an entry with a type
  line only keeps that line and borrows the base's description; an inherited
  ``default=`` that the subclass changed is rewritten), then ``**kwargs``;
- the ``Attributes`` section: the class's own entries, then its bases'.

Nothing else in the docstring changes. Like scikit-learn's, an estimator
stores every ``__init__`` argument under its own name, so the composed
signature is also what ``get_params`` returns, apart from skorch's
parameters.
"""

import ast
import inspect
import re

_SECTION_RULE = re.compile(r"^-{3,}$")

#: numpydoc sections that come after Parameters in a class docstring.
_AFTER_PARAMETERS = ("Attributes", "Methods", "See Also", "Notes", "References",
                     "Examples")


def inherit_parameters(cls, root=object):
    """Compose the signature and docstring of ``cls`` from its bases' (see the module).

    Parameters
    ----------
    cls : type
        A class whose ``__init__`` passes ``**kwargs`` on to its base's.
    root : type, default=object
        Entries are inherited from the docstrings of ``root`` and of its
        subclasses among the bases of ``cls`` only (not from, say, skorch's).

    Returns
    -------
    type
        ``cls``, changed in place.

    Examples
    --------
    >>> import inspect
    >>> class Base:
    ...     '''Base.
    ...
    ...     Parameters
    ...     ----------
    ...     lr : float, default=0.1
    ...         Learning rate.
    ...     '''
    ...     def __init__(self, *, lr=0.1):
    ...         self.lr = lr
    >>> @inherit_parameters
    ... class Child(Base):
    ...     '''Child.
    ...
    ...     Parameters
    ...     ----------
    ...     alpha : float, default=1.0
    ...         Weight.
    ...     '''
    ...     def __init__(self, alpha=1.0, **kwargs):
    ...         self.alpha = alpha
    ...         super().__init__(**kwargs)
    >>> inspect.signature(Child)
    <Signature (alpha=1.0, *, lr=0.1)>
    >>> print(Child.__doc__.split("----------")[1].strip())
    alpha : float, default=1.0
        Weight.
    lr : float, default=0.1
        Learning rate.
    """
    init = cls.__dict__.get("__init__")
    if init is not None:
        init.__signature__ = composed_signature(cls)
    cls.__doc__ = composed_docstring(cls, root)
    return cls


def _next_init(cls):
    """The ``__init__`` that ``super().__init__`` reaches from ``cls``."""
    return next(base.__dict__["__init__"] for base in cls.__mro__[1:]
                if "__init__" in base.__dict__)


def composed_signature(cls):
    """The signature of ``cls.__init__`` with the parameters its ``**kwargs`` passes on.

    Parameters
    ----------
    cls : type

    Returns
    -------
    inspect.Signature
        Includes ``self``, as the signature of a function does.
    """
    own = inspect.signature(cls.__dict__["__init__"])
    params = list(own.parameters.values())
    var_keyword = [p for p in params if p.kind is p.VAR_KEYWORD]
    if not var_keyword:
        return own
    named = {p.name for p in params}
    inherited = inspect.signature(_next_init(cls)).parameters.values()
    passed_on = [p.replace(kind=p.KEYWORD_ONLY) for p in inherited if p.name not in named
                 and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    # **kwargs stays where the base still takes keyword arguments it does not name
    rest = var_keyword if any(p.kind is p.VAR_KEYWORD for p in inherited) else []
    combined = [p for p in params if p.kind is not p.VAR_KEYWORD] + passed_on + rest
    return own.replace(parameters=sorted(combined, key=lambda p: p.kind))


# ------------------------------------------------------------------ docstrings
def split_sections(doc):
    """Split a numpydoc docstring into its preface and ``{title: lines}`` sections.

    Parameters
    ----------
    doc : str or None

    Returns
    -------
    preface : list of str
        The lines before the first section (summary and extended summary).
    sections : dict of str to list of str
        Each section's lines without its title and rule, in order.

    Examples
    --------
    >>> split_sections("Summary.\\n\\nNotes\\n-----\\nA note.\\n")
    (['Summary.', ''], {'Notes': ['A note.']})
    """
    lines = inspect.cleandoc(doc or "").splitlines()
    preface, sections, current = [], {}, None
    i = 0
    while i < len(lines):
        title = lines[i].strip()
        if (i + 1 < len(lines) and title and not lines[i].startswith(" ")
                and _SECTION_RULE.match(lines[i + 1].strip())
                and len(lines[i + 1].strip()) == len(title)):
            current = sections.setdefault(title, [])
            i += 2
            continue
        (preface if current is None else current).append(lines[i])
        i += 1
    return preface, sections


def join_sections(preface, sections):
    """The docstring of :func:`split_sections`' parts (the inverse of that function)."""
    parts = ["\n".join(preface).rstrip()]
    for title, lines in sections.items():
        body = "\n".join(lines).strip("\n")
        parts.append(f"{title}\n{'-' * len(title)}\n{body}")
    return "\n\n".join(part for part in parts if part) + "\n"


def parse_entries(lines):
    """``{name: (header, body lines)}`` of a Parameters or Attributes section.

    An entry starts at an unindented line (``name : type`` or ``name``); its
    description is the indented lines that follow. An entry that documents
    several names (``a, b : int``) is listed under each.
    """
    entries = {}
    body = None
    for line in lines:
        if line and not line.startswith(" "):
            body = []
            for name in line.split(" : ")[0].split(","):
                entries[name.strip()] = (line, body)
        elif body is not None:
            body.append(line)
    return {name: (header, _trim(body)) for name, (header, body) in entries.items()}


def _trim(lines):
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    return lines


def _inherited_entries(cls, title, root):
    """Entries of section ``title`` of the bases of ``cls`` under ``root``.

    Each name's entry is its nearest base's, except ``**kwargs``: the
    farthest base's (``root``'s) says what the keyword arguments that no
    base names are.
    """
    entries = {}
    for base in cls.__mro__[1:]:
        if not issubclass(base, root):
            continue
        for name, entry in parse_entries(split_sections(base.__doc__)[1].get(title, [])).items():
            if name.startswith("**") or name not in entries:
                entries[name] = entry
    return entries


def _format_default(value):
    return f'"{value}"' if isinstance(value, str) else repr(value)


def _with_default(header, parameter):
    """``header`` with its ``default=...`` set to ``parameter``'s default, if it differs."""
    match = re.search(r"default=(.*)$", header)
    if parameter is None or match is None:
        return header
    if parameter.default is parameter.empty:  # the subclass made it required
        return re.sub(r",?\s*default=.*$", "", header)
    try:
        if ast.literal_eval(match.group(1)) == parameter.default:
            return header
    except (ValueError, SyntaxError):
        pass
    return header[:match.start(1)] + _format_default(parameter.default)


def _parameter_entries(cls, own, inherited):
    """The Parameters section's lines: the composed signature's parameters, in order."""
    signature = inspect.signature(cls)
    names = [name for name, p in signature.parameters.items()
             if p.kind is not p.VAR_KEYWORD]
    names += [name for name in own if name not in names and not name.startswith("*")]
    names += [name for name in {**own, **inherited} if name.startswith("**")][:1]
    lines = []
    for name in names:
        header, body = own.get(name) or inherited.get(name) or (name, [])
        if name.startswith("**") and name in own and name in inherited:
            # the root's description of what **kwargs takes, then the class's own
            body = [*inherited[name][1], "", *body] if body != inherited[name][1] else body
        elif name in own and not body and name in inherited:
            body = inherited[name][1]
        elif name not in own:
            header = _with_default(header, signature.parameters.get(name))
        lines += [header, *body]
    return lines


def _attribute_entries(own_lines, inherited):
    """The Attributes section's lines: the class's own, then its bases' others."""
    own = parse_entries(own_lines)
    lines = list(_trim(own_lines))
    headers = set()
    for name, (header, body) in inherited.items():
        if name not in own and header not in headers:
            headers.add(header)
            lines += [header, *body]
    return lines


def composed_docstring(cls, root=object):
    """The docstring of ``cls`` with the Parameters and Attributes of its bases added.

    Parameters
    ----------
    cls : type
    root : type, default=object
        See :func:`inherit_parameters`.

    Returns
    -------
    str
    """
    preface, sections = split_sections(cls.__doc__)
    own_parameters = parse_entries(sections.get("Parameters", []))
    parameters = _parameter_entries(cls, own_parameters,
                                    _inherited_entries(cls, "Parameters", root))
    attributes = _attribute_entries(sections.get("Attributes", []),
                                    _inherited_entries(cls, "Attributes", root))
    composed = {}
    for title in ("Parameters", "Attributes"):
        sections.pop(title, None)
    inserted = False
    for title, lines in sections.items():
        if not inserted and title in _AFTER_PARAMETERS:
            composed.update(_present(Parameters=parameters, Attributes=attributes))
            inserted = True
        composed[title] = lines
    if not inserted:
        composed.update(_present(Parameters=parameters, Attributes=attributes))
    return join_sections(preface, composed)


def _present(**sections):
    return {title: lines for title, lines in sections.items() if lines}
