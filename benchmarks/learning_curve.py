"""Learning curves: test macro-F1 against the number of labelled training texts.

For each dataset (GoEmotions, SemEval-2018 E-c, dair-ai emotion), each
training size ``n`` (a stratified draw of ``n`` texts from the official train
split; ``full`` is all of it) and each seed, fits every learner on those ``n``
texts alone -- whatever validation it needs comes out of them, as it would
for a user with ``n`` labelled texts -- and scores it on the full official
test split. Learners:

- every skemo estimator at its defaults (``METHODS[key](label_names=...,
  random_state=seed)``), predicting as ``predict`` does;
- ``logreg``: frozen all-MiniLM-L6-v2 sentence embeddings
  (sentence-transformers' ``encode``) and scikit-learn's
  ``LogisticRegression(class_weight="balanced")`` (one-vs-rest for
  multi-label), predicting at 0.5 -- the ten lines of scikit-learn a user
  would write (without ``class_weight`` it predicts almost nothing at small
  ``n``: 0.199 macro-F1 against 0.465 on 250 SemEval texts);
- ``setfit``: SetFit 1.x on the same MiniLM body at its defaults
  (``multi_target_strategy="one-vs-rest"`` for multi-label), run only up to
  ``--setfit-max-n`` texts: its default pair sampling grows with the square
  of ``n`` (32,404 pairs at 250 SemEval texts).

Each fit appends one record to ``benchmarks/results/learning_curve.jsonl``
(macro- and micro-F1, expected calibration error of the probabilities where
the learner has them, the largest ratio of a label's predicted rate to its
test prevalence, fit and predict seconds); ``benchmarks/report.py`` renders
the tables.

Usage::

    pip install setfit    # for the setfit rows only
    SKEMO_DATA=../shared/data python benchmarks/learning_curve.py \\
        --datasets semeval2018_ec --sizes 100 300 --seeds 0 1 --learners logreg setfit
    SKEMO_DATA=../shared/data python benchmarks/learning_curve.py --learners finetuned
    SKEMO_DATA=../shared/data python benchmarks/learning_curve.py --sizes full --seeds 0 \
        --learners finetuned --save-dir models    # the saved fits feed conformal.py, explain.py
"""

import argparse
import json
import tempfile
import time
import warnings

import numpy as np
from _records import append, read
from sklearn.metrics import f1_score

from skemo.datasets import DATASETS as LOADERS
from skemo.methods import METHODS
from skemo.metrics import expected_calibration_error
from skemo.model_selection import multilabel_train_test_split
from skemo.nn.encoder import DEFAULT_ENCODER, resolve_encoder

DATASETS = ("goemotions", "semeval2018_ec", "emotion")
SIZES = ("100", "300", "1000", "3000", "full")
BASELINES = ("logreg", "setfit")


def draw(data, target, size, seed):
    """A stratified draw of ``size`` training texts (all of them for "full")."""
    if size == "full" or int(size) >= len(data):
        return list(data), target
    rows, _ = multilabel_train_test_split(np.arange(len(data)), train_size=int(size),
                                          random_state=seed, stratify=target)
    rows = np.sort(rows)
    return [data[i] for i in rows], target[rows]


class Embeddings:
    """Frozen sentence-transformers embeddings of the default MiniLM, computed once per text."""

    def __init__(self):
        from sentence_transformers import SentenceTransformer

        self.model = SentenceTransformer(str(resolve_encoder(DEFAULT_ENCODER)), device="cpu")
        self.cache = {}

    def __call__(self, texts):
        new = [t for t in dict.fromkeys(texts) if t not in self.cache]
        if new:
            for text, row in zip(new, self.model.encode(new, batch_size=64)):
                self.cache[text] = row
        return np.stack([self.cache[t] for t in texts])


def fit_logreg(X, y, embed):
    """Class-balanced logistic regression on frozen embeddings."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier

    clf = LogisticRegression(class_weight="balanced", max_iter=1000)
    clf = OneVsRestClassifier(clf) if y.ndim == 2 else clf
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # labels absent from a small draw
        clf.fit(embed(X), y)
    return (lambda texts: clf.predict(embed(texts))), (lambda texts: clf.predict_proba(
        embed(texts)))


def fit_setfit(X, y, seed):
    """SetFit at its defaults on the same MiniLM body: predict, predict_proba, its steps."""
    from datasets import Dataset
    from setfit import SetFitModel, Trainer, TrainingArguments

    multilabel = y.ndim == 2
    model = SetFitModel.from_pretrained(
        str(resolve_encoder(DEFAULT_ENCODER)), device="cpu",
        multi_target_strategy="one-vs-rest" if multilabel else None)
    labels = [list(map(int, row)) for row in y] if multilabel else [int(v) for v in y]
    args = TrainingArguments(output_dir=tempfile.mkdtemp(), seed=seed, report_to="none",
                             show_progress_bar=False)
    trainer = Trainer(model=model, args=args,
                      train_dataset=Dataset.from_dict({"text": X, "label": labels}))
    trainer.train()
    return (lambda texts: np.asarray(model.predict(list(texts)))), (
        lambda texts: np.asarray(model.predict_proba(list(texts)))
        if not multilabel else None), trainer.st_trainer.state.global_step


def fit_skemo(key, X, y, seed, names, params):
    est = METHODS[key](label_names=names, random_state=seed, **params)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est.fit(X, y)
    est.fit_warnings_ = sorted({str(w.message).split("\n")[0][:160] for w in caught})
    return est


def over_prediction(y_true, y_pred, n_classes):
    """The largest ratio of a label's predicted rate to its test prevalence."""
    if y_true.ndim == 1:
        y_true, y_pred = (np.eye(n_classes, dtype=int)[v] for v in (y_true, y_pred))
    prevalence, rate = y_true.mean(axis=0), y_pred.mean(axis=0)
    seen = prevalence > 0
    return float((rate[seen] / prevalence[seen]).max())


