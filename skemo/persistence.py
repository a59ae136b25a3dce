"""Saving and loading fitted estimators without pickle.

A saved estimator is a directory:

- ``skemo.json``: the format version, the estimator class, every parameter
  that JSON can hold (``get_params(deep=False)``: the constructor's, and the
  prefixed skorch ones such as ``module__dropout`` or ``criterion__alpha``),
  the resolved ``precision``, the labels, thresholds and the resolved pooling;
- ``encoder/config.json``: the backbone's ``transformers`` config, so the
  architecture is rebuilt without the original checkpoint or any network;
- ``tokenizer/``: the tokenizer files;
- ``model.safetensors``: every weight of the trained network;
- ``README.md``: the model card (:mod:`skemo.model_card`), for the Hub.

Loading reads JSON and safetensors only, so it never executes code from the
file. (``joblib``/pickle files of estimators also work, but must only be
loaded from trusted sources: unpickling can run arbitrary code.)

Atomic saves
------------
A save is written to a temporary sibling directory (``.NAME.tmp-*``) and
renamed into place only once complete (:func:`write_directory_atomically`),
so a reader sees either the previous save or the new one, never a mix. The
swap takes a lock file (``.NAME.lock``), so concurrent writers of one path
take turns; a process killed between moving the old save aside and moving
the new one in leaves the old one as ``.NAME.old-*``, which the next write or
load of the path moves back. Temporary directories of dead processes are
deleted by the next write.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import os
import re
import shutil
import socket
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from skemo.base import EmotionClassifierBase

FORMAT_VERSION = 2
#: Versions :func:`load` reads: 1 lacked the prefixed parameters (module__* ...).
READABLE_VERSIONS = (1, 2)
_FILES = ("skemo.json", "encoder/config.json", "model.safetensors")
#: Parameters that never change what a fitted model computes, so are not warned about
#: when they cannot be saved.
_TRAINING_ONLY = ("callbacks",)


# ------------------------------------------------------------------ atomic writes
def _owner():
    """A name part saying which process on which host wrote a temporary directory."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def _owner_is_dead(name):
    """Whether the ``.NAME.tmp-HOST-PID-*`` or ``.old-*`` directory belongs to a dead process."""
    match = re.search(r"\.(?:tmp|old)-(?P<host>.+)-(?P<pid>\d+)-[0-9a-f]{8}$", name)
    if match is None or match["host"] != socket.gethostname():
        return False  # another machine's (a shared file system), or not ours: leave it
    pid = match["pid"]
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


