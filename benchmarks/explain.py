"""How faithful each word-attribution method is, and what it costs per text.

For test texts of GoEmotions and SemEval E-c, each method of
:mod:`skemo.explain` (and a random ranking of the words, the floor) ranks the
words of a text for each label the model predicts for it. ERASER's
(DeYoung et al., 2020) measures are computed over the top 1, 5, 10, 20 and
50% of the words (at least one), and averaged over those bins (AOPC):

- comprehensiveness: ``p(text) - p(text without the top words)``, higher is
  more faithful (the words the method points at were needed);
- sufficiency: ``p(text) - p(the top words alone)``, lower is more faithful
  (those words were enough).

Each dataset and method appends one record to
``benchmarks/results/explain.jsonl`` with both measures and the seconds per
text of the attributions (the measures' own forward passes not counted).

Usage::

    SKEMO_DATA=../shared/data python benchmarks/explain.py \\
        --models goemotions=goemotions semeval2018_ec=path/to/semeval-model
"""

import argparse
import time

import numpy as np
from _records import append

from skemo.cli import load_data, load_model
from skemo.explain import remove_words

BINS = (0.01, 0.05, 0.10, 0.20, 0.50)
METHODS = ("integrated_gradients", "occlusion", "shapley", "random")


def ranked_words(record, method, rng):
    """Word positions of ``record``, most raising first (random order for ``random``)."""
    if method == "random":
        return rng.permutation(len(record["words"]))
    return np.argsort([-w["attribution"] for w in record["words"]], kind="stable")


def eraser(est, records, rankings):
    """Mean comprehensiveness and sufficiency (AOPC over :data:`BINS`) of ranked words."""
    texts, slots = [], []
    for record, order in zip(records, rankings):
        spans = [(w["start"], w["end"]) for w in record["words"]]
        for share in BINS:
            top = set(order[:max(1, round(share * len(spans)))].tolist())
            in_top = [j in top for j in range(len(spans))]
            texts.append(remove_words(record["text"], spans, [not t for t in in_top]))
            texts.append(remove_words(record["text"], spans, in_top))
        slots.append(est.label_names_.index(record["label"]))
    proba = est.predict_proba(texts).reshape(len(records), len(BINS), 2, -1)
    comprehensiveness, sufficiency = [], []
    for i, (record, column) in enumerate(zip(records, slots)):
        comprehensiveness.append(np.mean(record["score"] - proba[i, :, 0, column]))
        sufficiency.append(np.mean(record["score"] - proba[i, :, 1, column]))
    return float(np.mean(comprehensiveness)), float(np.mean(sufficiency))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["goemotions=goemotions"],
                        metavar="DATASET=MODEL",
                        help="a saved model (directory, Hub id or bundled name) per dataset")
    parser.add_argument("--n-texts", type=int, default=500)
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    parser.add_argument("--precision", default="fp32",
                        help="the precision every method explains and is measured in")
    parser.add_argument("--n-samples", type=int, default=25, help="shapley's word orders")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    for pair in args.models:
        dataset, reference = pair.split("=", 1)
        est = load_model(reference).set_params(precision=args.precision)
        test = load_data(dataset, "test")
        rng = np.random.default_rng(args.seed)
        rows = rng.choice(len(test.data), min(args.n_texts, len(test.data)), replace=False)
        texts = [test.data[i] for i in sorted(rows)]
        # the random floor ranks the words of the same (text, label) records as the methods
        base = None
        for method in args.methods:
            start = time.perf_counter()
            if method == "random":
                records = base or est.explain(texts, method="occlusion").records
            else:
                records = est.explain(texts, method=method, n_samples=args.n_samples).records
                base = base or records
            seconds = (time.perf_counter() - start) / len(texts)
            records = [r for r in records if r["words"]]
            order_rng = np.random.default_rng(args.seed)
            rankings = [ranked_words(r, method, order_rng) for r in records]
            comprehensiveness, sufficiency = eraser(est, records, rankings)
            append("explain", {
                "benchmark": "explain", "dataset": dataset, "model": reference,
                "precision": args.precision, "method": method, "n_texts": len(texts),
                "n_records": len(records), "bins": list(BINS), "seed": args.seed,
                "n_samples": args.n_samples if method == "shapley" else None,
                "metrics": {"comprehensiveness": comprehensiveness,
                            "sufficiency": sufficiency,
                            "seconds_per_text": None if method == "random" else seconds}})
            print(f"{dataset} {method}: comprehensiveness {comprehensiveness:.4f}, "
                  f"sufficiency {sufficiency:.4f}, {seconds:.3f} s/text", flush=True)


if __name__ == "__main__":
    main()
