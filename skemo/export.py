"""Export fitted estimators for serving without skemo's training stack.

Two targets:

- :func:`export_transformers`: the fine-tuned baseline
  (:class:`~skemo.FineTunedEmotionClassifier`) as a ``transformers``
  checkpoint that ``AutoModelForSequenceClassification`` and
  ``transformers.pipeline("text-classification")`` load, with ``id2label``
  and ``problem_type="multi_label_classification"``, giving skemo's
  probabilities. transformers' own ``*ForSequenceClassification`` classes
  classify through a head of their own (BERT's: a dense layer and tanh over
  the first token), not from skemo's pooling (the raw first token, or the
  mean of the token states for MiniLM), so none can express the model: the
  checkpoint ships its model and config classes as code
  (``modeling_skemo.py``, a 70-line file that pools as skemo does), named in
  ``config.json``'s ``auto_map``, under ``model_type="skemo"``, which
  transformers does not know. Loading it therefore needs
  ``trust_remote_code=True``; without it every loader refuses (an error
  that asks for ``trust_remote_code=True``) rather than building one of its
  own classes with random weights. The code is plain and short, to be read
  before trusting it. LoRA adapters are merged into the weights.
- :func:`export_onnx`: every estimator's scoring path (token ids and
  attention mask in, label probabilities out) as an ONNX graph, with the
  tokenizer and labels beside it; :class:`ONNXEmotionClassifier` predicts
  from that directory with ``onnxruntime``.
"""

import json
from pathlib import Path

import numpy as np

from skemo.explain import ExplanationMixin

__all__ = ["ONNXEmotionClassifier", "export_onnx", "export_transformers"]

_MODELING_FILE = "modeling_skemo.py"
_ONNX_FILE, _ONNX_META = "model.onnx", "skemo_onnx.json"

#: The model class of an exported checkpoint (written as ``modeling_skemo.py``).
_MODELING_CODE = '''"""An encoder, skemo's pooling, a linear layer (written by skemo.export)."""

import torch
from torch import nn
from transformers import AutoConfig, AutoModel, PretrainedConfig, PreTrainedModel
from transformers.modeling_outputs import SequenceClassifierOutput


def pool(hidden, attention_mask, mode):
    """skemo.nn.encoder.pool: one vector per text from the token states."""
    normalize = mode.endswith("+normalize")
    mode = mode.split("+")[0]
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


class SkemoConfig(PretrainedConfig):
    """The labels, ``skemo_pooling``, and the encoder's own config (``skemo_encoder``)."""

    model_type = "skemo"

    def __init__(self, skemo_encoder=None, skemo_pooling="mean", **kwargs):
        self.skemo_encoder = dict(skemo_encoder or {})
        self.skemo_pooling = skemo_pooling
        super().__init__(**kwargs)


class SkemoForSequenceClassification(PreTrainedModel):
    """``config.skemo_pooling`` pooling of the encoder's token states, then a linear layer."""

    config_class = SkemoConfig
    base_model_prefix = "encoder"

    def __init__(self, config):
        super().__init__(config)
        encoder = dict(config.skemo_encoder)
        self.encoder = AutoModel.from_config(AutoConfig.for_model(**encoder))
        self.classifier = nn.Linear(self.encoder.config.hidden_size, config.num_labels)
        self.post_init()

    def forward(self, input_ids=None, attention_mask=None, labels=None, **kwargs):
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        output = self.encoder(input_ids=input_ids, attention_mask=attention_mask)
        hidden = output.last_hidden_state
        logits = self.classifier(pool(hidden, attention_mask, self.config.skemo_pooling))
        loss = None
        if labels is not None:
            if self.config.problem_type == "multi_label_classification":
                loss = nn.functional.binary_cross_entropy_with_logits(logits, labels.float())
            else:
                loss = nn.functional.cross_entropy(logits, labels)
        return SequenceClassifierOutput(loss=loss, logits=logits)
'''
#: What ``config.json`` of an exported checkpoint names, for transformers' Auto classes.
_AUTO_MAP = {"AutoConfig": "modeling_skemo.SkemoConfig",
             "AutoModelForSequenceClassification":
             "modeling_skemo.SkemoForSequenceClassification"}


