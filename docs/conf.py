"""Sphinx configuration of skemo's documentation.

Build (warnings are errors; the gallery runs every example on CPU)::

    pip install -e ".[docs]"
    sphinx-build -W -n -b html docs docs/_build/html

Add ``-D plot_gallery=0`` to skip running the examples while editing text.
"""

import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))

# The examples and docstrings must never wait on the Hugging Face Hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
# Progress bars (tqdm's, and the Hub's weight loading) redraw with carriage
# returns, which the gallery would capture as one long garbled line.
os.environ.setdefault("TQDM_DISABLE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

import skemo  # noqa: E402

project = "skemo"
author = "the skemo developers"
copyright = "2026, the skemo developers"
version = release = skemo.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    # MathJax itself, copied into the built pages: formulas render offline.
    "sphinx-mathjax-offline",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    # The command-line reference, generated from skemo.cli.build_parser.
    "sphinxarg.ext",
    # CHANGELOG.md, included into the changelog page as Markdown.
    "myst_parser",
    "skemo_docs",
    # Links into scikit-learn's, PyTorch's, skorch's, ... documentation from
    # inventories written at build time (no network needed).
    "skemo_intersphinx",
]

templates_path = ["_templates"]
# Every cross-reference must resolve (``-n``): objects of other libraries
# through ``skemo_intersphinx``, re-exported skemo names through ``skemo_docs``.
nitpicky = True
exclude_patterns = ["_build", "**.ipynb_checkpoints", "_generated"]
default_role = "literal"

# -- API reference ---------------------------------------------------------
autosummary_generate = True
autodoc_typehints = "none"
autodoc_member_order = "groupwise"
# "fit()" rather than "TACOClassifier.fit()" in a page's table of contents.
toc_object_entries_show_parents = "hide"
# Class pages list their methods through the autosummary template, not numpydoc.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
# Docstring validation runs in the test suite's doctests and review, not here:
# a validation failure in a module under development must not break the docs.
numpydoc_validation_checks = set()

# -- HTML --------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"skemo {release}"
html_theme_options = {
    "navigation_with_keys": False,
    # Every top-level page in the header, the API reference and citing included.
    "header_links_before_dropdown": 8,
    "show_toc_level": 2,
}
html_static_path = []
# Pages without subpages have no section navigation: no empty left sidebar.
html_sidebars = {page: [] for page in ("index", "install", "getting_started", "cli", "faq",
                                       "changelog", "citing")}

# -- Gallery -----------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    # Run every example, not only plot_*.py; a failing example fails the build.
    "filename_pattern": r".*\.py$",
    "abort_on_example_error": True,
    "within_subsection_order": "skemo_docs.ExampleOrder",
    "doc_module": ("skemo",),
    "backreferences_dir": "generated/backreferences",
    "image_scrapers": ("matplotlib",),
    "matplotlib_animations": False,
    "remove_config_comments": True,
    # Show what examples print, not the reprs of their last expressions.
    "capture_repr": (),
    "show_memory": False,
    # The timing pages load their table scripts from CDNs: leave them out, so
    # that no page needs the network (each example still shows its time).
    "write_computation_times": False,
}
