"""Side-by-side benchmark of every skemo method on four emotion datasets.

Trains each estimator with the same offline encoder, budget, seed and data,
appends one record per fit to ``benchmarks/results/methods.jsonl`` (and one per
open-vocabulary score to ``open_vocabulary.jsonl``), and prints one markdown
table: dataset x method -> test macro-F1 (at 0.5 and with per-label thresholds
tuned on the dev split), micro-F1, macro-F1 over the rarest quarter of labels,
and training texts/s; single-label sets report accuracy, weighted-F1 and
macro-F1 (as the TACO paper does). A second table gives the open-vocabulary
check: a similarity model trained on GoEmotions *without* one label scores that
label from its description alone; its ranking AUC on test should be clearly
above 0.5.

Usage::

    SKEMO_DATA=../shared/data python benchmarks/methods.py --train-size 2000 --epochs 2
    SKEMO_DATA=../shared/data python benchmarks/methods.py --datasets goemotions \
        --methods finetuned taco
    SKEMO_DATA=../shared/data python benchmarks/methods.py --datasets emotion --methods finetuned \
        --epochs 5 --param validation_fraction=0.1 --param class_weight=balanced

``--param KEY=VALUE`` overrides one estimator parameter for every method, read as in the
``skemo fit`` command (:func:`skemo.cli.parse_param`); the shared budget is max_length 64
and no validation split, with each estimator's own batch size (32; TACO 64, as its
reference code).
"""

import argparse
import time
import warnings

import numpy as np
import torch
from _records import append
from baseline import machine
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

from skemo.cli import parse_param
from skemo.datasets import DATASETS as LOADERS
from skemo.datasets import load_goemotions
from skemo.methods import METHODS as ESTIMATORS
from skemo.model_selection import multilabel_train_test_split
from skemo.thresholds import apply_thresholds, tune_thresholds
from skemo.utils._precision import PRECISIONS

#: The benchmark datasets (keys of skemo.datasets.DATASETS with train/dev/test splits).
DATASETS = ("goemotions", "semeval2018_ec", "taco_goemotions", "emotion")
# row name -> (method key of skemo.methods.METHODS, parameters beyond the shared budget):
# every method under its own key, plus ablations. "multihead_valence-no-exclusivity"
# tests CMHL's claim that the exclusivity loss helps; each "taco-*" row sets one piece
# of the reference code's wiring ("taco-former": all of them off; the CCL's scale is
# "auto" by default: the reference code's multi-label, unscaled single-label).
TACO_FORMER = {
    "shared_head": False,
    "base_temperature": None,
    "ccl_mean_over": "anchors",
    "batch_size": 32,
    "label_bias": False,
}
METHODS = {
    **{key: (key, {}) for key in ESTIMATORS},
    "multihead_valence-no-exclusivity": (
        "multihead_valence",
        {"lambda_exclusivity": 0.0},
    ),
    "taco-separate-heads": ("taco", {"shared_head": False}),
    "taco-unscaled-ccl": (
        "taco",
        {"base_temperature": None, "ccl_mean_over": "anchors"},
    ),
    "taco-scaled-ccl": (
        "taco",
        {"base_temperature": 0.07, "ccl_mean_over": "batch"},
    ),
    "taco-batch32": ("taco", {"batch_size": 32}),
    "taco-no-label-bias": ("taco", {"label_bias": False}),
    "taco-former": ("taco", TACO_FORMER),
}
RARE_FRACTION = (
    0.25  # "rare labels": the quarter of labels with the fewest training positives
)


def subsample(data, target, size, seed):
    """A stratified subset of ``size`` rows (all rows when size is None or larger)."""
    if size is None or size >= len(data):
        return data, target
    rows, _ = multilabel_train_test_split(
        np.arange(len(data)), train_size=size, random_state=seed, stratify=target
    )
    rows = np.sort(rows)
    return [data[i] for i in rows], target[rows]


