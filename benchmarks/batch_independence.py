"""Does a text's score depend on the texts predicted with it? Per prediction precision.

On the bundled GoEmotions model: 16 test texts scored alone and inside a
batch of 64 other test texts; the largest difference in probability and the
decisions that differ (16 texts x 28 labels). With ``--f1``, also the tuned
macro-F1 of each precision on the full test split, the cost of a precision
against float32. One record per precision in
``benchmarks/results/batch_independence.jsonl``.

Usage::

    SKEMO_DATA=../shared/data python benchmarks/batch_independence.py --f1
"""

import argparse
import time
import warnings

import numpy as np
import torch
from _records import append
from sklearn.metrics import f1_score

import skemo
from skemo.datasets import load_goemotions

N_PROBES, BATCH = 16, 64


def spread(clf, probes, others):
    """Largest |alone - in batch| probability, and the decisions that differ."""
    worst, flips, thresholds = 0.0, 0, clf.decision_thresholds()
    for i, text in enumerate(probes):
        alone = clf.predict_proba([text])[0]
        inside = clf.predict_proba(others[:i] + [text] + others[i:])[i]
        worst = max(worst, float(np.abs(alone - inside).max()))
        flips += int(((alone >= thresholds) != (inside >= thresholds)).sum())
    return worst, flips


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--precisions", nargs="+", default=["fp32", "bf16", "auto"])
    parser.add_argument("--f1", action="store_true",
                        help="also score each precision on the full test split")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    warnings.simplefilter("ignore")
    test = load_goemotions(split="test")
    texts = list(test.data)
    clf = skemo.pretrained("goemotions")
    probes = texts[:N_PROBES]
    rng = np.random.default_rng(0)
    others = [texts[i] for i in rng.choice(np.arange(N_PROBES, len(texts)), BATCH - 1,
                                           replace=False)]
    columns = [list(test.target_names).index(name) for name in clf.label_names_]
    Y = np.asarray(test.target)[:, columns]
    for precision in args.precisions:
        clf.set_params(precision=precision)
        worst, flips = spread(clf, probes, others)
        metrics = {"max_abs_difference": worst, "flipped_decisions": flips,
                   "decisions": N_PROBES * len(clf.classes_)}
        seconds = None
        if args.f1:
            start = time.perf_counter()
            pred = clf._decide(clf.predict_proba(texts), encoded=True)
            seconds = round(time.perf_counter() - start, 1)
            metrics["macro_f1_tuned"] = f1_score(Y, pred, average="macro", zero_division=0)
        append("batch_independence", {
            "benchmark": "batch_independence", "model": "goemotions (bundled)",
            "dataset": "goemotions", "n_test": len(texts), "precision": precision,
            "threads": args.threads, "batch": BATCH, "n_probes": N_PROBES,
            "metrics": metrics, "predict_seconds": seconds})
        print(f"{precision}: max |alone - in a batch of {BATCH}| {worst:.2g}, {flips} of "
              f"{metrics['decisions']} decisions differ"
              + (f", test macro-F1 {metrics['macro_f1_tuned']:.4f}" if args.f1 else ""),
              flush=True)


if __name__ == "__main__":
    main()
