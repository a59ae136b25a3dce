"""The torch modules of skemo's methods (torch and transformers only).

Everything here is plain :class:`torch.nn.Module` code that knows nothing of
scikit-learn or skorch: the estimators in :mod:`skemo.methods` build these
modules and train them.

The contract an estimator's module follows is :class:`EmotionModule`
(``skemo.nn.module``): an ``encoder`` attribute, ``forward`` returning
the label logits (or a tuple led by them), ``label_bias()`` and
``calibration_parameters()``.
"""

from skemo.nn.encoder import (
    DEFAULT_ENCODER,
    POOLING_MODES,
    TextEncoder,
    add_lora,
    check_source,
    default_pooling,
    load_backbone,
    load_tokenizer,
    pool,
    resolve_encoder,
)
from skemo.nn.heads import (
    ClassifierHeadModel,
    MaskedLMHead,
    load_checkpoint_mlm_head,
    two_layer_mlp,
)
from skemo.nn.label_text import LabelTextModel
from skemo.nn.module import EmotionModule

__all__ = [
    "DEFAULT_ENCODER",
    "POOLING_MODES",
    "ClassifierHeadModel",
    "EmotionModule",
    "LabelTextModel",
    "MaskedLMHead",
    "TextEncoder",
    "add_lora",
    "check_source",
    "default_pooling",
    "load_backbone",
    "load_checkpoint_mlm_head",
    "load_tokenizer",
    "pool",
    "resolve_encoder",
    "two_layer_mlp",
]