def load_splits(dataset, args):
    """The (texts, targets) of train, dev and test, subsampled once for every method."""
    loader = LOADERS[dataset]
    train, dev, test = (loader(split=s) for s in ("train", "dev", "test"))
    sizes = (args.train_size, args.eval_size, args.eval_size)
    return train.target_names, [
        subsample(split.data, split.target, size, args.seed)
        for split, size in zip((train, dev, test), sizes)
    ]


def budget(args):
    """The estimator parameters every method shares: the budget, then ``--param`` overrides."""
    return {
        "max_epochs": args.epochs,
        "lr": args.lr,
        "max_length": 64,
        "validation_fraction": None,
        "threshold": 0.5,
        "random_state": args.seed,
        **dict(args.param),
    }


def run(method, label_names, splits, args, dataset):
    (X, y), (Xd, yd), (Xt, yt) = splits
    key, extra = METHODS[method]
    est = ESTIMATORS[key](label_names=label_names, **{**budget(args), **extra})
    est.fit(X, y)
    est.set_params(precision=args.predict_precision)
    if args.save:
        est.save(f"{args.save}/{dataset}-{method}-seed{args.seed}")
    rate = len(X) * len(est.history) / sum(est.history[:, "dur"])
    proba = est.predict_proba(Xt)
    if yt.ndim == 2:
        tuned = tune_thresholds(yd, est.predict_proba(Xd))
        pred_05, pred_tuned = (
            apply_thresholds(proba, 0.5),
            apply_thresholds(proba, tuned),
        )
        rare = np.argsort(y.sum(axis=0))[: max(1, round(RARE_FRACTION * y.shape[1]))]
        return {
            "macro-F1@0.5": f1_score(yt, pred_05, average="macro", zero_division=0),
            "macro-F1 tuned": f1_score(
                yt, pred_tuned, average="macro", zero_division=0
            ),
            "micro-F1 tuned": f1_score(
                yt, pred_tuned, average="micro", zero_division=0
            ),
            "rare-label macro-F1 tuned": f1_score(
                yt[:, rare], pred_tuned[:, rare], average="macro", zero_division=0
            ),
            "texts/s": rate,
        }
    pred = est.classes_[proba.argmax(axis=1)]
    return {
        "accuracy": accuracy_score(yt, pred),
        "weighted-F1": f1_score(yt, pred, average="weighted"),
        "macro-F1": f1_score(yt, pred, average="macro"),
        "texts/s": rate,
    }


METRIC_KEYS = {"macro-F1@0.5": "macro_f1_at_05", "macro-F1 tuned": "macro_f1_tuned",
               "micro-F1 tuned": "micro_f1_tuned",
               "rare-label macro-F1 tuned": "rare_macro_f1_tuned", "accuracy": "accuracy",
               "weighted-F1": "weighted_f1", "macro-F1": "macro_f1"}


def training_precision(precision):
    """The precision a fit trained in: ``"auto"`` (and int8) train in fp32 on CPUs."""
    if precision not in ("auto", "int8"):
        return precision
    if not torch.cuda.is_available():
        return "fp32"
    return "bf16" if torch.cuda.is_bf16_supported() else "fp16"


def record(dataset, method, splits, row, args):
    """Append one fit's record to ``results/methods.jsonl``."""
    (X, _), (Xd, _), (Xt, _) = splits
    key, extra = METHODS[method]
    params = {**extra, **dict(args.param)}
    append("methods", {
        "benchmark": "methods", "dataset": dataset, "method": key, "variant": method,
        "params": params, "epochs": args.epochs, "lr": args.lr, "n_train": len(X),
        "n_dev": len(Xd), "n_test": len(Xt), "seed": args.seed,
        "train_precision": training_precision(params.get("precision", "auto")),
        "predict_precision": args.predict_precision,
        "metrics": {METRIC_KEYS[k]: v for k, v in row.items() if k != "texts/s"},
        "train_texts_per_s": row["texts/s"]})


