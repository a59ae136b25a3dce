"""The model card (``README.md``) written with every save.

The card starts with the YAML metadata the Hugging Face Hub reads
(``library_name: skemo``, ``pipeline_tag: text-classification``, the
license, datasets, tags and the label set), then says in prose what the
model is: its method and encoder, the labels with their decision
thresholds, the training parameters, the per-epoch validation metrics of
``history_``, the licenses of the encoder and of the training data, and how
to load it and predict.
"""

import json
from pathlib import Path

import numpy as np

__all__ = ["model_card", "write_model_card"]

#: Hub ids and licenses of the datasets skemo loads, for the card's metadata.
_DATASETS = {
    "goemotions": ("google-research-datasets/go_emotions", "apache-2.0"),
    "goemotions_sample": ("google-research-datasets/go_emotions", "apache-2.0"),
    "emotion": ("dair-ai/emotion", "other"),
    "semeval2018_ec": ("SemEvalWorkshop/sem_eval_2018_task_1", "other"),
    "taco_goemotions": ("google-research-datasets/go_emotions", "apache-2.0"),
}
#: Licenses of encoders skemo knows: the bundled one is sentence-transformers' MiniLM.
_ENCODER_LICENSES = {"all-MiniLM-L6-v2": "apache-2.0",
                     "sentence-transformers/all-MiniLM-L6-v2": "apache-2.0"}

#: ``history_`` columns reported in the card, when present.
_REPORTED = ("train_loss", "valid_loss")
_REPORTED_PREFIXES = ("valid_", "dev_")


def _history_rows(est):
    """(column names, rows) of the per-epoch metrics of ``est.history_``."""
    history = getattr(est, "history_", None) or []
    columns = []
    for epoch in history:
        for key, value in epoch.items():
            reported = key in _REPORTED or key.startswith(_REPORTED_PREFIXES)
            if (reported and not key.endswith(("_best", "_count")) and key not in columns
                    and isinstance(value, (int, float)) and not isinstance(value, bool)):
                columns.append(key)
    rows = [[epoch.get("epoch", i + 1)] + [epoch.get(c) for c in columns]
            for i, epoch in enumerate(history)]
    return columns, rows


def _yaml_list(key, values):
    if not values:
        return []
    return [f"{key}:"] + [f"- {json.dumps(str(v))}" for v in values]