def export_transformers(est, directory):
    """Write fitted ``est`` as a ``transformers`` sequence-classification checkpoint.

    Parameters
    ----------
    est : FineTunedEmotionClassifier, fitted
        The fine-tuned baseline (encoder and one linear head), with or
        without LoRA adapters.
    directory : str or path-like
        Created if missing.

    Returns
    -------
    pathlib.Path
        ``directory``, holding ``config.json`` (``model_type="skemo"``,
        ``id2label``, ``problem_type``, ``auto_map``, ``skemo_pooling`` and
        the encoder's config as ``skemo_encoder``), ``model.safetensors``, the
        tokenizer and ``modeling_skemo.py``. It loads only with
        ``trust_remote_code=True``.

    Raises
    ------
    TypeError
        If ``est`` is not a :class:`~skemo.FineTunedEmotionClassifier`.

    Examples
    --------
    >>> from transformers import pipeline
    >>> from skemo.export import export_transformers
    >>> export_transformers(clf, "goemotions-hf")  # doctest: +SKIP
    >>> classify = pipeline("text-classification", model="goemotions-hf",
    ...                     trust_remote_code=True, top_k=None)  # doctest: +SKIP
    >>> classify("Thank you so much!")  # doctest: +SKIP
    """
    from safetensors.torch import save_file
    from sklearn.utils.validation import check_is_fitted

    from skemo.methods.finetuned import FineTunedEmotionClassifier
    from skemo.utils._onnx import exportable_copy

    if not isinstance(est, FineTunedEmotionClassifier):
        raise TypeError(f"export_transformers exports the fine-tuned baseline "
                        f"(FineTunedEmotionClassifier), not a {type(est).__name__}; "
                        "use export_onnx for the other methods.")
    check_is_fitted(est, ["classes_", "module_"])
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    backbone = exportable_copy(est.module_.encoder).backbone  # LoRA merged in
    names = list(est.label_names_)
    config = {
        "model_type": "skemo",
        "architectures": ["SkemoForSequenceClassification"],
        "auto_map": _AUTO_MAP,
        "id2label": {str(i): name for i, name in enumerate(names)},
        "label2id": {name: i for i, name in enumerate(names)},
        "problem_type": ("multi_label_classification" if est.multilabel_
                         else "single_label_classification"),
        "skemo_pooling": est.module_.encoder.pooling,
        "skemo_encoder": backbone.config.to_dict(),
    }
    (directory / "config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    state = {f"encoder.{key}": value.contiguous()
             for key, value in backbone.state_dict().items()}
    head = est.module_.head
    # calibration temperatures divide the logits: folded into the head's weights
    scale = 1 / _temperatures(est)
    state["classifier.weight"] = (head.weight.detach().cpu().float()
                                  * scale[:, None]).contiguous()
    state["classifier.bias"] = (head.bias.detach().cpu().float() * scale).contiguous()
    save_file(state, str(directory / "model.safetensors"), metadata={"format": "pt"})
    (directory / _MODELING_FILE).write_text(_MODELING_CODE, encoding="utf-8")
    est.tokenizer_.save_pretrained(directory)
    return directory


def _temperatures(est):
    """The calibration temperatures of ``est`` as a float32 tensor (ones without any)."""
    import torch

    temperatures = getattr(est, "temperatures_", None)
    if temperatures is None:
        return torch.ones(len(est.classes_))
    return torch.as_tensor(np.asarray(temperatures, dtype=np.float32))


