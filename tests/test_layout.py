"""The package layout holds: no import cycle, torch-only ``skemo.nn``, one method key.

The import graph is read from the source (the AST of every module under
``skemo/``), so these tests see what a module imports when it is loaded,
whichever modules happen to be loaded already -- and, separately, what its
functions import when they run: a cycle hidden in a function-level import
is a cycle too.

The rule for deferred (function-level) imports of skemo modules: a module
defers an import only to stay light -- the package root (its lazy names)
and the command line (``skemo --help``), which must not load torch -- or
where the deferred module pulls in an optional dependency (``onnxruntime``,
for ONNX export and int8). Optional third-party packages (``peft``,
``matplotlib``, ``huggingface_hub``...) are imported inside the function
that needs them anywhere. :data:`DEFERRING_MODULES` lists the modules that
defer skemo imports, with the reason.
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import skemo
from skemo.methods import METHOD_KEYS, METHODS

PACKAGE_DIR = Path(skemo.__file__).parent


def module_name(path):
    """``skemo/nn/encoder.py`` -> ``skemo.nn.encoder``; a package's ``__init__`` -> the package."""
    parts = list(path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE_DIR.rglob("*.py"))}


def is_type_checking(test):
    """Whether an ``if`` test is ``TYPE_CHECKING`` (false when the module runs)."""
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING"
            or isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def top_level_statements(tree):
    """The statements a module runs when imported (also inside top-level if/try blocks).

    The body of ``if TYPE_CHECKING:`` is left out: it runs for type checkers only.
    """
    pending = list(tree.body)
    while pending:
        node = pending.pop(0)
        yield node
        if isinstance(node, ast.If) and is_type_checking(node.test):
            pending.extend(node.orelse)
        elif isinstance(node, (ast.If, ast.Try, ast.With)):
            for field in ("body", "orelse", "finalbody"):
                pending.extend(getattr(node, field, []))
            pending.extend(child for handler in getattr(node, "handlers", [])
                           for child in handler.body)


def imported_names(node, module):
    """The modules an import statement loads (besides their parent packages).

    ``import a.b`` loads ``a.b``; ``from a.b import c`` loads ``a.b`` and, when
    ``c`` is a submodule, ``a.b.c``. Relative imports are resolved against ``module``.
    """
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    source = node.module
    if node.level:
        package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
        parts = package.split(".")[: len(package.split(".")) - node.level + 1]
        source = ".".join([*parts, *([node.module] if node.module else [])])
    return [source, *(f"{source}.{alias.name}" for alias in node.names
                      if f"{source}.{alias.name}" in MODULES)]


def skemo_imports(module, statements):
    """The skemo modules other than ``module`` that ``statements`` load."""
    return {name for node in statements for name in imported_names(node, module)
            if name in MODULES and name != module}


def parse(module):
    return ast.parse(MODULES[module].read_text(encoding="utf-8"), filename=str(MODULES[module]))


def import_graph():
    """module -> the skemo modules its top-level statements import."""
    return {module: skemo_imports(module, top_level_statements(parse(module)))
            for module in MODULES}


