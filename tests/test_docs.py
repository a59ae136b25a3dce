"""The documentation cites only recorded figures and links only public modules.

- Every score (``0.540``, ``0.5385``) or speed ratio (``4.59x``) in the prose of
  a docs page, the README, the changelog or RESULTS.md must be a figure of the benchmark
  records: a value of some record, or a cell of a table that
  ``benchmarks/report.py`` renders from them. Code and console blocks are not
  prose and are not checked.
- No docs page, nor any docstring that the API reference renders, names a
  private module (``skemo.utils._precision``, ``skemo._estimator``): the API
  index says they are not part of the API.
"""

import importlib
import inspect
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
RESULTS = ROOT / "benchmarks" / "results"
GENERATED = DOCS / "_generated"
#: Pages whose prose is checked (the generated tables are the reference itself).
PAGES = sorted(p for p in DOCS.rglob("*.rst")
               if GENERATED not in p.parents and "generated" not in p.parts
               and "auto_examples" not in p.parts and "_build" not in p.parts)
#: Markdown files the docs show (the README on the package page, the changelog page).
MARKDOWN = [ROOT / "README.md", ROOT / "CHANGELOG.md"]
#: A score with 3 or 4 decimals, or a ratio with 1 or 2 decimals and "x".
FIGURE = re.compile(r"(?<![\w.])(0\.\d{3,4})(?![\d])|(?<![\w.])(\d{1,2}\.\d{1,2})x\b")
PRIVATE = re.compile(r"\bskemo(?:\.\w+)*\._\w+")


def prose(text, markdown=False):
    """The lines of ``text`` outside code blocks, as (line number, line)."""
    lines, in_block, indent = [], False, 0
    fence = False
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if markdown:
            if stripped.startswith("```"):
                fence = not fence
                continue
            if not fence and not line.startswith("    "):
                lines.append((number, line))
            continue
        current = len(line) - len(line.lstrip())
        if stripped.startswith(">>>"):  # a doctest block runs to the next blank line
            in_block, indent = True, -1
            continue
        if in_block and indent < 0:
            if stripped:
                continue
            in_block = False
        if in_block:
            if not stripped or current > indent:
                continue
            in_block = False
        if re.match(r"\.\. (code-block|code|sourcecode|literalinclude|doctest|testcode)::",
                    stripped) or (stripped.endswith("::") and not stripped.startswith("..")):
            in_block, indent = True, current
            if stripped.startswith(".."):
                continue
        lines.append((number, line))
    return lines


def _numbers(value, out):
    if isinstance(value, dict):
        for item in value.values():
            _numbers(item, out)
    elif isinstance(value, list):
        for item in value:
            _numbers(item, out)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        out.append(float(value))
    return out


def recorded_figures():
    """Every figure the records hold, as the strings a page may cite."""
    figures = set()
    for path in RESULTS.glob("*.jsonl"):
        for line in path.read_text().splitlines():
            if line.strip():
                for value in _numbers(json.loads(line), []):
                    figures.update({f"{value:.3f}", f"{value:.4f}", f"{value:.2f}",
                                    f"{value:.1f}"})
    for path in GENERATED.glob("*.rst"):
        figures.update(re.findall(r"\d+\.\d+", path.read_text()))
    return figures