def open_vocabulary_auc(args, held_out="gratitude"):
    """Train similarity-based methods on GoEmotions without ``held_out``; AUC of scoring it."""
    train, test = load_goemotions(split="train"), load_goemotions(split="test")
    col = train.target_names.index(held_out)
    keep = [j for j in range(len(train.target_names)) if j != col]
    X, y = subsample(train.data, train.target, args.train_size, args.seed)
    Xt, yt = subsample(test.data, test.target, args.eval_size, args.seed)
    names = [train.target_names[j] for j in keep]
    description = train.descriptions[held_out]
    rows = []
    for method in ("similarity", "dual_objective", "taco"):
        if method not in args.methods:
            continue
        cls = ESTIMATORS[method]
        extra = {"score_from": "similarity"} if method == "dual_objective" else {}
        est = cls(label_names=names, **{**budget(args), **extra})
        est.fit(X, y[:, keep]).set_params(precision=args.predict_precision)
        score = est.predict_proba(Xt, labels={held_out: description})[:, 0]
        rows.append((method, roc_auc_score(yt[:, col], score)))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--datasets",
        nargs="*",
        default=list(DATASETS),
        choices=DATASETS,
        help="datasets of the main table (none: only the open-vocabulary check)",
    )
    parser.add_argument(
        "--methods", nargs="+", default=list(METHODS), choices=list(METHODS)
    )
    parser.add_argument(
        "--train-size", type=int, default=None, help="default: full train"
    )
    parser.add_argument(
        "--eval-size", type=int, default=None, help="default: full dev/test"
    )
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--param",
        type=parse_param,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override an estimator parameter (repeatable)",
    )
    parser.add_argument("--predict-precision", default="auto", choices=PRECISIONS,
                        help="precision of the test predictions (fits train in the "
                             "estimator's precision, 'auto' unless --param sets it)")
    parser.add_argument("--skip-open-vocabulary", action="store_true")
    parser.add_argument("--save", metavar="DIR", default=None,
                        help="save each fitted model as DIR/DATASET-METHOD-seedSEED")
    args = parser.parse_args()
    warnings.simplefilter("ignore", UserWarning)

    print(
        f"# skemo methods benchmark ({time.strftime('%Y-%m-%d')}, "
        f"{machine()}, {torch.get_num_threads()} threads, torch {torch.__version__})"
    )
    shared = ", ".join(f"{k}={v!r}" for k, v in budget(args).items())
    print(
        f"train size {args.train_size or 'full'}, eval size {args.eval_size or 'full'}, "
        f"{shared}, offline all-MiniLM-L6-v2, fit precision auto, predictions "
        f"{args.predict_precision}\n"
    )
    for dataset in args.datasets:
        label_names, splits = load_splits(dataset, args)
        print(f"\n## {dataset}\n", flush=True)
        for i, method in enumerate(args.methods):
            start = time.perf_counter()
            row = run(method, label_names, splits, args, dataset)
            record(dataset, method, splits, row, args)
            if i == 0:  # rows print as they finish, so a stopped run keeps its rows
                print("| method | " + " | ".join(row) + " |")
                print("|---" * (len(row) + 1) + "|")
            cells = [
                f"{v:.1f}" if c == "texts/s" else f"{v:.3f}" for c, v in row.items()
            ]
            print(
                f"| {method} | " + " | ".join(cells) + " |"
                f" <!-- {time.perf_counter() - start:.0f} s -->",
                flush=True,
            )
    if not args.skip_open_vocabulary:
        print(
            "\n## Open vocabulary: 'gratitude' held out of training, scored from its "
            "description\n"
        )
        print("| method | test ranking AUC |\n|---|---|")
        for method, auc in open_vocabulary_auc(args):
            append("open_vocabulary", {
                "benchmark": "open_vocabulary", "dataset": "goemotions",
                "held_out": "gratitude", "method": method, "n_train": args.train_size,
                "n_test": args.eval_size, "epochs": args.epochs, "seed": args.seed,
                "metrics": {"ranking_auc": auc}})
            print(f"| {method} | {auc:.3f} |", flush=True)


if __name__ == "__main__":
    main()
