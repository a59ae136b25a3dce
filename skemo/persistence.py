"""Saving and loading fitted estimators without pickle.

A saved estimator is a directory:

- ``skemo.json``: the format version, the estimator class, every parameter
  that JSON can hold (``get_params(deep=False)``: the constructor's, and the
  prefixed skorch ones such as ``module__dropout`` or ``criterion__alpha``),
  the resolved ``precision``, the labels, thresholds, calibration temperatures
  and the resolved pooling;
- ``encoder/config.json``: the backbone's ``transformers`` config, so the
  architecture is rebuilt without the original checkpoint or any network;
- ``tokenizer/``: the tokenizer files;
- ``model.safetensors``: every weight of the trained network;
- ``README.md``: the model card (:mod:`skemo.model_card`), for the Hub.

``skemo.json`` also lists every file of the save (``files``) and the sha256
of every weight file (``sha256``: ``model.safetensors``, and a checkpoint's
training state), written once the rest of the save is complete
(:func:`write_manifest`).

The estimator class is stored as ``module:qualname`` (format 3; formats 1
and 2 stored the bare class name of a skemo estimator, which still loads),
so a method defined in any importable package saves and loads. Loading
imports that module and accepts only a subclass of
:class:`~skemo.base.EmotionClassifierBase`; otherwise it reads JSON and
safetensors only, so it never executes code from the file. (``joblib``/pickle
files of estimators also work, but must only be loaded from trusted sources:
unpickling can run arbitrary code.)

What loading trusts
-------------------
- Weight files are checked against the sha256 that ``skemo.json`` records
  (:func:`check_weight_files`); a mismatch is refused, naming the file.
  Saves written before the hashes were recorded load unchecked.
- Every parameter is checked against the class's ``_parameter_constraints``,
  and the fitted thresholds and temperatures against their ranges
  (:func:`loadable_params`, :func:`read_metadata`).
- Parameters that load code or name paths (:data:`NOT_LOADED`) are never
  taken from a file: the loaded estimator has their defaults. A parameter
  whose default is code (a class or function: ``module``, ``criterion``,
  ``optimizer``...) found in a file is refused.
- An ``encoder/config.json`` or tokenizer that names custom code
  (``auto_map``) is refused (:func:`skemo.nn.check_source`).

Saving never deletes files it did not write: a directory is replaced only
when it holds a skemo save and nothing else (the files its ``skemo.json``
lists, or, for saves written before that list, the files skemo writes).

This module is the format: what a save holds and how it is written and
read. Estimators save and load themselves through it, with the hooks
``_save_pretrained`` and ``_from_pretrained`` that every estimator inherits;
:func:`skemo.load` and :mod:`skemo.hub` build on
those. It imports no estimator module.

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
import importlib
import inspect
import json
import os
import re
import shutil
import socket
import uuid
from pathlib import Path

import numpy as np

from skemo.model_card import write_model_card
from skemo.utils import _precision
from skemo.utils._validation import check_device
from skemo.utils.discovery import all_estimators

FORMAT_VERSION = 3
#: Versions :func:`skemo.load` reads: 1 lacked the prefixed parameters (module__* ...);
#: 1 and 2 name the class by its bare name, 3 by ``module:qualname``.
READABLE_VERSIONS = (1, 2, 3)
_FILES = ("skemo.json", "encoder/config.json", "model.safetensors")
#: Parameters that never change what a fitted model computes, so are not warned about
#: when they cannot be saved.
_TRAINING_ONLY = ("callbacks",)
#: Parameters never taken from a file, as they load code or read and write paths: a
#: loaded estimator has their defaults (set them again before fitting it anew).
NOT_LOADED = ("torch_load_kwargs", "checkpoint_dir", "cache_dir", "trust_remote_code",
              "callbacks")
#: Files holding weights or optimiser state, whose sha256 a save records.
_WEIGHT_SUFFIXES = (".safetensors", ".pt")
#: The files of saves written before ``skemo.json`` listed them (glob patterns): a save's,
#: and a ``last`` checkpoint's training state.
_LEGACY_FILES = ("skemo.json", "model.safetensors", "README.md", "encoder/*", "tokenizer/*",
                 "optimizer.pt", "history.json", "training_state.json",
                 "callback-*.safetensors")


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
    if not path.parent.is_dir() or not _siblings(path, "old"):
        return  # nothing moved aside to put back (nor a lock file to leave behind)
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


def _default_params(klass, required):
    """``get_params`` of ``klass`` built with defaults, ``required(name)`` giving the rest."""
    given = {p.name: required(p.name)
             for p in inspect.signature(klass.__init__).parameters.values()
             if p.default is p.empty and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
             and p.name != "self"}
    return klass(**given).get_params(deep=False)


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
    defaults = _default_params(type(est), lambda name: getattr(est, name))
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

    if _precision.quantizes(precision, device):
        return "int8"
    dtype = _precision.autocast_dtype(precision, device)
    return {None: "fp32", torch.bfloat16: "bf16", torch.float16: "fp16"}[dtype]


# ------------------------------------------------------------------ save
def class_path(klass):
    """``klass`` as a save names it: ``"module:qualname"``.

    Examples
    --------
    >>> from collections import OrderedDict
    >>> from skemo.persistence import class_path
    >>> class_path(OrderedDict)
    'collections:OrderedDict'
    """
    return f"{klass.__module__}:{klass.__qualname__}"


def write_estimator_files(est, path, card=None):
    """Write the files of a save of fitted ``est`` into the existing directory ``path``.

    ``card``: keyword arguments of :func:`skemo.model_card.model_card` for ``README.md``.
    Estimators call it from their ``_save_pretrained`` hook.
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
    temperatures = getattr(est, "temperatures_", None)
    meta = {
        "format_version": FORMAT_VERSION,
        "class": class_path(type(est)),
        "params": params,
        "pooling": est.module_.encoder.pooling,
        "target": {"kind": encoder.kind, "classes": encoder.classes_.tolist(),
                   "label_names": encoder.label_names_},
        "thresholds": None if thresholds is None else thresholds.tolist(),
        "temperatures": None if temperatures is None else temperatures.tolist(),
        "n_parameters": sum(p.numel() for p in est.module_.state_dict().values()),
    }
    (path / "skemo.json").write_text(json.dumps(meta, indent=2))
    write_model_card(est, path, **(card or {}))


