"""Few-shot: skemo's estimators against SetFit on the same MiniLM body.

Draws K training texts per label (K = 8 and 32) from the dair-ai emotion
training split (6 labels, single-label: SetFit's own setting), fits each
learner on them, appends one record per fit to
``benchmarks/results/few_shot.jsonl`` and prints test macro-F1 (full test split, 2000 texts) and
fit time, one row per learner, K and seed, then the means over seeds.

- **SetFit** (``setfit``, not a skemo dependency): the bundled
  all-MiniLM-L6-v2 as its sentence-transformers body, contrastive pairs with
  ``num_iterations=20`` (the SetFit paper's R = 20; setfit's own default,
  oversampling every pair, is ~8x as many pairs at K = 32), one epoch at batch
  16, then its logistic-regression head; the rest setfit's defaults.
- **skemo**: each estimator named by ``--methods`` (keys of
  ``skemo.methods.METHODS``) on the same encoder, ``--steps`` optimiser steps
  at batch 16 (``max_epochs`` rounded up to reach them) or ``--epochs`` epochs, ``lr`` and
  ``head_lr`` from ``--lr``/``--head-lr``, no validation split, max_length 64.
  Methods that score labels from their descriptions start from the
  description prior, which is what few-shot learning needs.

Usage::

    pip install setfit
    SKEMO_DATA=../shared/data python benchmarks/few_shot.py              # ~20 min on 2 cores
    SKEMO_DATA=../shared/data python benchmarks/few_shot.py --shots 2 --seeds 0 \\
        --steps 2 --test-size 64 --methods finetuned                    # smoke test
"""

import argparse
import math
import os
import tempfile
import time
import warnings

import numpy as np
import torch
from _records import append
from baseline import machine
from sklearn.metrics import f1_score

from skemo.datasets import load_emotion
from skemo.methods import METHODS
from skemo.nn.encoder import DEFAULT_ENCODER, resolve_encoder


def draw(data, target, shots, seed):
    """``shots`` texts of every label, drawn without replacement."""
    rng = np.random.RandomState(seed)
    rows = np.concatenate([rng.choice(np.flatnonzero(target == label), shots, replace=False)
                           for label in np.unique(target)])
    return [data[i] for i in rows], target[rows]


def fit_setfit(texts, labels, seed):
    """A fitted SetFit model (the predictor) and its fit seconds."""
    from datasets import Dataset
    from setfit import SetFitModel, Trainer, TrainingArguments

    model = SetFitModel.from_pretrained(str(resolve_encoder(DEFAULT_ENCODER)), device="cpu")
    model.model_body.max_seq_length = 64
    args = TrainingArguments(output_dir=tempfile.mkdtemp(), batch_size=16, num_epochs=1,
                             num_iterations=20, seed=seed, report_to="none",
                             show_progress_bar=False)
    trainer = Trainer(model=model, args=args, train_dataset=Dataset.from_dict(
        {"text": list(texts), "label": [str(label) for label in labels]}))
    start = time.perf_counter()
    trainer.train()
    return (lambda X: np.asarray(model.predict(list(X)))), time.perf_counter() - start


def fit_skemo(method, texts, labels, seed, args):
    """A fitted skemo estimator's ``predict`` and its fit seconds."""
    epochs = args.epochs or math.ceil(args.steps * 16 / len(texts))
    est = METHODS[method](max_epochs=epochs, batch_size=16, lr=args.lr, head_lr=args.head_lr,
                          max_length=64, validation_fraction=None, threshold=0.5,
                          random_state=seed)
    start = time.perf_counter()
    est.fit(texts, np.array([str(label) for label in labels]))
    return est.predict, time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shots", nargs="+", type=int, default=[8, 32])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1])
    parser.add_argument("--methods", nargs="+", default=["finetuned", "similarity", "taco"],
                        choices=list(METHODS))
    parser.add_argument("--steps", type=int, default=40,
                        help="optimiser steps of each skemo fit (batch 16)")
    parser.add_argument("--epochs", type=int, default=None,
                        help="epochs of each skemo fit instead of --steps: a budget that "
                             "grows with K")
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--head-lr", type=float, default=1e-3)
    parser.add_argument("--test-size", type=int, default=None, help="default: all 2000")
    args = parser.parse_args()
    warnings.simplefilter("ignore")

    train, test = load_emotion(split="train"), load_emotion(split="test")
    names = train.target_names
    # the label names as targets: similarity-based methods score labels by their names
    train_y = np.array([names[i] for i in train.target])
    test_X = test.data[:args.test_size]
    test_y = np.array([names[i] for i in test.target])[:args.test_size]
    print(f"# few-shot on dair-ai emotion  ({time.strftime('%Y-%m-%d %H:%M')}, {machine()}, "
          f"{torch.get_num_threads()} threads, torch {torch.__version__}, load average "
          f"{os.getloadavg()[0]:.1f})\n")
    budget = f"{args.epochs} epochs" if args.epochs else f"{args.steps} steps"
    print(f"skemo: {budget} at batch 16, lr {args.lr}, head_lr {args.head_lr}; "
          f"SetFit: num_iterations 20, 1 epoch, batch 16; test texts {len(test_X)}\n")
    print("| K per label | seed | learner | test macro-F1 | fit s |\n|---|---|---|---|---|")
    results = {}
    for shots in args.shots:
        for seed in args.seeds:
            texts, labels = draw(train.data, train_y, shots, seed)
            learners = [("SetFit", lambda: fit_setfit(texts, labels, seed))] + [
                (f"skemo {method}", lambda m=method: fit_skemo(m, texts, labels, seed, args))
                for method in args.methods]
            for name, fit in learners:
                predict, seconds = fit()
                macro = f1_score(test_y, predict(test_X), average="macro")
                results.setdefault((shots, name), []).append((macro, seconds))
                learner = name.removeprefix("skemo ").lower()
                append("few_shot", {
                    "benchmark": "few_shot", "dataset": "emotion", "shots": shots,
                    "seed": seed, "learner": learner, "n_test": len(test_X),
                    "budget": ("setfit defaults, num_iterations=20" if learner == "setfit"
                               else budget),
                    "lr": args.lr, "head_lr": args.head_lr,
                    "metrics": {"macro_f1": macro}, "fit_seconds": seconds})
                print(f"| {shots} | {seed} | {name} | {macro:.3f} | {seconds:.0f} |", flush=True)
    print(f"\n## means over seeds {args.seeds}\n")
    print("| K per label | learner | test macro-F1 | fit s | fit time / SetFit's |\n"
          "|---|---|---|---|---|")
    for (shots, name), rows in results.items():
        macro, seconds = np.mean(rows, axis=0)
        setfit_s = np.mean([s for _, s in results[(shots, "SetFit")]])
        print(f"| {shots} | {name} | {macro:.3f} | {seconds:.0f} | {seconds / setfit_s:.2f} |")


if __name__ == "__main__":
    main()