def _probability_graph(est):
    """A copy of ``est``'s network as ONNX exports it: token ids and mask in, probabilities out."""
    import torch

    from skemo.utils._onnx import exportable_copy

    module = exportable_copy(est.module_)
    scores_from_output, multilabel = est.scores_from_output, est.multilabel_
    temperatures = _temperatures(est)

    class ProbabilityGraph(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.module = module
            self.register_buffer("temperatures", temperatures)

        def forward(self, input_ids, attention_mask):
            scores = scores_from_output(self.module(input_ids, attention_mask)).float()
            scores = scores / self.temperatures  # calibration (1 where there is none)
            return torch.sigmoid(scores) if multilabel else torch.softmax(scores, -1)

    return ProbabilityGraph().eval()


def export_onnx(est, directory, *, opset_version=17, quantize=False):
    """Export the scoring path of fitted ``est`` to ONNX, with what predicting needs.

    Parameters
    ----------
    est : skemo estimator, fitted
        The estimator to export.
    directory : str or path-like
        Created if missing; receives ``model.onnx`` (inputs ``input_ids`` and
        ``attention_mask``, int64 ``(batch, tokens)``; output
        ``probabilities``, float32 ``(batch, labels)``), ``tokenizer/`` and
        ``skemo_onnx.json`` (labels, the kind of ``y`` the estimator was
        fitted on, thresholds, ``max_length``).
    opset_version : int, default=17
        ONNX opset of the exported graph.
    quantize : bool, default=False
        Store ``model.onnx`` with int8 weights, quantised by onnxruntime's
        dynamic quantiser (``onnxruntime.quantization.quantize_dynamic``,
        signed int8 weights with one scale per output channel, activations
        quantised per batch at run time):
        about a quarter of the size and faster on CPU, at a cost in accuracy
        measured in ``benchmarks/RESULTS.md`` (speed table (e)); the
        quantiser ``precision="int8"`` runs the encoder with.

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> from skemo.export import ONNXEmotionClassifier, export_onnx
    >>> export_onnx(clf, "goemotions-onnx")  # doctest: +SKIP
    >>> ONNXEmotionClassifier("goemotions-onnx").predict(["Thank you!"])  # doctest: +SKIP
    """
    from sklearn.utils.validation import check_is_fitted

    from skemo.utils._onnx import example_tokens, export_graph, quantize_file

    check_is_fitted(est, ["classes_", "module_"])
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    exported = directory / (f"{_ONNX_FILE}.fp32" if quantize else _ONNX_FILE)
    export_graph(_probability_graph(est), exported, example_tokens(est.tokenizer_),
                 ["probabilities"], opset_version)
    if quantize:
        quantize_file(exported, directory / _ONNX_FILE)
        exported.unlink()
    est.tokenizer_.save_pretrained(directory / "tokenizer")
    thresholds = getattr(est, "thresholds_", None)
    targets = est.target_encoder_
    meta = {"class": type(est).__name__, "label_names": list(est.label_names_),
            "multilabel": bool(est.multilabel_), "max_length": int(est.max_length),
            "batch_size": int(est.batch_size),
            "threshold": est.threshold, "quantized": bool(quantize),
            "thresholds": None if thresholds is None else np.asarray(thresholds).tolist(),
            "target": {"kind": targets.kind, "classes": targets.classes_.tolist(),
                       "label_names": targets.label_names_}}
    (directory / _ONNX_META).write_text(json.dumps(meta, indent=2))
    return directory


class ONNXEmotionClassifier(ExplanationMixin):
    """Predict with an :func:`export_onnx` directory through ``onnxruntime``.

    Tokenisation is skemo's (the same truncation to ``max_length``), and so
    is the rest of the way to an answer: texts are scored in length-sorted
    batches padded to their longest text, and ``predict`` answers as the
    exported estimator's does, in the kind of ``y`` it was fitted on.

    Parameters
    ----------
    directory : str or path-like
        A directory written by :func:`export_onnx`.
    providers : list of str or None, default=None
        onnxruntime execution providers (None: the CPU).

    Attributes
    ----------
    label_names_ : list of str
    thresholds_ : ndarray or None
    threshold : float or "tuned"
        As the exported estimator's; may be changed.

    Examples
    --------
    >>> clf = ONNXEmotionClassifier("goemotions-onnx")  # doctest: +SKIP
    >>> clf.predict_proba(["Thank you!"]).shape  # doctest: +SKIP
    (1, 28)
    """

    def __init__(self, directory, providers=None):
        from transformers import AutoTokenizer

        from skemo.nn.encoder import check_source
        from skemo.utils._onnx import session
        from skemo.utils._targets import TargetConverter

        directory = Path(directory)
        meta = json.loads((directory / _ONNX_META).read_text())
        self.label_names_ = meta["label_names"]
        self.multilabel_ = meta["multilabel"]
        self.max_length = meta["max_length"]
        self.batch_size = meta["batch_size"]
        self.threshold = meta["threshold"]
        self.thresholds_ = (None if meta["thresholds"] is None
                            else np.asarray(meta["thresholds"], dtype=np.float64))
        # directories exported before the target kind was recorded answer in label names
        names = meta["label_names"]
        target = meta.get("target", {"kind": "label_lists" if self.multilabel_ else "single",
                                     "classes": names, "label_names": names})
        self.target_encoder_ = TargetConverter.from_state(
            target["kind"], target["classes"], target["label_names"])
        check_source(directory / "tokenizer", "tokenizer", trust_remote_code=None)
        self.tokenizer_ = AutoTokenizer.from_pretrained(directory / "tokenizer",
                                                        trust_remote_code=False)
        self.session_ = session(directory / _ONNX_FILE, providers)

    def predict_proba(self, X):
        """Label probabilities, ``(n_texts, n_labels)`` float32, as the estimator's."""
        from torch.utils.data import DataLoader

        from skemo._estimator.prediction import predict_in_batches
        from skemo.utils._text_data import PadCollator, TextDataset, tokenize_texts
        from skemo.utils._validation import check_texts

        dataset = TextDataset(tokenize_texts(self.tokenizer_, check_texts(X), self.max_length))
        collate = PadCollator(self.tokenizer_.pad_token_id or 0)

        def batches(ordered):
            return DataLoader(ordered, batch_size=self.batch_size, collate_fn=collate)

        def run(batch):
            feed = {name: batch[name].numpy() for name in ("input_ids", "attention_mask")}
            return self.session_.run(["probabilities"], feed)[0]

        return predict_in_batches(dataset, batches, run)

    def predict(self, X):
        """Predict labels, in the same kind of ``y`` the exported estimator was fitted on.

        Returns
        -------
        ndarray or list of lists
            An indicator matrix, label lists or labels, as ``y`` was.
        """
        return self._decide(self.predict_proba(X))

    def _decide(self, proba, *, encoded=False):
        """The answer for ``proba``, as the exported estimator's ``_decide``."""
        from skemo._estimator.prediction import decide, thresholds_for

        thresholds = (thresholds_for(self.threshold, self.thresholds_, len(self.label_names_))
                      if self.multilabel_ else None)
        return decide(proba, self.target_encoder_, thresholds, encoded=encoded)

    def _explanation_scorers(self, open_labels):
        """``explain`` through ``predict_proba`` alone: the exported labels, no gradients."""
        if open_labels is not None:
            raise self._refuse_open_labels(open_labels)
        return list(self.label_names_), self.predict_proba, None, "occlusion"
