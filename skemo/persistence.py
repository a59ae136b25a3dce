"""Saving and loading fitted estimators without pickle.

A saved estimator is a directory:

- ``skemo.json``: the estimator class, its constructor parameters, the
  labels, thresholds and the resolved pooling;
- ``encoder/config.json``: the backbone's ``transformers`` config, so the
  architecture is rebuilt without the original checkpoint or any network;
- ``tokenizer/``: the tokenizer files;
- ``model.safetensors``: every weight of the trained network.

Loading reads JSON and safetensors only, so it never executes code from the
file. (``joblib``/pickle files of estimators also work, but must only be
loaded from trusted sources: unpickling can run arbitrary code.)
"""

import inspect
import json
from pathlib import Path

import numpy as np

FORMAT_VERSION = 1
_FILES = ("skemo.json", "encoder/config.json", "model.safetensors")


def _init_params(est):
    """The JSON-serialisable constructor parameters declared by skemo classes."""
    names = []
    for klass in type(est).__mro__:
        if "_parameter_constraints" not in vars(klass):  # not a skemo estimator class
            continue
        for p in inspect.signature(klass.__init__).parameters.values():
            if p.kind == p.KEYWORD_ONLY or p.kind == p.POSITIONAL_OR_KEYWORD:
                if p.name != "self" and p.name not in names:
                    names.append(p.name)
    params = {}
    for name in names:
        value = getattr(est, name)
        if isinstance(value, (np.ndarray, tuple)):
            value = list(value.tolist() if isinstance(value, np.ndarray) else value)
        try:
            json.dumps(value)
        except TypeError:
            continue  # e.g. a config object or a RandomState: rebuilt from the files
        params[name] = value
    return params


def save_estimator(est, path):
    """Write fitted ``est`` to directory ``path`` (see the module docstring).

    Parameters
    ----------
    est : skemo estimator, fitted
    path : str or path-like
        Created if missing; existing skemo files in it are overwritten.

    Examples
    --------
    >>> import skemo  # doctest: +SKIP
    >>> clf.save("my-model")  # doctest: +SKIP
    >>> same = skemo.load("my-model")  # doctest: +SKIP
    """
    from safetensors.torch import save_model
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(est, ["classes_", "module_"])
    path = Path(path)
    (path / "encoder").mkdir(parents=True, exist_ok=True)
    backbone = est.module_.encoder.backbone
    base = backbone.get_base_model() if hasattr(backbone, "get_base_model") else backbone
    base.config.to_json_file(path / "encoder" / "config.json")
    est.tokenizer_.save_pretrained(path / "tokenizer")
    save_model(est.module_, str(path / "model.safetensors"))
    encoder = est.target_encoder_
    thresholds = getattr(est, "thresholds_", None)  # absent in mid-fit checkpoints
    meta = {
        "format_version": FORMAT_VERSION,
        "class": type(est).__name__,
        "params": _init_params(est),
        "pooling": est.module_.encoder.pooling,
        "target": {"kind": encoder.kind, "classes": encoder.classes_.tolist(),
                   "label_names": encoder.label_names_},
        "thresholds": None if thresholds is None else thresholds.tolist(),
        "n_parameters": sum(p.numel() for p in est.module_.state_dict().values()),
    }
    (path / "skemo.json").write_text(json.dumps(meta, indent=2))


def load(path):
    """Load an estimator saved with ``est.save(path)``.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    estimator
        Fitted, on ``device`` as its parameters say (CPU when no GPU exists).

    Raises
    ------
    ValueError
        If the directory is not a complete skemo save, names an unknown
        class, or its weights do not match the saved architecture.

    Examples
    --------
    >>> import skemo  # doctest: +SKIP
    >>> clf = skemo.load("my-model")  # doctest: +SKIP
    """
    from safetensors import SafetensorError
    from safetensors.torch import load_model
    from transformers import AutoConfig

    from skemo.utils.discovery import all_estimators
    from skemo.utils._targets import TargetConverter

    path = Path(path)
    missing = [f for f in _FILES if not (path / f).is_file()]
    if missing:
        raise ValueError(f"{path} is not a saved skemo estimator: missing {missing}.")
    try:
        meta = json.loads((path / "skemo.json").read_text())
        classes = dict(all_estimators())
        klass = classes[meta["class"]]
        target = meta["target"]
    except (json.JSONDecodeError, KeyError, TypeError) as error:
        raise ValueError(f"{path / 'skemo.json'} is corrupt or names an unknown "
                         f"estimator class ({error!r}).") from error
    # An encoder given as a config object is not JSON: the saved config stands in.
    est = klass(**{"encoder": AutoConfig.from_pretrained(path / "encoder"),
                   **meta["params"]})
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
