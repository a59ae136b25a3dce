"""Sphinx helpers of skemo's documentation.

- :class:`ExampleOrder`: the gallery's order (the quick start first).
- ``optional-literalinclude``: a ``literalinclude`` that says where a file
  will be while it does not exist yet (benchmark results are written by a
  separate run), instead of failing a ``-W`` build.
- scikit-learn's metadata-routing methods (``set_fit_request``, ...), which
  every estimator inherits, are left out of the class pages: their generated
  docstrings point into scikit-learn's own documentation; so are overrides of
  ``torch.nn.Module`` methods (``forward``, ``train``) that have no docstring
  of their own, which would show PyTorch's.
- ``method-keys``: the method keys of :data:`skemo.methods.METHODS` with
  their estimators, as a list (the command line's ``--method`` values), so
  that the pages take the list from the registry.
- ``dataset-citations``: the citation of every data set, from the dataset
  cards that ship with skemo (what the loaders' ``DESCR`` say).
- :func:`resolve_reexport`: a reference to a re-exported name
  (``skemo.SelectCheckpoint``, ``skemo.nn.encoder.TextEncoder``) links to
  the page of the object under the name it is documented by.
"""

import importlib
import inspect
import re
from pathlib import Path

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.directives.code import LiteralInclude
from sphinx.util.docutils import SphinxDirective

#: Gallery examples in reading order; examples not listed follow by file name.
EXAMPLE_ORDER = (
    "quickstart.py",
    "compare_methods.py",
    "threshold_tuning.py",
    "grid_search_taco.py",
    "custom_labels.py",
    "valence_intensity.py",
    "plots.py",
    "explain_predictions.py",
)


class ExampleOrder:
    """sphinx-gallery ``within_subsection_order`` key following :data:`EXAMPLE_ORDER`."""

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __call__(self, filename):
        name = Path(filename).name
        if name in EXAMPLE_ORDER:
            return (EXAMPLE_ORDER.index(name), name)
        return (len(EXAMPLE_ORDER), name)

    def __repr__(self):
        return f"<{type(self).__name__}>"


class OptionalLiteralInclude(LiteralInclude):
    """``literalinclude`` that renders a note naming the file while it is missing."""

    def run(self):
        _, path = self.env.relfn2path(self.arguments[0])
        if Path(path).is_file():
            return super().run()
        self.env.note_dependency(path)
        text = (f"{Path(path).name} has not been generated yet; run the benchmark "
                "scripts in benchmarks/ to write it.")
        return [nodes.note("", nodes.paragraph(text=text))]


def method_key_lines():
    """One list item per registered method key, naming its estimator class."""
    from skemo.utils.discovery import method_registry

    return [f"- ``{key}``: :class:`~{_documented_path(klass)}`"
            for key, klass in method_registry().items()]


def _documented_path(klass):
    """``skemo.TACOClassifier`` for skemo's estimators (documented under :mod:`skemo`)."""
    if klass.__module__.startswith("skemo."):
        return f"skemo.{klass.__name__}"
    return f"{klass.__module__}.{klass.__qualname__}"


class MethodKeys(SphinxDirective):
    """``.. method-keys::``: one item per method key, naming its estimator."""

    def run(self):
        container = nodes.container()
        self.state.nested_parse(StringList(method_key_lines(), source="skemo.methods.METHODS"),
                                self.content_offset, container)
        return container.children


class DatasetCitations(SphinxDirective):
    """``.. dataset-citations::``: one item per dataset card, with its citation."""

    def run(self):
        from skemo.utils._package_data import load_json

        lines = []
        for name, card in load_json("dataset_cards.json").items():
            if isinstance(card, dict) and "citation" in card:
                lines.append(f"- **{card['title']}** (``{name}``): {card['citation']}")
        container = nodes.container()
        self.state.nested_parse(StringList(lines, source="dataset_cards.json"),
                                self.content_offset, container)
        return container.children


_METADATA_REQUEST = re.compile(r"set_\w+_request|get_metadata_routing")


def skip_foreign_members(app, what, name, obj, skip, options):
    """Skip metadata routing (``set_*_request``, ``get_metadata_routing``) and undocumented
    torch overrides (autodoc-skip-member)."""
    if _METADATA_REQUEST.fullmatch(name):
        return True
    if what == "class" and inspect.isfunction(obj) and obj.__doc__ is None:
        from torch import nn

        if hasattr(nn.Module, name):
            return True
    return None


def _import(name):
    """The object a dotted name refers to, or None."""
    parts = name.split(".")
    for split in range(len(parts) - 1, 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        try:
            for attr in parts[split:]:
                obj = getattr(obj, attr)
        except AttributeError:
            return None
        return obj
    return None


def _documented_names(env):
    """id(object) -> the name skemo's pages document it under (cached per build)."""
    names = getattr(env, "_skemo_documented", None)
    objects = env.get_domain("py").objects
    if names is None or len(names[0]) != len(objects):
        by_id = {}
        for name in objects:
            if name.startswith("skemo"):
                obj = _import(name)
                if obj is not None:
                    by_id.setdefault(id(obj), name)
        names = (dict(objects), by_id)
        env._skemo_documented = names
    return names[1]


def resolve_reexport(app, env, node, contnode):
    """Resolve a missing ``py`` reference to a skemo object documented elsewhere."""
    if node.get("refdomain") != "py":
        return None
    target = node["reftarget"]
    module, klass = node.get("py:module"), node.get("py:class")
    candidates = [target]
    if module:
        candidates.insert(0, f"{module}.{target}")
        if klass:
            candidates.insert(0, f"{module}.{klass}.{target}")
    # On the page of a re-exported object (generated/skemo.pretrained), a
    # name in its docstring is relative to the module that defines it.
    page = node.get("refdoc", "").removeprefix("generated/")
    documented = _import(page) if page.startswith("skemo.") else None
    home = getattr(documented, "__module__", None)
    if home and home != module:
        if klass:
            candidates.append(f"{home}.{klass}.{target}")
        candidates.append(f"{home}.{target}")
    documented = _documented_names(env)
    for candidate in candidates:
        if not candidate.startswith("skemo"):
            continue
        obj = _import(candidate)
        name = documented.get(id(obj)) if obj is not None else None
        if name is not None:
            return env.get_domain("py").resolve_xref(
                env, node["refdoc"], app.builder, node["reftype"], name, node, contnode)
    return None


def setup(app):
    app.setup_extension("sphinx.ext.autodoc")
    app.add_directive("optional-literalinclude", OptionalLiteralInclude)
    app.add_directive("method-keys", MethodKeys)
    app.add_directive("dataset-citations", DatasetCitations)
    app.connect("autodoc-skip-member", skip_foreign_members)
    app.connect("missing-reference", resolve_reexport)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