def evaluate(predict, predict_proba, Xt, yt, n_classes):
    start = time.perf_counter()
    pred = np.asarray(predict(Xt))
    seconds = time.perf_counter() - start
    proba = predict_proba(Xt) if predict_proba is not None else None
    metrics = {
        "macro_f1": f1_score(yt, pred, average="macro", zero_division=0),
        "micro_f1": f1_score(yt, pred, average="micro", zero_division=0),
        "max_rate_over_prevalence": over_prediction(yt, pred, n_classes),
        "mean_labels_per_text": float(pred.sum(axis=1).mean()) if pred.ndim == 2 else 1.0,
    }
    if proba is not None:
        metrics["ece"] = expected_calibration_error(yt, proba)
    return metrics, seconds


def run(dataset, size, seed, learner, args, cache):
    loader = LOADERS[dataset]
    train, test = loader(split="train"), loader(split="test")
    names, n_classes = list(train.target_names), len(train.target_names)
    X, y = draw(train.data, train.target, size, seed)
    params = dict(args.param)
    start = time.perf_counter()
    extra = {}
    if learner == "logreg":
        if "embed" not in cache:
            cache["embed"] = Embeddings()
        predict, predict_proba = fit_logreg(X, y, cache["embed"])
    elif learner == "setfit":
        predict, predict_proba, steps = fit_setfit(X, y, seed)
        extra = {"steps": steps}
    else:
        est = fit_skemo(learner, X, y, seed, names, params)
        extra = {"epochs": len(est.history_), "warnings": est.fit_warnings_}
        if args.save_dir:
            est.save(f"{args.save_dir}/{dataset}-{size}-{learner}-seed{seed}")

        def predict(texts):
            out = est.predict(texts)
            return out if y.ndim == 2 else est.classes_.searchsorted(out)
        predict_proba = est.predict_proba
    fit_seconds = time.perf_counter() - start
    metrics, predict_seconds = evaluate(predict, predict_proba, test.data, test.target,
                                        n_classes)
    record = append("learning_curve", {
        "benchmark": "learning_curve", "dataset": dataset, "n_train": len(X),
        "size": size, "n_test": len(test.data), "learner": learner, "params": params,
        "seed": seed, "metrics": metrics, "fit_seconds": round(fit_seconds, 1),
        "predict_seconds": round(predict_seconds, 1), **extra})
    print(f"{dataset} n={len(X)} seed={seed} {learner}: macro-F1 {metrics['macro_f1']:.3f} "
          f"micro {metrics['micro_f1']:.3f} max rate/prev "
          f"{metrics['max_rate_over_prevalence']:.1f} fit {fit_seconds:.0f} s", flush=True)
    return record


def main():
    from skemo.cli import parse_param

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=DATASETS)
    parser.add_argument("--sizes", nargs="+", default=list(SIZES))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1])
    parser.add_argument("--learners", nargs="+", default=["finetuned", *BASELINES],
                        choices=[*METHODS, *BASELINES])
    parser.add_argument("--setfit-max-n", type=int, default=300,
                        help="largest n SetFit runs at (its pairs grow with n squared)")
    parser.add_argument("--param", type=parse_param, action="append", default=[],
                        metavar="KEY=VALUE", help="override a skemo estimator parameter")
    parser.add_argument("--save-dir", default=None,
                        help="save each fitted skemo estimator under this directory")
    parser.add_argument("--skip-done", action="store_true",
                        help="skip the runs that results/learning_curve.jsonl already holds")
    args = parser.parse_args()
    done = {(r["dataset"], r["size"], r["seed"], r["learner"], json.dumps(r["params"]))
            for r in read("learning_curve")} if args.skip_done else set()
    cache = {}
    for dataset in args.datasets:
        for size in args.sizes:
            for seed in args.seeds:
                for learner in args.learners:
                    if learner == "setfit" and (size == "full"
                                                or int(size) > args.setfit_max_n):
                        continue
                    if (dataset, size, seed, learner, json.dumps(dict(args.param))) in done:
                        continue
                    run(dataset, size, seed, learner, args, cache)


if __name__ == "__main__":
    main()
