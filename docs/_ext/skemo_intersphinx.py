"""Offline intersphinx inventories for the libraries skemo's documentation links to.

The documentation builds without network, so the ``objects.inv`` files of
scikit-learn, PyTorch, skorch, NumPy, Python, ... cannot be fetched; no
installable package ships them either (``transformers`` and ``accelerate``
have none at all: their documentation is not built with Sphinx). This
extension writes, at every build, one inventory per library from
:data:`TARGETS`, the objects skemo's pages refer to, and points
``intersphinx_mapping`` at those files. Each object is imported from the
installed library first, so a misspelt or removed name fails the build
instead of becoming a dead link; its address follows the layout of that
library's published documentation (:data:`PROJECTS`).

When the pages refer to a new object of one of these libraries, ``sphinx-build
-n`` reports it as not found: add it to :data:`TARGETS`.
"""

import pydoc
import zlib
from importlib.metadata import version
from pathlib import Path

from sphinx.errors import ExtensionError


def _generated(prefix):
    """``<prefix><name>.html#<name>``: one generated page per object (autosummary)."""
    return lambda name, page: f"{prefix}{page or name}.html#{name}"


def _on_page(page, anchor_prefix=""):
    """Every object on one page, anchored by its full name."""
    return lambda name, _: f"{page}#{anchor_prefix}{name}"


#: Project -> (distribution, documentation root, address of an object).
#: The address function takes the object's name and the name of the object
#: whose page documents it (the class, for a method), or None.
PROJECTS = {
    "python": ("python", "https://docs.python.org/3/", None),
    "numpy": ("numpy", "https://numpy.org/doc/stable/", _generated("reference/generated/")),
    "sklearn": ("scikit-learn", "https://scikit-learn.org/stable/",
                _generated("modules/generated/")),
    "torch": ("torch", "https://docs.pytorch.org/docs/stable/", _generated("generated/")),
    "skorch": ("skorch", "https://skorch.readthedocs.io/en/stable/", None),
    "transformers": ("transformers", "https://huggingface.co/docs/transformers/main/en/", None),
    "accelerate": ("accelerate", "https://huggingface.co/docs/accelerate/main/en/", None),
    "matplotlib": ("matplotlib", "https://matplotlib.org/stable/",
                   _generated("api/_as_gen/")),
    "distributed": ("distributed", "https://distributed.dask.org/en/stable/", None),
    "pooch": ("pooch", "https://www.fatiando.org/pooch/latest/", None),
    "huggingface_hub": ("huggingface_hub",
                        "https://huggingface.co/docs/huggingface_hub/main/en/", None),
}