def model_card(est, *, datasets=None, license=None, metrics=None, model_id=None,
               load_code=None):
    """The model card of fitted ``est``, as Markdown with YAML front matter.

    Parameters
    ----------
    est : skemo estimator, fitted
        The fitted estimator.
    datasets : list of str or None, default=None
        skemo dataset names (``"goemotions"``...) or Hub dataset ids the model
        was trained on.
    license : str or None, default=None
        The model's license (a Hub license id); None takes the encoder's when
        skemo knows it (Apache-2.0 for the bundled MiniLM).
    metrics : dict or None, default=None
        Further figures, ``{name: value}``, e.g. test-set scores.
    model_id : str or None, default=None
        The name to load it by (a Hub id) in the usage example.
    load_code : str or None, default=None
        The usage example's loading code, instead of ``skemo.load(model_id)``.

    Returns
    -------
    str

    Examples
    --------
    >>> from skemo import FineTunedEmotionClassifier
    >>> from skemo.datasets import load_goemotions_sample
    >>> from skemo.model_card import model_card
    >>> data = load_goemotions_sample()
    >>> clf = FineTunedEmotionClassifier(max_epochs=1, label_names=data.target_names,
    ...                                  random_state=0).fit(data.data[:64], data.target[:64])
    >>> card = model_card(clf, datasets=["goemotions_sample"])
    >>> card.splitlines()[:3]
    ['---', 'library_name: skemo', 'pipeline_tag: text-classification']
    """
    encoder = est.encoder if isinstance(est.encoder, str) else "a randomly initialised encoder"
    license = license or _ENCODER_LICENSES.get(encoder)
    names = list(est.label_names_)
    hub_datasets, data_licenses = [], []
    for name in datasets or []:
        hub_id, data_license = _DATASETS.get(name, (name, None))
        if hub_id not in hub_datasets:
            hub_datasets.append(hub_id)
        data_licenses.append(f"{name}: {data_license or 'see the dataset card'}")
    kind = "multi-label" if est.multilabel_ else "single-label"
    tags = ["skemo", "emotion-classification", "text-classification",
            f"{kind}-classification", est.method_key or type(est).__name__]
    front = ["---", "library_name: skemo", "pipeline_tag: text-classification"]
    front += [f"license: {license}"] if license else []
    front += _yaml_list("tags", tags) + _yaml_list("datasets", hub_datasets)
    front += _yaml_list("labels", names)
    if isinstance(est.encoder, str):
        front += [f"base_model: {json.dumps(_hub_name(encoder))}"]
    front += ["---", ""]

    title = model_id or f"{type(est).__name__} on {encoder}"
    lines = [f"# {title}", "",
             f"A skemo `{type(est).__name__}` (method `{est.method_key}`) over the encoder "
             f"`{encoder}`: {kind} emotion classification of English text into "
             f"{len(names)} labels.", ""]
    lines += _usage(est, model_id, load_code)
    lines += _thresholds_table(est, names)
    lines += ["## Training", "", "| parameter | value |", "|---|---|"]
    params = est.get_params(deep=False)
    for key in sorted(params):
        value = params[key]
        if (key in ("callbacks", "label_names", "encoder") or value is None
                or not isinstance(value, (str, int, float, bool, list, tuple))):
            continue  # classes, callbacks and config objects are not parameters to read
        lines.append(f"| `{key}` | `{_short(value)}` |")
    lines.append("")
    columns, rows = _history_rows(est)
    if rows:
        lines += ["### Per-epoch metrics (`history_`)", "",
                  "| epoch | " + " | ".join(columns) + " |",
                  "|---" * (len(columns) + 1) + "|"]
        lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
        lines.append("")
    if metrics:
        lines += ["## Evaluation", "", "| metric | value |", "|---|---|"]
        lines += [f"| {key} | {_cell(value)} |" for key, value in metrics.items()]
        lines.append("")
    lines += ["## Licenses", "",
              f"- Encoder `{encoder}`: {license or 'see the encoder model card'}.",
              *[f"- Training data {entry}." for entry in data_licenses], ""]
    return "\n".join(front + lines)


def _hub_name(encoder):
    return ("sentence-transformers/all-MiniLM-L6-v2" if encoder == "all-MiniLM-L6-v2"
            else encoder)


def _short(value):
    text = json.dumps(value) if isinstance(value, (list, dict, bool)) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _cell(value):
    if isinstance(value, float):
        return f"{value:.4f}"
    return "" if value is None else str(value)


def _usage(est, model_id, load_code):
    load = load_code or f'import skemo\n\nclf = skemo.load("{model_id or "path/to/model"}")'
    return ["## How to use", "", "```python", load,
            'clf.predict(["I can\'t believe you did this for me, thank you!"])',
            "clf.predict_label_scores([\"What a day.\"], top_k=3)  # labels with scores",
            "```", "",
            "From the shell: `echo \"thank you!\" | skemo predict MODEL --top-k 3`.", ""]


def _thresholds_table(est, names):
    if not est.multilabel_:
        return ["Single-label: `predict` returns the most probable label.", ""]
    tuned = getattr(est, "thresholds_", None)
    lines = [f"## Labels and decision thresholds (`threshold={est.threshold!r}`)", "",
             "| label | tuned threshold |", "|---|---|"]
    for j, name in enumerate(names):
        value = "—" if tuned is None else f"{float(np.asarray(tuned)[j]):.4f}"
        lines.append(f"| {name} | {value} |")
    return lines + [""]


def write_model_card(est, path, **card):
    """Write ``model_card(est, **card)`` to ``path/README.md``.

    Parameters
    ----------
    est : skemo estimator, fitted
        The fitted estimator.
    path : str or path-like
        An existing directory (a save).
    **card
        Keyword arguments of :func:`model_card`.
    """
    (Path(path) / "README.md").write_text(model_card(est, **card), encoding="utf-8")
