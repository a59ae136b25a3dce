"""The training signal of every method: encoder gradient norm of each loss term.

For every estimator and every term of its loss (weighted as in training),
prints the norm of the term's gradient with respect to the encoder's weights
on real batches of each dataset: at initialisation, and again after ``--steps``
optimiser steps of training on other texts of the same training split. The
ratio column divides by the primary (classification) term: a combined loss is
balanced when its auxiliary terms stay within 0.1-10x of it.

Usage::

    SKEMO_DATA=../shared/data python benchmarks/gradients.py
    SKEMO_DATA=../shared/data python benchmarks/gradients.py --datasets semeval2018_ec \
        --methods dual_objective --param lambda_sim=0.5 --steps 25

Each figure is the mean over ``--batches`` batches of ``--batch-size`` texts
(dropout off, so the figure depends on the batch only).
"""

import argparse
import time
import warnings

import numpy as np
import torch
from _records import append
from baseline import machine

from skemo.cli import parse_param
from skemo.datasets import DATASETS as LOADERS
from skemo.losses import encoder_gradient_norms
from skemo.methods import METHODS as ESTIMATORS

DATASETS = ("semeval2018_ec", "goemotions", "taco_goemotions", "emotion")


def batches(data, target, n_batches, batch_size, rng):
    """``n_batches`` random batches (texts, targets) of the split, without overlap."""
    rows = rng.permutation(len(data))[:n_batches * batch_size]
    for chunk in np.array_split(rows, n_batches):
        yield [data[i] for i in chunk], target[chunk]


def mean_norms(est, measured):
    norms = [encoder_gradient_norms(est, X, y) for X, y in measured]
    return {name: float(np.mean([n[name] for n in norms])) for name in norms[0]}


def measure(method, dataset, args):
    """(norms at start, norms after ``args.steps`` steps), each {term: mean norm}."""
    train = LOADERS[dataset](split="train")
    target = train.target
    rng = np.random.default_rng(args.seed)
    params = {"label_names": train.target_names, "random_state": args.seed,
              "max_length": 64, "validation_fraction": None, "threshold": 0.5,
              "max_epochs": 1, **dict(args.param)}
    # initialised on the whole split (zero epochs), so that every class is known
    est = ESTIMATORS[method](**{**params, "max_epochs": 0}).fit(train.data, target)
    size = args.batch_size or est.batch_size
    measured = list(batches(train.data, target, args.batches, size, rng))
    start = mean_norms(est, measured)
    if not args.steps:
        return start, None
    used = {t for X, _ in measured for t in X}
    rest = [i for i in rng.permutation(len(train.data)) if train.data[i] not in used]
    rows = rest[:args.steps * est.batch_size]
    est = ESTIMATORS[method](**params).fit([train.data[i] for i in rows], target[rows])
    return start, mean_norms(est, measured)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=DATASETS)
    parser.add_argument("--methods", nargs="+", default=list(ESTIMATORS),
                        choices=list(ESTIMATORS))
    parser.add_argument("--steps", type=int, default=25,
                        help="optimiser steps before the second measurement (0: skip it)")
    parser.add_argument("--batches", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=None,
                        help="default: each estimator's own batch_size (TACO's is 64)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--param", type=parse_param, action="append", default=[],
                        metavar="KEY=VALUE", help="override an estimator parameter (repeatable)")
    args = parser.parse_args()
    warnings.simplefilter("ignore", UserWarning)
    print(f"# encoder gradient norms per loss term ({time.strftime('%Y-%m-%d')}, "
          f"{machine()}, {torch.get_num_threads()} threads)")
    print(f"{args.batches} batches of {args.batch_size or 'batch_size'} training texts, "
          "max_length 64, "
          f"precision auto; second column after {args.steps} steps; "
          f"overrides {dict(args.param)}\n")
    for dataset in args.datasets:
        after_columns = f" norm after {args.steps} steps | ratio |" if args.steps else ""
        print(f"\n## {dataset}\n\n| method | term | norm at start | ratio |{after_columns}\n"
              + "|---" * (6 if args.steps else 4) + "|", flush=True)
        for method in args.methods:
            try:
                start, after = measure(method, dataset, args)
            except ValueError as error:  # e.g. a label set the method cannot take
                print(f"| {method} | — | {error} | | | |")
                continue
            primary = next(iter(start))
            append("gradients", {
                "benchmark": "gradients", "dataset": dataset, "method": method,
                "params": dict(args.param), "batches": args.batches,
                "batch_size": args.batch_size, "steps": args.steps, "seed": args.seed,
                "norms_at_start": start, "norms_after_steps": after})
            for name in start:
                cells = [f"{start[name]:.4g}", f"{start[name] / start[primary]:.2f}"]
                if after is not None:
                    cells += [f"{after[name]:.4g}", f"{after[name] / after[primary]:.2f}"]
                print(f"| {method} | {name} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