#: Project -> {object name: (role, page)}. ``page`` is the object's page for
#: projects whose address function needs one (``None``: the default).
TARGETS = {
    "python": {
        "argparse": ("module", "library/argparse.html#module-argparse"),
        "pathlib.Path": ("class", "library/pathlib.html#pathlib.Path"),
        "os.PathLike": ("class", "library/os.html#os.PathLike"),
        "collections.abc.Sequence": (
            "class", "library/collections.abc.html#collections.abc.Sequence"),
        "pickle": ("module", "library/pickle.html#module-pickle"),
        "str": ("class", "library/stdtypes.html#str"),
        "dict": ("class", "library/stdtypes.html#dict"),
        "list": ("class", "library/stdtypes.html#list"),
    },
    "numpy": {
        "numpy.ndarray": ("class", None),
    },
    "sklearn": {
        "sklearn.base.BaseEstimator": ("class", None),
        "sklearn.base.ClassifierMixin": ("class", None),
        "sklearn.base.clone": ("function", None),
        "sklearn.cluster.KMeans": ("class", None),
        "sklearn.compose.ColumnTransformer": ("class", None),
        "sklearn.ensemble.StackingClassifier": ("class", None),
        "sklearn.ensemble.VotingClassifier": ("class", None),
        "sklearn.frozen.FrozenEstimator": ("class", None),
        "sklearn.metrics.ConfusionMatrixDisplay": ("class", None),
        "sklearn.metrics.ConfusionMatrixDisplay.from_predictions":
            ("method", "sklearn.metrics.ConfusionMatrixDisplay"),
        "sklearn.metrics.classification_report": ("function", None),
        "sklearn.metrics.confusion_matrix": ("function", None),
        "sklearn.metrics.f1_score": ("function", None),
        "sklearn.metrics.jaccard_score": ("function", None),
        "sklearn.metrics.precision_recall_curve": ("function", None),
        "sklearn.model_selection.GridSearchCV": ("class", None),
        "sklearn.model_selection.KFold": ("class", None),
        "sklearn.model_selection.RandomizedSearchCV": ("class", None),
        "sklearn.model_selection.ShuffleSplit": ("class", None),
        "sklearn.model_selection.StratifiedKFold": ("class", None),
        "sklearn.model_selection.StratifiedShuffleSplit": ("class", None),
        "sklearn.model_selection.cross_val_predict": ("function", None),
        "sklearn.model_selection.cross_val_score": ("function", None),
        "sklearn.model_selection.cross_validate": ("function", None),
        "sklearn.model_selection.train_test_split": ("function", None),
        "sklearn.pipeline.Pipeline": ("class", None),
        "sklearn.preprocessing.MultiLabelBinarizer": ("class", None),
        "sklearn.utils.Bunch": ("class", None),
        "sklearn.utils.discovery.all_estimators": ("function", None),
        "sklearn.utils.estimator_checks.parametrize_with_checks": ("function", None),
    },
    "torch": {
        "torch.Tensor": ("class", "tensors.html#torch.Tensor"),
        "torch.autocast": ("class", "amp.html#torch.autocast"),
        "torch.nn.Module": ("class", None),
        "torch.nn.functional.cross_entropy": ("function", None),
    },
    "skorch": {
        # skorch documents its classes under their defining modules; the
        # top-level aliases point at the same entries.
        "skorch.NeuralNet": ("class", "net.html#skorch.net.NeuralNet"),
        "skorch.net.NeuralNet": ("class", "net.html#skorch.net.NeuralNet"),
        "skorch.NeuralNetClassifier": ("class",
                                       "classifier.html#skorch.classifier.NeuralNetClassifier"),
        "skorch.callbacks.Callback": ("class", "callbacks.html#skorch.callbacks.Callback"),
        "skorch.callbacks.EarlyStopping": ("class",
                                           "callbacks.html#skorch.callbacks.EarlyStopping"),
        "skorch.hf.AccelerateMixin": ("class", "hf.html#skorch.hf.AccelerateMixin"),
    },
    "transformers": {
        "transformers.AutoModel": ("class", "model_doc/auto#transformers.AutoModel"),
        "transformers.AutoTokenizer": ("class", "model_doc/auto#transformers.AutoTokenizer"),
        "transformers.PretrainedConfig": (
            "class", "main_classes/configuration#transformers.PretrainedConfig"),
        "transformers.PreTrainedModel": (
            "class", "main_classes/model#transformers.PreTrainedModel"),
        "transformers.PreTrainedTokenizerBase": (
            "class", "main_classes/tokenizer#transformers.PreTrainedTokenizerBase"),
        "transformers.get_linear_schedule_with_warmup": (
            "function",
            "main_classes/optimizer_schedules#transformers.get_linear_schedule_with_warmup"),
    },
    "accelerate": {
        "accelerate.Accelerator": ("class",
                                   "package_reference/accelerator#accelerate.Accelerator"),
    },
    "matplotlib": {
        "matplotlib.axes.Axes": ("class", None),
        "matplotlib.figure.Figure": ("class", None),
    },
    "pooch": {
        "pooch": ("module", "index.html"),
    },
    "huggingface_hub": {
        "huggingface_hub.snapshot_download": (
            "function", "package_reference/file_download#huggingface_hub.snapshot_download"),
        # Documented as methods of HfApi, of which the functions are aliases.
        "huggingface_hub.create_repo": (
            "function", "package_reference/hf_api#huggingface_hub.HfApi.create_repo"),
        "huggingface_hub.upload_folder": (
            "function", "package_reference/hf_api#huggingface_hub.HfApi.upload_folder"),
    },
    "distributed": {
        # Dask documents the client as ``distributed.Client``.
        "dask.distributed.Client": ("class", "api.html#distributed.Client"),
    },
}


def _import(name):
    """The object a dotted name refers to, or raise ExtensionError."""
    obj = pydoc.locate(name)
    if obj is None:
        raise ExtensionError(f"intersphinx target {name!r} is not importable: "
                             f"fix or remove it in {__name__}.TARGETS")
    return obj


def _address(project, name, page):
    """The object's address: ``page`` when it is one, else the project's rule."""
    if page is not None and ("#" in page or page.endswith(".html")):
        return page
    return PROJECTS[project][2](name, page)


def inventory_bytes(project, targets):
    """The ``objects.inv`` (version 2) of ``targets``, as bytes."""
    distribution = PROJECTS[project][0]
    header = ("# Sphinx inventory version 2\n"
              f"# Project: {distribution}\n"
              f"# Version: {version(distribution) if distribution != 'python' else '3'}\n"
              "# The remainder of this file is compressed using zlib.\n")
    lines = []
    for name, (role, page) in sorted(targets.items()):
        _import(name)
        lines.append(f"{name} py:{role} 1 {_address(project, name, page)} -\n")
    return header.encode() + zlib.compress("".join(lines).encode())


def write_inventories(app, config):
    """Write every project's inventory and map it in ``intersphinx_mapping``."""
    folder = Path(app.doctreedir) / "inventories"
    folder.mkdir(parents=True, exist_ok=True)
    mapping = dict(config.intersphinx_mapping)
    for project, targets in TARGETS.items():
        path = folder / f"{project}.inv"
        data = inventory_bytes(project, targets)
        if not path.is_file() or path.read_bytes() != data:
            path.write_bytes(data)
        mapping[project] = (PROJECTS[project][1], str(path))
    config.intersphinx_mapping = mapping


def setup(app):
    app.setup_extension("sphinx.ext.intersphinx")
    # Before intersphinx validates the mapping (config-inited, priority 800).
    app.connect("config-inited", write_inventories, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
