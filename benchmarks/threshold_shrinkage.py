"""How much threshold shrinkage helps when the validation split is small.

Takes the bundled GoEmotions model's float32 probabilities on the dev and
test splits, tunes per-label thresholds on random subsets of ``n`` dev texts
(100, 300, 1,000 and all 5,426) at several prior strengths ``k`` of
:func:`skemo.thresholds.tune_thresholds` (0: each label's own F1-optimal
threshold, unshrunk), and scores them on the full test split. Each (n, k)
appends one record to ``benchmarks/results/threshold_shrinkage.jsonl`` with
the mean test macro-F1 over the draws.

Usage::

    SKEMO_DATA=../shared/data python benchmarks/threshold_shrinkage.py
"""

import argparse

import numpy as np
from _records import append
from sklearn.metrics import f1_score

import skemo
from skemo.datasets import load_goemotions
from skemo.thresholds import apply_thresholds, tune_thresholds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=int, default=[100, 300, 1000, 5426])
    parser.add_argument("--strengths", nargs="+", type=float, default=[0, 2, 5, 10, 20, 40])
    parser.add_argument("--draws", type=int, default=8)
    args = parser.parse_args()
    clf = skemo.pretrained("goemotions").set_params(precision="fp32")
    dev, test = load_goemotions(split="dev"), load_goemotions(split="test")
    dev_proba, test_proba = clf.predict_proba(dev.data), clf.predict_proba(test.data)
    rng = np.random.default_rng(0)
    for size in args.sizes:
        draws = ([np.arange(len(dev.data))] if size >= len(dev.data) else
                 [rng.choice(len(dev.data), size, replace=False) for _ in range(args.draws)])
        for k in args.strengths:
            scores = [f1_score(test.target, apply_thresholds(test_proba, tune_thresholds(
                dev.target[rows], dev_proba[rows], prior_strength=k)), average="macro",
                zero_division=0) for rows in draws]
            append("threshold_shrinkage", {
                "benchmark": "threshold_shrinkage", "dataset": "goemotions",
                "model": "bundled goemotions (fp32)", "n_dev": int(min(size, len(dev.data))),
                "prior_strength": k, "draws": len(draws), "n_test": len(test.data),
                "metrics": {"macro_f1_mean": float(np.mean(scores)),
                            "macro_f1_min": float(np.min(scores)),
                            "macro_f1_max": float(np.max(scores))}})
            print(f"n_dev={size} k={k:g}: test macro-F1 {np.mean(scores):.4f}", flush=True)


if __name__ == "__main__":
    main()