def save_estimator(est, path, *, card=None, extra_files=None):
    """Write fitted ``est`` to directory ``path`` (see the module docstring).

    The files are those of ``est._save_pretrained``. The save is atomic:
    ``path`` holds the previous save or the complete new one at every
    moment, whatever happens to the process.

    Parameters
    ----------
    est : skemo estimator, fitted
    path : str or path-like
        Created if missing; a previous save there is replaced as a whole. A
        non-empty directory that is not a skemo save, or a save beside which
        lie files skemo did not write, is refused (nothing is deleted).
    card : dict or None, default=None
        Keyword arguments of :func:`skemo.model_card.model_card`.
    extra_files : callable or None, default=None
        Writes further files into the new save's directory (a checkpoint's
        training state), before it is swapped in.

    Raises
    ------
    ValueError
        If ``path`` is a file, or a directory holding files skemo did not write.

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
    def write(tmp):
        est._save_pretrained(tmp, **(card or {}))
        if extra_files is not None:
            extra_files(tmp)
        write_manifest(tmp)

    write_directory_atomically(path, write, check=_refuse_to_replace)


def _sha256(file):
    import hashlib

    digest = hashlib.sha256()
    with open(file, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _relative_files(path):
    """The files under directory ``path``, as sorted POSIX paths relative to it."""
    return sorted(f.relative_to(path).as_posix() for f in path.rglob("*") if f.is_file())


def write_manifest(path):
    """Record in ``path/skemo.json`` the files of the save and the sha256 of its weights.

    Called once every file of the save is written: ``files`` lists them (what
    a later save may replace), ``sha256`` maps each weight file
    (``*.safetensors``, ``*.pt``) to its hash (what loading checks, see
    :func:`check_weight_files`).

    Parameters
    ----------
    path : path-like
        A directory holding a complete save.
    """
    path = Path(path)
    meta = json.loads((path / "skemo.json").read_text())
    files = [name for name in _relative_files(path) if name != "skemo.json"]
    meta["files"] = files
    meta["sha256"] = {name: _sha256(path / name) for name in files
                      if name.endswith(_WEIGHT_SUFFIXES)}
    (path / "skemo.json").write_text(json.dumps(meta, indent=2))


def _refuse_to_replace(path):
    """Raise if ``path`` is a file, or a non-empty directory holding files skemo did not write.

    The files of a save are those its ``skemo.json`` lists; saves written
    before that list have those of :data:`_LEGACY_FILES`.
    """
    import fnmatch

    if path.is_file():
        raise ValueError(f"cannot save to {path}: it is a file; give a directory path.")
    if not path.is_dir() or not any(path.iterdir()):
        return
    if not (path / "skemo.json").is_file():
        raise ValueError(f"cannot save to {path}: the directory holds files that are not "
                         "a skemo save, which saving would delete; give a new or empty "
                         "directory.")
    try:
        listed = json.loads((path / "skemo.json").read_text()).get("files")
    except (ValueError, OSError, AttributeError):
        listed = None
    if isinstance(listed, list):
        owned = {"skemo.json", *map(str, listed)}
        foreign = [name for name in _relative_files(path) if name not in owned]
    else:
        foreign = [name for name in _relative_files(path)
                   if not any(fnmatch.fnmatchcase(name, pattern) for pattern in _LEGACY_FILES)]
    if foreign:
        shown = ", ".join(foreign[:5]) + (", ..." if len(foreign) > 5 else "")
        raise ValueError(f"cannot save to {path}: it holds files skemo did not write "
                         f"({shown}), which replacing the save there would delete; move "
                         "them out of it, or save to another directory.")


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
    if not isinstance(meta.get("temperatures"), (list, type(None))):
        raise ValueError(f"{file} is corrupt: 'temperatures' is a "
                         f"{type(meta['temperatures']).__name__}.")
    for key in ("kind", "classes", "label_names"):
        if key not in meta["target"]:
            raise ValueError(f"{file} is corrupt: the key 'target.{key}' is missing.")
    _check_fitted_values(meta, file)
    _check_manifest(meta, file)
    return meta


def _numbers(values):
    """``values`` as a float array if it is a list of real numbers, else None."""
    if not isinstance(values, list) or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return None
    return np.asarray(values, dtype=np.float64)


def _check_fitted_values(meta, file):
    """Thresholds in [0, 1] and positive finite temperatures, one per label, or a ValueError."""
    classes = meta["target"]["classes"]
    n_labels = len(classes) if isinstance(classes, list) else None
    checks = {"thresholds": ("one number in [0, 1]", lambda a: (a >= 0) & (a <= 1)),
              "temperatures": ("one positive number", lambda a: np.isfinite(a) & (a > 0))}
    for key, (what, valid) in checks.items():
        values = meta.get(key)
        if values is None:
            continue
        array = _numbers(values)
        if array is None or len(array) != n_labels or not valid(array).all():
            raise ValueError(f"{file} is corrupt: {key!r} must hold {what} per label "
                             f"({n_labels} labels); it holds {values!r}.")


def _check_manifest(meta, file):
    """``files`` a list of names and ``sha256`` hex digests of files inside the save."""
    files, hashes = meta.get("files"), meta.get("sha256")
    if files is not None and not (isinstance(files, list)
                                  and all(isinstance(f, str) for f in files)):
        raise ValueError(f"{file} is corrupt: 'files' is not a list of file names.")
    if hashes is None:
        return
    if not isinstance(hashes, dict):
        raise ValueError(f"{file} is corrupt: 'sha256' is a {type(hashes).__name__}.")
    for name, digest in hashes.items():
        parts = Path(name).parts
        if Path(name).is_absolute() or ".." in parts or not parts:
            raise ValueError(f"{file} is corrupt: 'sha256' names {name!r}, which is not a "
                             "file of the save.")
        if not (isinstance(digest, str) and re.fullmatch(r"[0-9a-f]{64}", digest)):
            raise ValueError(f"{file} is corrupt: the sha256 of {name!r} is {digest!r}.")


def check_weight_files(path, meta):
    """Check the weight files of the save in ``path`` against the sha256 ``meta`` records.

    Saves written before the hashes were recorded (no ``sha256`` key) pass unchecked.

    Parameters
    ----------
    path : path-like
        The save's directory.
    meta : dict
        Its ``skemo.json`` (:func:`read_metadata`).

    Raises
    ------
    ValueError
        Naming the first file that is missing or whose sha256 differs.
    """
    path = Path(path)
    for name, digest in (meta.get("sha256") or {}).items():
        file = path / name
        if not file.is_file():
            raise ValueError(f"{file} is missing; {path / 'skemo.json'} records its sha256.")
        if _sha256(file) != digest:
            raise ValueError(f"{file} does not match the sha256 recorded in "
                             f"{path / 'skemo.json'}: it was changed or damaged after it "
                             "was saved; refusing to load it.")


def loadable_params(klass, meta, file):
    """The parameters of ``meta`` (a ``skemo.json``) that ``klass`` is built with on loading.

    The parameters of :data:`NOT_LOADED` are left out (their defaults apply),
    as are the settings of callbacks; the others are checked against
    ``klass._parameter_constraints``.

    Parameters
    ----------
    klass : type
        The estimator class the save names.
    meta : dict
        The save's metadata (:func:`read_metadata`).
    file : path-like
        The ``skemo.json`` it was read from, for the messages.

    Returns
    -------
    dict

    Raises
    ------
    ValueError
        If a parameter names code (its default is a class or function, such
        as ``module`` or ``optimizer``), or breaks its constraint.

    Examples
    --------
    >>> from skemo import FineTunedEmotionClassifier
    >>> from skemo.persistence import loadable_params
    >>> meta = {"params": {"max_length": 64, "checkpoint_dir": "/etc"}}
    >>> loadable_params(FineTunedEmotionClassifier, meta, "skemo.json")
    {'max_length': 64}
    """
    from sklearn.utils._param_validation import (
        InvalidParameterError,
        validate_parameter_constraints,
    )

    params = {name: value for name, value in meta["params"].items()
              if name not in NOT_LOADED and not name.startswith("callbacks__")}
    defaults = _default_params(klass, lambda name: params.get(name))
    for name in params:
        default = defaults.get(name)
        if isinstance(default, type) or callable(default):
            raise ValueError(f"{file} is corrupt: {name!r} names code (a class or function), "
                             "which skemo never takes from a file.")
    constraints = getattr(klass, "_parameter_constraints", {})
    try:
        validate_parameter_constraints(
            {name: rule for name, rule in constraints.items() if name in params},
            params, caller_name=klass.__name__)
    except InvalidParameterError as error:
        raise ValueError(f"{file} is corrupt: {error}") from error
    return params




def resolve_estimator_class(name, base):
    """The estimator class a save names, which must be a subclass of ``base``.

    Parameters
    ----------
    name : str
        ``"module:qualname"`` (format 3), or the bare class name of a
        registered estimator (formats 1 and 2, see
        :func:`skemo.utils.discovery.all_estimators`).
    base : type
        The class it must derive from.

    Returns
    -------
    type

    Raises
    ------
    ValueError
        Naming ``name``, if it cannot be imported or is not a subclass of ``base``.

    Examples
    --------
    >>> from collections import OrderedDict
    >>> from skemo.persistence import resolve_estimator_class
    >>> resolve_estimator_class("collections:OrderedDict", dict).__name__
    'OrderedDict'
    >>> resolve_estimator_class("collections:OrderedDict", list)
    Traceback (most recent call last):
    ...
    ValueError: the saved class 'collections:OrderedDict' is not a subclass of list.
    """
    module_name, colon, qualname = name.partition(":")
    if not colon:
        found = dict(all_estimators()).get(name)
        if found is None:
            raise ValueError(f"the saved class {name!r} is no registered estimator "
                             "(unknown estimator class).")
        klass = found
    else:
        try:
            klass = importlib.import_module(module_name)
            for attr in qualname.split("."):
                klass = getattr(klass, attr)
        except (ImportError, AttributeError, ValueError) as error:
            raise ValueError(f"the saved class {name!r} cannot be imported ({error}); "
                             "install the package that defines it.") from error
    if not (isinstance(klass, type) and issubclass(klass, base)):
        raise ValueError(f"the saved class {name!r} is not a subclass of {base.__name__}.")
    return klass


def device_for(saved, device):
    """The device to load onto: ``device``, else ``saved`` when available, else "auto"."""
    if device is not None:
        return device
    try:
        check_device(saved)
    except ValueError:
        return "auto"
    return saved


def saved_model_directory(name_or_path, **hub):
    """The local directory of a complete save: ``name_or_path``, or a Hub snapshot of it.

    A save left moved aside by a writer killed mid-swap is put back first
    (:func:`recover_directory`).

    Parameters
    ----------
    name_or_path : str or path-like
    **hub
        ``revision``, ``token``, ``cache_dir``, ``local_files_only`` of
        :func:`resolve_model_path`.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    ValueError
        If the directory is not a complete skemo save.
    """
    path = Path(name_or_path)
    if not path.exists():
        recover_directory(path)
    if not path.exists() and is_hub_id(str(name_or_path)):
        path = resolve_model_path(str(name_or_path), **hub)  # from the Hub or its cache
    missing = [f for f in _FILES if not (path / f).is_file()]
    if missing:
        raise ValueError(f"{path} is not a saved skemo estimator: missing {missing}.")
    return path


def load_weights(module, path, device, name):
    """Load ``path/model.safetensors`` into ``module`` (strict), or a ValueError.

    ``name`` is the estimator class the weights should belong to, for the message.
    """
    from safetensors import SafetensorError
    from safetensors.torch import load_model

    try:
        load_model(module, str(Path(path) / "model.safetensors"), strict=True, device=device)
    except (SafetensorError, RuntimeError, OSError) as error:
        raise ValueError(f"{Path(path) / 'model.safetensors'} does not hold the weights of "
                         f"this {name} (truncated or mismatched file): "
                         f"{error}") from error


# ------------------------------------------------------------------ where a save is
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


def is_hub_id(name):
    """Whether ``name`` has the form of a Hub model id, ``"org/name"``.

    Examples
    --------
    >>> from skemo.persistence import is_hub_id
    >>> is_hub_id("skemo/goemotions-minilm"), is_hub_id("./my-model"), is_hub_id("a/b/c")
    (True, False, False)
    """
    return isinstance(name, str) and bool(_HUB_ID.match(name)) and ".." not in name


def resolve_model_path(name_or_path, *, revision=None, token=None, cache_dir=None,
                       local_files_only=False):
    """The local directory of a saved model: ``name_or_path`` itself, or a Hub download.

    An existing local path is returned as it is. Otherwise a name of the form
    ``"org/name"`` is downloaded with :func:`huggingface_hub.snapshot_download`
    (or found in its cache).

    Parameters
    ----------
    name_or_path : str or path-like
        A local directory or a Hub model id.
    revision : str or None, default=None
        Branch, tag or commit of the Hub repository (None: its default branch).
    token : str, bool or None, default=None
        Hub token for private or gated repositories (None: the stored login).
    cache_dir : str, path-like or None, default=None
        The Hub cache to use (None: ``huggingface_hub``'s default).
    local_files_only : bool, default=False
        Only look in the cache, never on the network.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    ValueError
        If ``name_or_path`` is neither an existing path nor of the form ``"org/name"``.
    OSError
        If the Hub cannot provide it (offline and not cached, no such
        repository or revision, no access); the message says which.

    Examples
    --------
    >>> import tempfile
    >>> from skemo.persistence import resolve_model_path
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     resolve_model_path(folder).is_dir()
    True
    """
    path = Path(name_or_path)
    if path.exists():
        return path
    if not is_hub_id(str(name_or_path)):
        raise ValueError(f"{str(name_or_path)!r} is not a directory, and not a Hugging Face "
                         "Hub id of the form 'org/name' either.")
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import (
        GatedRepoError,
        LocalEntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    where = f"{name_or_path!r}" + (f" at revision {revision!r}" if revision else "")
    try:
        folder = snapshot_download(str(name_or_path), revision=revision, token=token,
                                   cache_dir=cache_dir, local_files_only=local_files_only,
                                   library_name="skemo")
    except LocalEntryNotFoundError as error:
        raise OSError(f"cannot load {where}: there is no local directory of that name, and "
                      "it is not in the Hugging Face Hub cache while downloads are off "
                      "(HF_HUB_OFFLINE=1, local_files_only=True, or no network). Download it "
                      f"once online, or give a local directory. ({error})") from error
    except GatedRepoError as error:
        raise OSError(f"cannot load {where}: the repository is gated; accept its terms on "
                      "the Hub and pass a token (or log in with `hf auth login`).") from error
    except RevisionNotFoundError as error:
        raise OSError(f"cannot load {where}: the repository has no such revision.") from error
    except RepositoryNotFoundError as error:
        raise OSError(f"cannot load {where}: no such Hub repository, or it is private and "
                      "no valid token was given; pass token=... or log in with "
                      "`hf auth login`.") from error
    return Path(folder)