def cited_figures(path):
    """(line number, figure) of every score and ratio in the prose of ``path``."""
    markdown = path.suffix == ".md"
    text = path.read_text()
    if markdown:  # the generated blocks of RESULTS.md are the records themselves
        text = re.sub(r"<!-- table:(\w+) -->.*?<!-- /table:\1 -->",
                      lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    cited = []
    for number, line in prose(text, markdown):
        for score, ratio in FIGURE.findall(line):
            cited.append((number, score or ratio))
    return cited


def test_the_prose_parser_skips_code_blocks():
    text = ("Prose 0.5385 here.\n\n.. code-block:: console\n\n    $ skemo 0.9988\n\n"
            "Text again, 4.59x.\n\nAn example::\n\n    0.1234\n\nEnd.\n"
            ">>> f()\n0.25\n\nAfter.\n")
    assert [line for _, line in prose(text)] == [
        "Prose 0.5385 here.", "", "Text again, 4.59x.", "", "An example::", "End.", "",
        "After."]
    assert FIGURE.findall("scores 0.5385 and 0.54, 4.59x, 12.5x, v1.0.123") == [
        ("0.5385", ""), ("", "4.59"), ("", "12.5")]


@pytest.mark.parametrize("path", [*PAGES, *MARKDOWN, ROOT / "benchmarks" / "RESULTS.md"],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_every_cited_figure_is_in_the_records(path):
    figures = recorded_figures()
    missing = [f"line {number}: {figure}" for number, figure in cited_figures(path)
               if figure not in figures]
    assert not missing, (f"{path.relative_to(ROOT)} cites figures that no record in "
                         f"benchmarks/results/ holds: {missing}")


@pytest.mark.parametrize("path", [*PAGES, *MARKDOWN], ids=lambda p: str(p.relative_to(ROOT)))
def test_no_page_links_a_private_module(path):
    found = [f"line {n}: {m}" for n, line in enumerate(path.read_text().splitlines(), 1)
             for m in PRIVATE.findall(line)]
    assert not found, f"{path.relative_to(ROOT)} names private modules: {found}"


def documented_modules():
    """The public modules of the API reference (docs/api/index.rst)."""
    index = (DOCS / "api" / "index.rst").read_text()
    return re.findall(r"^   (skemo(?:\.\w+)*)$", index, flags=re.M)


def rendered_docstrings():
    """(name, docstring) of every public module, class, function and method documented."""
    seen = set()
    for module_name in documented_modules():
        module = importlib.import_module(module_name)
        yield module_name, module.__doc__ or ""
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            yield f"{module_name}.{name}", getattr(obj, "__doc__", None) or ""
            if inspect.isclass(obj):
                for attr, member in vars_with_bases(obj):
                    yield f"{module_name}.{name}.{attr}", member.__doc__ or ""


def vars_with_bases(klass):
    """Public methods and properties of ``klass`` defined by skemo (its mixins included)."""
    for base in klass.__mro__:
        if not base.__module__.startswith("skemo"):
            continue
        for attr, member in vars(base).items():
            if attr.startswith("_") or not (inspect.isfunction(member)
                                            or isinstance(member, property)):
                continue
            yield attr, member


def test_api_modules_are_listed():
    assert {"skemo", "skemo.base", "skemo.persistence"} <= set(documented_modules())


def test_no_rendered_docstring_names_a_private_module():
    found = sorted({f"{name}: {m}" for name, doc in rendered_docstrings()
                    for m in PRIVATE.findall(doc)})
    assert not found, f"docstrings in the API reference name private modules: {found}"


def test_rendered_docstrings_cite_only_recorded_figures():
    figures = recorded_figures()
    missing = sorted({f"{name}: {figure}" for name, doc in rendered_docstrings()
                      for _, line in prose(inspect.cleandoc(doc))
                      for figure in filter(None, sum(FIGURE.findall(line), ()))
                      if figure not in figures})
    assert not missing, f"docstrings in the API reference cite unrecorded figures: {missing}"


def _documented_object(name):
    """The object a dotted name of :func:`rendered_docstrings` refers to."""
    parts = name.split(".")
    for split in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for attr in parts[split:]:
            obj = getattr(obj, attr)
        return obj
    raise ImportError(name)


def test_every_parameter_in_the_api_reference_is_described():
    docscrape = pytest.importorskip("numpydoc.docscrape")
    undescribed = set()
    for name, _ in rendered_docstrings():
        obj = _documented_object(name)
        if inspect.isclass(obj):
            doc = docscrape.ClassDoc(obj)
        elif inspect.isfunction(obj):
            doc = docscrape.FunctionDoc(obj)
        else:
            continue
        undescribed.update(f"{name}({p.name})" for p in doc["Parameters"]
                           if not " ".join(p.desc).strip())
    assert not undescribed, f"parameters without a description: {sorted(undescribed)}"