@contextlib.contextmanager
def _locked(path):
    """Hold an exclusive lock on ``.NAME.lock`` beside ``path`` (where ``fcntl`` exists)."""
    try:
        import fcntl
    except ImportError:  # Windows: no lock; os.replace is still atomic per rename
        yield
        return
    lock = path.with_name(f".{path.name}.lock")
    with open(lock, "a") as file:
        fcntl.flock(file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(file, fcntl.LOCK_UN)


def _siblings(path, kind):
    return sorted(path.parent.glob(f".{path.name}.{kind}-*"), key=lambda p: p.stat().st_mtime)


def _recover(path):
    """Under the lock: put back a save moved aside by a killed writer; drop dead leftovers."""
    olds = _siblings(path, "old")
    if not path.exists() and olds:
        os.replace(olds.pop(), path)  # the newest complete save
    for leftover in olds + _siblings(path, "tmp"):
        if _owner_is_dead(leftover.name):
            shutil.rmtree(leftover, ignore_errors=True)


def recover_directory(path):
    """Restore ``path`` if a writer was killed while swapping it (see the module docstring).

    Parameters
    ----------
    path : str or path-like

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from skemo.persistence import recover_directory
    >>> with tempfile.TemporaryDirectory() as root:
    ...     (Path(root) / ".model.old-host-1-abc").mkdir()  # killed mid-swap
    ...     recover_directory(Path(root) / "model")
    ...     sorted(p.name for p in Path(root).iterdir() if not p.name.endswith(".lock"))
    ['model']
    """
    path = Path(path)
    if not path.parent.is_dir():
        return
    with _locked(path):
        _recover(path)


def write_directory_atomically(path, write, check=None):
    """Call ``write(tmp)`` on a fresh temporary directory, then swap it in as ``path``.

    A reader of ``path`` sees the old directory or the complete new one;
    concurrent writers take turns (see the module docstring).

    Parameters
    ----------
    path : str or path-like
        Replaced as a whole if it exists.
    write : callable
        Writes the directory's files into the ``pathlib.Path`` it is given.
    check : callable, optional
        Called with ``path`` under the lock, just before the swap, so that no
        other writer's swap is half done when it looks; it raises to refuse
        replacing what is there (the new files are then deleted).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from skemo.persistence import write_directory_atomically
    >>> with tempfile.TemporaryDirectory() as root:
    ...     target = Path(root) / "out"
    ...     write_directory_atomically(target, lambda d: (d / "a.txt").write_text("1"))
    ...     write_directory_atomically(target, lambda d: (d / "b.txt").write_text("2"))
    ...     sorted(p.name for p in target.iterdir())
    ['b.txt']
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{_owner()}")
    tmp.mkdir()
    try:
        write(tmp)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    with _locked(path):
        _recover(path)
        if check is not None:
            try:
                check(path)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
        old = None
        if path.exists():
            old = path.with_name(f".{path.name}.old-{_owner()}")
            os.replace(path, old)
        os.replace(tmp, path)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


# ------------------------------------------------------------------ parameters
def _jsonable(value):
    """``value`` as JSON holds it (tuples and arrays become lists), or raise TypeError."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if isinstance(value, tuple):
        value = list(value)
    json.dumps(value)
    return value


def _constructor_names(est):
    """Names of the constructor parameters declared by skemo classes."""
    names = []
    for klass in type(est).__mro__:
        if "_parameter_constraints" not in vars(klass):  # not a skemo estimator class
            continue
        for p in inspect.signature(klass.__init__).parameters.values():
            if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name != "self":
                if p.name not in names:
                    names.append(p.name)
    return names


def saved_params(est):
    """Every parameter of ``est`` that JSON can hold, and the names of those it cannot.

    Parameters are those of ``get_params(deep=False)`` -- the constructor's and
    the prefixed skorch ones (``module__*``, ``criterion__*``, ``optimizer__*``,
    ``iterator_train__*``...). Values JSON cannot hold (classes, callbacks, a
    ``transformers`` config given as ``encoder``, a ``RandomState``) are left
    out; the second result names those that differ from the class default
    and would change the loaded model (callbacks only act during training).

    Returns
    -------
    params : dict
    dropped : list of str

    Examples
    --------
    >>> from skemo import FineTunedEmotionClassifier
    >>> from skemo.persistence import saved_params
    >>> params, dropped = saved_params(FineTunedEmotionClassifier(module__dropout=0.2))
    >>> params["module__dropout"], dropped
    (0.2, [])
    """
    all_params = est.get_params(deep=False)
    names = _constructor_names(est) + [n for n in all_params if n not in _constructor_names(est)]
    required = {p.name: getattr(est, p.name)
                for p in inspect.signature(type(est).__init__).parameters.values()
                if p.default is p.empty and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
                and p.name != "self"}
    defaults = type(est)(**required).get_params(deep=False)
    params, dropped = {}, []
    for name in names:
        if name.startswith("callbacks__"):
            continue  # settings of callbacks, which act during training only
        value = all_params.get(name, getattr(est, name, None))
        try:
            params[name] = _jsonable(value)
        except TypeError:
            if name in ("encoder", "random_state") or name in _TRAINING_ONLY:
                continue  # the encoder's config is saved as a file; seeds only train
            if name not in defaults or defaults[name] is not value:
                dropped.append(name)
    return params, dropped


def resolved_precision(precision, device):
    """The concrete precision that ``precision`` stands for on ``device`` at prediction.

    Examples
    --------
    >>> from skemo.persistence import resolved_precision
    >>> resolved_precision("fp32", "cpu")
    'fp32'
    """
    if precision != "auto":
        return precision
    import torch

    from skemo.utils._precision import autocast_dtype, quantizes

    if quantizes(precision, device):
        return "int8"
    dtype = autocast_dtype(precision, device)
    return {None: "fp32", torch.bfloat16: "bf16", torch.float16: "fp16"}[dtype]


# ------------------------------------------------------------------ save
def write_estimator_files(est, path, card=None):
    """Write the files of a save of fitted ``est`` into the existing directory ``path``.

    ``card``: keyword arguments of :func:`skemo.model_card.model_card` for ``README.md``.
    """
    import warnings

    from safetensors.torch import save_model

    (path / "encoder").mkdir(parents=True, exist_ok=True)
    backbone = est.module_.encoder.backbone
    base = backbone.get_base_model() if hasattr(backbone, "get_base_model") else backbone
    base.config.to_json_file(path / "encoder" / "config.json")
    est.tokenizer_.save_pretrained(path / "tokenizer")
    save_model(est.module_, str(path / "model.safetensors"))
    params, dropped = saved_params(est)
    if dropped:
        warnings.warn(f"the parameters {dropped} of {type(est).__name__} cannot be saved "
                      "as JSON; skemo.load rebuilds them at their defaults.", UserWarning,
                      stacklevel=3)
    params["precision"] = resolved_precision(est.precision, est.device_)
    encoder = est.target_encoder_
    thresholds = getattr(est, "thresholds_", None)  # absent in mid-fit checkpoints
    meta = {
        "format_version": FORMAT_VERSION,
        "class": type(est).__name__,
        "params": params,
        "pooling": est.module_.encoder.pooling,
        "target": {"kind": encoder.kind, "classes": encoder.classes_.tolist(),
                   "label_names": encoder.label_names_},
        "thresholds": None if thresholds is None else thresholds.tolist(),
        "n_parameters": sum(p.numel() for p in est.module_.state_dict().values()),
    }
    (path / "skemo.json").write_text(json.dumps(meta, indent=2))
    from skemo.model_card import write_model_card

    write_model_card(est, path, **(card or {}))


def save_estimator(est, path, *, card=None):
    """Write fitted ``est`` to directory ``path`` (see the module docstring).

    The save is atomic: ``path`` holds the previous save or the complete new
    one at every moment, whatever happens to the process.

    Parameters
    ----------
    est : skemo estimator, fitted
    path : str or path-like
        Created if missing; a previous save there is replaced as a whole. A
        non-empty directory that is not a skemo save is refused.

    Examples
    --------
    >>> import skemo  # doctest: +SKIP
    >>> clf.save("my-model")  # doctest: +SKIP
    >>> same = skemo.load("my-model")  # doctest: +SKIP
    """
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(est, ["classes_", "module_"])
    path = Path(path)
    if path.is_file():  # fail before writing; _refuse_to_replace checks again at the swap
        raise ValueError(f"cannot save to {path}: it is a file; give a directory path.")
    write_directory_atomically(path, lambda tmp: write_estimator_files(est, tmp, card),
                               check=_refuse_to_replace)


def _refuse_to_replace(path):
    """Raise if ``path`` is a file, or a non-empty directory that is not a skemo save."""
    if path.is_file():
        raise ValueError(f"cannot save to {path}: it is a file; give a directory path.")
    if path.is_dir() and any(path.iterdir()) and not (path / "skemo.json").is_file():
        raise ValueError(f"cannot save to {path}: the directory holds files that are not "
                         "a skemo save, which saving would delete; give a new or empty "
                         "directory.")


# ------------------------------------------------------------------ load
def read_metadata(path):
    """The validated contents of ``path/skemo.json``, or a ValueError naming the problem."""
    file = Path(path) / "skemo.json"
    try:
        meta = json.loads(file.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"{file} is not valid JSON ({error}).") from error
    if not isinstance(meta, dict):
        raise ValueError(f"{file} is corrupt: it holds no JSON object.")
    version = meta.get("format_version")
    if version not in READABLE_VERSIONS:
        raise ValueError(f"{file} has format_version {version!r}; this skemo reads "
                         f"versions {list(READABLE_VERSIONS)}. Upgrade skemo to load it.")
    required = {"class": str, "params": dict, "pooling": str, "target": dict,
                "thresholds": (list, type(None))}
    for key, kind in required.items():
        if key not in meta:
            raise ValueError(f"{file} is corrupt: the key {key!r} is missing.")
        if not isinstance(meta[key], kind):
            raise ValueError(f"{file} is corrupt: {key!r} is a {type(meta[key]).__name__}.")
    for key in ("kind", "classes", "label_names"):
        if key not in meta["target"]:
            raise ValueError(f"{file} is corrupt: the key 'target.{key}' is missing.")
    return meta


def _device_for(saved, device):
    """The device to load onto: ``device``, else ``saved`` when available, else "auto"."""
    if device is not None:
        return device
    from skemo.utils._validation import check_device

    try:
        check_device(saved)
    except ValueError:
        return "auto"
    return saved


def load(path: str | os.PathLike, device: str | None = None) -> EmotionClassifierBase:
    """Load an estimator saved with ``est.save(path)``.

    Parameters
    ----------
    path : str or path-like
        A saved model's directory, or a Hugging Face Hub id (``"org/name"``,
        downloaded through :func:`skemo.hub.from_pretrained`, which also takes
        ``revision`` and ``token``).
    device : str or None, default=None
        Where to load the model (``"cpu"``, ``"cuda"``, ``"auto"``...). None
        uses the saved ``device`` when this machine has it, else what is
        available (``"auto"``): a model fitted on a GPU loads on a CPU-only
        machine.

    Returns
    -------
    estimator
        Fitted; it predicts as the saved estimator did (same precision), up
        to the differences between devices.

    Raises
    ------
    ValueError
        If the directory is not a complete skemo save, has an unknown
        ``format_version``, names an unknown class, misses a key, or its
        weights do not match the saved architecture.

    Examples
    --------
    >>> import skemo  # doctest: +SKIP
    >>> clf = skemo.load("my-model", device="cpu")  # doctest: +SKIP
    """
    import warnings

    from safetensors import SafetensorError
    from safetensors.torch import load_model
    from transformers import AutoConfig

    from skemo.utils._targets import TargetConverter
    from skemo.utils.discovery import all_estimators

    path = Path(path)
    if not path.exists():
        recover_directory(path)
    from skemo.hub import is_hub_id, resolve_model_path

    if not path.exists() and is_hub_id(str(path)):
        path = resolve_model_path(str(path))  # a Hub id: from the Hub or its cache
    missing = [f for f in _FILES if not (path / f).is_file()]
    if missing:
        raise ValueError(f"{path} is not a saved skemo estimator: missing {missing}.")
    meta = read_metadata(path)
    classes = dict(all_estimators())
    if meta["class"] not in classes:
        raise ValueError(f"{path / 'skemo.json'} names the unknown estimator class "
                         f"{meta['class']!r}.")
    klass = classes[meta["class"]]
    params = dict(meta["params"])
    params["device"] = _device_for(params.get("device", "auto"), device)
    target = meta["target"]
    # An encoder given as a config object is not JSON: the saved config stands in.
    try:
        est = klass(**{"encoder": AutoConfig.from_pretrained(path / "encoder"), **params})
    except TypeError as error:
        raise ValueError(f"{path / 'skemo.json'} holds parameters {meta['class']} does "
                         f"not take ({error}).") from error
    est.device_ = est._resolve_device()
    try:
        from skemo.utils._precision import autocast_dtype, quantizes

        autocast_dtype(est.precision, est.device_)
        quantizes(est.precision, est.device_)
    except ValueError as error:
        warnings.warn(f"the model was saved with precision={est.precision!r}, which "
                      f"{est.device_} cannot run ({error}); it predicts with 'auto'.",
                      UserWarning, stacklevel=2)
        est.precision = "auto"
    encoder = TargetConverter.from_state(target["kind"], target["classes"],
                                         target["label_names"])
    est.target_encoder_ = encoder
    est.classes_ = encoder.classes_
    est.label_names_ = encoder.label_names_
    est.multilabel_ = encoder.multilabel
    est.label_weights_ = None
    saved = est.encoder, est.tokenizer, est.pooling
    est.encoder = AutoConfig.from_pretrained(path / "encoder")
    est.tokenizer, est.pooling = str(path / "tokenizer"), meta["pooling"]
    try:
        est.initialize()
    finally:
        est.encoder, est.tokenizer, est.pooling = saved
    try:
        load_model(est.module_, str(path / "model.safetensors"), strict=True,
                   device=est.device_)
    except (SafetensorError, RuntimeError, OSError) as error:
        raise ValueError(f"{path / 'model.safetensors'} does not hold the weights of "
                         f"this {meta['class']} (truncated or mismatched file): "
                         f"{error}") from error
    est.thresholds_ = (None if meta["thresholds"] is None
                       else np.asarray(meta["thresholds"], dtype=np.float64))
    est.validation_indices_ = None
    est._on_fit_end()
    return est
