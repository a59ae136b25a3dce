"""The network and the text data it reads.

:class:`NetworkMixin` builds ``module_`` from the estimator's ``module``
class, a :class:`~skemo.nn.encoder.TextEncoder` and the tokenizer
(``initialize_module``; the module protocol is :mod:`skemo.nn.module`),
and turns texts into batches: tokenised, or encoded once by a frozen encoder
(``get_dataset``), and padded to their longest text in length-bucketed
training batches (``get_iterator``).
"""

import copy

from skemo.nn import EmotionModule
from skemo.nn.encoder import (
    TextEncoder,
    add_lora,
    default_pooling,
    load_backbone,
    load_tokenizer,
)
from skemo.utils._embedding_cache import frozen_embeddings
from skemo.utils._text_data import (
    LengthBucketBatchSampler,
    PadCollator,
    TextDataset,
    tokenize_texts,
)


class NetworkMixin:
    """Building the module, and the data pipeline (see the module docstring)."""

    def initialize_module(self):
        from transformers import PretrainedConfig

        # transformers sets attributes of a config it builds a model from: use a copy.
        encoder = (copy.deepcopy(self.encoder) if isinstance(self.encoder, PretrainedConfig)
                   else self.encoder)
        backbone = load_backbone(encoder, self.trust_remote_code,
                                 progress=bool(self.verbose))
        self.tokenizer_ = load_tokenizer(self.encoder, self.tokenizer, self.trust_remote_code)
        self.max_positions_ = self._position_limit(backbone.config)
        if self.max_positions_ is not None and self.max_length > self.max_positions_:
            raise ValueError(
                f"max_length={self.max_length} exceeds the {self.max_positions_} token "
                f"positions of the encoder ({backbone.config.model_type}); a longer text "
                "would crash it. Set max_length to at most that.")
        if len(self.tokenizer_) > backbone.config.vocab_size:
            raise ValueError(
                f"The tokenizer has {len(self.tokenizer_)} tokens but the encoder's "
                f"vocabulary holds only {backbone.config.vocab_size}; pass a matching "
                "`tokenizer`.")
        if self.lora_r is not None:
            backbone = add_lora(backbone, self.lora_r, self.lora_alpha, self.lora_dropout)
        pooling = (default_pooling(self.encoder, backbone.config)
                   if self.pooling == "auto" else self.pooling)
        encoder = TextEncoder(backbone, pooling, frozen=self.freeze_encoder)
        kwargs = {**self._module_kwargs(), **self.get_params_for("module")}
        module = self.module(encoder=encoder, n_labels=len(self.classes_), **kwargs)
        if not isinstance(module, EmotionModule):
            raise TypeError(f"{type(self).__name__}.module must build a "
                            f"skemo.nn.EmotionModule (the module protocol); "
                            f"{type(module).__name__} is not one.")
        self.module_ = module.to(self.device_)
        return self

    def _position_limit(self, config):
        """The most tokens the encoder and tokenizer take per text (None: no known limit)."""
        limits = [getattr(config, name, None)
                  for name in ("max_position_embeddings", "n_positions")]
        if config.model_type in ("roberta", "xlm-roberta", "camembert", "mpnet", "longformer"):
            # positions start after the padding index
            limits = [None if n is None else n - config.pad_token_id - 1 for n in limits]
        model_max = getattr(self.tokenizer_, "model_max_length", None)
        if model_max is not None and model_max < 10**6:  # transformers' "no limit" is 1e30
            limits.append(model_max)
        limits = [int(n) for n in limits if isinstance(n, int) and n > 0]
        return min(limits) if limits else None

    def _module_kwargs(self):
        """Extra constructor arguments of ``module`` (beyond encoder and n_labels)."""
        return {}

    #: Whether training steps read the token ids of their batches (e.g. to build
    #: auxiliary inputs from them). If so, ``freeze_encoder`` keeps token batches
    #: and runs the frozen encoder at every step instead of precomputing embeddings.
    needs_token_ids = False

    def get_dataset(self, X, y=None):
        if isinstance(X, TextDataset):
            return X
        input_ids = tokenize_texts(self.tokenizer_, X, self.max_length)
        encoder = self._text_encoder()
        if encoder is None or not encoder.frozen or self.needs_token_ids:
            return TextDataset(input_ids, y)
        embeddings = frozen_embeddings(
            encoder, input_ids, pad_token_id=self.tokenizer_.pad_token_id,
            device=self.device_, precision=self.precision, cache_dir=self.cache_dir)
        return TextDataset(embeddings, y, lengths=[len(row) for row in input_ids])


    def _text_encoder(self):
        """The module's :class:`~skemo.nn.encoder.TextEncoder` (also inside wrappers, e.g. DDP)."""
        return next((m for m in self.module_.modules() if isinstance(m, TextEncoder)), None)

    def get_iterator(self, dataset, training=False):
        prefix = "iterator_train" if training else "iterator_valid"
        kwargs = self.get_params_for(prefix)
        kwargs.setdefault("collate_fn", PadCollator(self.tokenizer_.pad_token_id))
        custom = {"batch_sampler", "sampler", "shuffle", "batch_size"} & set(kwargs)
        if training and not custom:
            kwargs["batch_sampler"] = LengthBucketBatchSampler(
                dataset.lengths, self.batch_size, seed=self.seed_, epoch=len(self.history_))
        else:
            kwargs.setdefault("batch_size", self.batch_size)
        return getattr(self, prefix)(dataset, **kwargs)
