"""Sphinx helpers of skemo's documentation.

- :class:`ExampleOrder`: the gallery's order (the quick start first).
- ``optional-literalinclude``: a ``literalinclude`` that says where a file
  will be while it does not exist yet (benchmark results are written by a
  separate run), instead of failing a ``-W`` build.
- scikit-learn's metadata-routing methods (``set_fit_request``, ...), which
  every estimator inherits, are left out of the class pages: their generated
  docstrings point into scikit-learn's own documentation.
"""

import re
from pathlib import Path

from docutils import nodes
from sphinx.directives.code import LiteralInclude

#: Gallery examples in reading order; examples not listed follow by file name.
EXAMPLE_ORDER = (
    "quickstart.py",
    "compare_methods.py",
    "threshold_tuning.py",
    "grid_search_taco.py",
    "custom_labels.py",
    "valence_intensity.py",
    "plots.py",
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


_METADATA_REQUEST = re.compile(r"set_\w+_request")


def skip_metadata_requests(app, what, name, obj, skip, options):
    """Skip scikit-learn's ``set_*_request`` methods (autodoc-skip-member)."""
    if _METADATA_REQUEST.fullmatch(name):
        return True
    return None


def setup(app):
    app.setup_extension("sphinx.ext.autodoc")
    app.add_directive("optional-literalinclude", OptionalLiteralInclude)
    app.connect("autodoc-skip-member", skip_metadata_requests)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
