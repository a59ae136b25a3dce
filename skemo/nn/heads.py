"""Heads that turn pooled text embeddings into label logits, and the MLM head.

- :class:`ClassifierHeadModel`: encoder, dropout, one linear layer (the
  baseline's model, shared by the methods that add a classification head);
- :func:`two_layer_mlp`: ``Linear -> ReLU -> Linear`` projections (TACO);
- :class:`MaskedLMHead` and :func:`load_checkpoint_mlm_head`: BERT's masked
  language-model head, for the definition-modelling auxiliary task.
"""

import torch
from torch import nn

from skemo.nn.encoder import check_source, resolve_encoder
from skemo.nn.module import EmotionModule


class ClassifierHeadModel(EmotionModule):
    """Encoder, dropout, then one linear layer to the label logits.

    Parameters
    ----------
    encoder : skemo.nn.encoder.TextEncoder
        The text encoder whose pooled vectors the head reads.
    n_labels : int
        Number of labels (output logits).
    dropout : float, default=0.1
        Dropout on the pooled vector before the linear layer.
    """

    def __init__(self, encoder, n_labels, dropout=0.1):
        super().__init__(encoder)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(encoder.hidden_size, n_labels)

    def forward(self, input_ids, attention_mask):
        return self.head(self.dropout(self.encoder(input_ids, attention_mask)))

    def label_bias(self):
        """The bias of the label logits (initialised to the label prior by ``fit``)."""
        return self.head.bias


def two_layer_mlp(in_features, hidden_features, out_features):
    """``Linear -> ReLU -> Linear``: TACO's fully-connected networks FCN1 and FCN2."""
    return nn.Sequential(nn.Linear(in_features, hidden_features), nn.ReLU(),
                         nn.Linear(hidden_features, out_features))


class MaskedLMHead(nn.Module):
    """BERT's masked-language-model head, its decoder tied to the input embeddings.

    ``dense → activation → LayerNorm → decoder``, where the decoder's weight
    *is* the encoder's word-embedding matrix (shared storage) and only its
    output bias is the head's own. The transform starts as BERT initialises
    it (normal weights of std ``initializer_range``, zero biases).

    Parameters
    ----------
    config : transformers.PretrainedConfig
        The encoder's config: ``hidden_size``, and ``hidden_act`` (or
        ``activation``; default GELU) and ``layer_norm_eps`` where it has them.
    embeddings : torch.nn.Embedding
        The encoder's input word embeddings.
    """

    def __init__(self, config, embeddings):
        from transformers.activations import ACT2FN

        super().__init__()
        vocab_size, width = embeddings.weight.shape
        if width != config.hidden_size:
            raise ValueError(f"aux_tasks 'mlm' needs word embeddings as wide as the hidden "
                             f"states ({config.hidden_size}); this encoder's are {width}.")
        act = getattr(config, "hidden_act", getattr(config, "activation", "gelu"))
        self.dense = nn.Linear(width, width)
        self.activation = ACT2FN[act] if isinstance(act, str) else act
        self.layer_norm = nn.LayerNorm(width, eps=getattr(config, "layer_norm_eps", 1e-12))
        self.decoder = nn.Linear(width, vocab_size)
        nn.init.normal_(self.dense.weight, std=getattr(config, "initializer_range", 0.02))
        nn.init.zeros_(self.dense.bias)
        nn.init.zeros_(self.decoder.bias)
        self.decoder.weight = embeddings.weight

    def forward(self, states):
        return self.decoder(self.layer_norm(self.activation(self.dense(states))))


#: Where BERT- and RoBERTa-style checkpoints keep their MLM head, in this head's names.
_CHECKPOINT_MLM_HEADS = (
    {"cls.predictions.transform.dense.": "dense.",
     "cls.predictions.transform.LayerNorm.": "layer_norm.",
     "cls.predictions.bias": "decoder.bias"},
    {"lm_head.dense.": "dense.", "lm_head.layer_norm.": "layer_norm.",
     "lm_head.bias": "decoder.bias"},
)


def load_checkpoint_mlm_head(encoder, head, trust_remote_code=False):
    """Copy a checkpoint's own MLM head into ``head``, if it has a BERT- or RoBERTa-style one.

    Parameters
    ----------
    encoder : str or path-like
        A checkpoint whose config lists a ``*ForMaskedLM`` or
        ``*ForPreTraining`` architecture.
    head : MaskedLMHead
        The head to copy the weights into.
    trust_remote_code : bool, default=False
        Whether the checkpoint may name code of its own to be run (see
        :func:`~skemo.nn.check_source`).

    Returns
    -------
    bool
        Whether weights were copied (else ``head`` keeps its initial weights).
    """
    from transformers import AutoModelForMaskedLM

    source = resolve_encoder(encoder)
    check_source(source, "encoder", trust_remote_code)
    with torch.random.fork_rng(devices=[]):
        state = AutoModelForMaskedLM.from_pretrained(
            source, trust_remote_code=trust_remote_code).state_dict()
    for names in _CHECKPOINT_MLM_HEADS:
        found = {ours + key[len(theirs):]: value for key, value in state.items()
                 for theirs, ours in names.items() if key.startswith(theirs)}
        if len(found) == 5:
            with torch.no_grad():
                for name, value in found.items():
                    head.get_parameter(name).copy_(value)
            return True
    return False


__all__ = ["ClassifierHeadModel", "MaskedLMHead", "load_checkpoint_mlm_head", "two_layer_mlp"]