def find_cycle(graph):
    """One import cycle of ``graph`` as a list of modules, or None."""
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                return stack[stack.index(target):] + [target]
            if target not in state:
                cycle = visit(target)
                if cycle:
                    return cycle
        state[node] = "done"
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def function_level_statements(tree):
    """The import statements inside functions (methods included), at any depth."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield from (child for child in ast.walk(node)
                        if isinstance(child, (ast.Import, ast.ImportFrom)))


def deferred_import_graph():
    """module -> the skemo modules its functions import."""
    return {module: skemo_imports(module, function_level_statements(parse(module)))
            for module in MODULES}


def full_import_graph():
    """module -> the skemo modules it imports at its top or inside its functions."""
    deferred = deferred_import_graph()
    return {module: targets | deferred[module] for module, targets in import_graph().items()}


#: The modules that import skemo modules inside functions, and why (see the module docstring).
DEFERRING_MODULES = {
    "skemo": "the estimators and loaders are lazy names: `import skemo` loads no torch",
    "skemo.cli": "`skemo --help` loads no torch",
    "skemo.methods": "`skemo --help` reads METHOD_KEYS from it, without loading torch",
    "skemo.serve": "`skemo --help` reads DEFAULT_LIMITS from it, without loading torch",
    "skemo.export": "ONNX export needs onnx and onnxruntime (the [onnx] extra)",
    "skemo.utils._precision": "int8 prediction runs the encoder in onnxruntime",
}


def test_graph_reader_sees_imports():
    graph = import_graph()
    assert "skemo.nn.encoder" in graph["skemo.base"]
    assert "skemo._estimator.training" in graph["skemo.base"]
    assert "skemo.utils._targets" in graph["skemo._estimator.training"]
    assert {"skemo.nn.encoder", "skemo.nn.module"} <= graph["skemo.nn.heads"]
    # relative imports resolve against the importing module's package
    node = ast.parse("from ..nn import encoder, EmotionModule").body[0]
    assert imported_names(node, "skemo.methods.finetuned") == ["skemo.nn", "skemo.nn.encoder"]
    node = ast.parse("from . import _bunch").body[0]
    assert imported_names(node, "skemo.datasets") == ["skemo.datasets", "skemo.datasets._bunch"]


def test_type_checking_imports_are_not_run():
    tree = ast.parse("from typing import TYPE_CHECKING\n"
                     "if TYPE_CHECKING:\n    from skemo.base import X\n"
                     "else:\n    from skemo import labels\n"
                     "try:\n    import skemo.nn\nexcept ImportError:\n    pass\n")
    assert skemo_imports("skemo.persistence", top_level_statements(tree)) == {
        "skemo", "skemo.labels", "skemo.nn"}


def test_find_cycle_reports_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_no_import_cycle():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_function_level_imports_are_read():
    tree = ast.parse("import torch\n"
                     "def f():\n    from skemo import hub\n"
                     "class A:\n    def g(self):\n        import skemo.nn.encoder\n")
    assert skemo_imports("skemo.persistence", function_level_statements(tree)) == {
        "skemo", "skemo.hub", "skemo.nn.encoder"}
    assert "skemo.methods" in deferred_import_graph()["skemo"]


def test_no_import_cycle_through_function_level_imports():
    cycle = find_cycle(full_import_graph())
    assert cycle is None, "import cycle (function-level imports included): " + " -> ".join(cycle)


def test_only_the_listed_modules_defer_skemo_imports():
    deferring = {module for module, targets in deferred_import_graph().items() if targets}
    assert deferring <= set(DEFERRING_MODULES), (
        f"{sorted(deferring - set(DEFERRING_MODULES))} import skemo modules inside functions; "
        "import them at the top, or list the module in DEFERRING_MODULES with the reason")


def test_callbacks_import_neither_the_estimators_nor_the_format():
    for module in (m for m in MODULES if m.startswith("skemo.callbacks")):
        found = all_imports(module) & {"skemo.base", "skemo.persistence", "skemo.hub"}
        assert not found, f"{module} imports {found}; callbacks act through the estimator"


def test_the_format_imports_no_estimator_module():
    found = {m for m in all_imports("skemo.persistence") if m in MODULES}
    assert not found & {"skemo.base", "skemo.hub", "skemo._persistence_hooks", "skemo.methods",
                        "skemo.callbacks"}, found


def all_imports(module):
    """Every dotted name ``module`` imports anywhere (functions included)."""
    return {name for node in ast.walk(parse(module)) for name in imported_names(node, module)}


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.startswith("skemo.nn")))
def test_nn_imports_neither_sklearn_nor_skorch(module):
    roots = {name.split(".")[0] for name in all_imports(module)}
    assert not roots & {"sklearn", "skorch"}, f"{module} imports {roots & {'sklearn', 'skorch'}}"


def test_nn_loads_without_sklearn_or_skorch():
    code = ("import sys, skemo.nn.encoder, skemo.nn.heads, skemo.nn.label_text, skemo.nn.module;"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'sklearn', 'skorch'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


def test_package_root_does_not_load_torch():
    code = "import sys, skemo; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "False"


def test_persistence_does_not_import_the_package_root():
    for node in ast.walk(parse("skemo.persistence")):
        if isinstance(node, ast.Import):
            assert all(alias.name != "skemo" for alias in node.names), ast.unparse(node)
        elif isinstance(node, ast.ImportFrom) and node.module == "skemo" and not node.level:
            # ``from skemo import methods`` is a submodule; ``from skemo import load`` is the root
            assert all(f"skemo.{alias.name}" in MODULES for alias in node.names), ast.unparse(node)


def test_every_method_key_is_its_module_name():
    estimators = skemo.all_estimators()
    assert sorted(METHODS) == list(METHOD_KEYS)
    assert len(estimators) == len(METHODS)
    for name, cls in estimators:
        assert cls.__module__ == f"skemo.methods.{cls.method_key}", name
        assert METHODS[cls.method_key] is cls
