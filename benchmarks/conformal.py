"""Coverage of conformal label sets (:mod:`skemo.conformal`) on full test splits.

For each dataset, the model's probabilities on the dev split calibrate the
sets (split conformal for the single-label dair-ai emotion, conformal risk
control of the recall for the multi-label GoEmotions and SemEval E-c) at
each ``alpha``; the full test split measures what the guarantee bounds --
the share of texts whose label is in the set (single-label), the mean recall
of the sets over texts with a label (multi-label) -- and the mean set size.

The guarantee holds on average over calibration sets, so one dev/test split
can land a little under ``1 - alpha`` by chance. To measure the guarantee
itself, the dev and test texts are also pooled and split at random
``--random-splits`` times (calibration sets the size of the dev split, the
rest measuring); the mean coverage over those splits should reach
``1 - alpha``, and their spread shows what one split can do.
Each (dataset, alpha) appends one record to
``benchmarks/results/conformal.jsonl``.

Usage::

    SKEMO_DATA=../shared/data python benchmarks/conformal.py \\
        --models goemotions=goemotions semeval2018_ec=path/to/semeval emotion=path/to/emotion
"""

import argparse

import numpy as np
from _records import append

from skemo.cli import load_data, load_model
from skemo.conformal import ConformalEmotionSets, set_coverage


def model_targets(est, data):
    """The dataset's targets in the kind of ``y`` the model was fitted on."""
    if list(data.target_names) != list(est.label_names_):
        raise ValueError("the model's labels are not the dataset's, in the same order.")
    return est.target_encoder_.inverse_transform(np.asarray(data.target))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["goemotions=goemotions"],
                        metavar="DATASET=MODEL",
                        help="a saved model (directory, Hub id or bundled name) per dataset")
    parser.add_argument("--alphas", nargs="+", type=float, default=[0.1, 0.2])
    parser.add_argument("--random-splits", type=int, default=30,
                        help="random calibration/test splits of dev and test pooled")
    parser.add_argument("--seed", type=int, default=0, help="seeds the random splits")
    parser.add_argument("--limit", type=int, default=None,
                        help="use only the first N texts of each split (a quick check)")
    args = parser.parse_args()
    if args.random_splits < 2:
        parser.error("--random-splits must be at least 2 (their spread is measured).")
    for pair in args.models:
        dataset, reference = pair.split("=", 1)
        est = load_model(reference)
        dev, test = load_data(dataset, "dev"), load_data(dataset, "test")
        dev_X, dev_y = list(dev.data)[:args.limit], model_targets(est, dev)[:args.limit]
        test_X = list(test.data)[:args.limit]
        encoded = np.asarray(test.target)[:args.limit]
        dev_proba, test_proba = est.predict_proba(dev_X), est.predict_proba(test_X)
        pooled_proba = np.concatenate([dev_proba, test_proba])
        pooled_y = np.concatenate([np.asarray(dev.target)[:args.limit], encoded])
        for alpha in args.alphas:
            sets = ConformalEmotionSets(est, alpha=alpha).fit_proba(dev_proba, dev_y)
            chosen = sets.sets_from_proba(test_proba)
            coverage = set_coverage(chosen, encoded)
            rng = np.random.default_rng(args.seed)
            random_coverage = []
            for _ in range(args.random_splits):
                order = rng.permutation(len(pooled_y))
                calibration, measured = order[:len(dev_X)], order[len(dev_X):]
                split_sets = ConformalEmotionSets(est, alpha=alpha).fit_proba(
                    pooled_proba[calibration],
                    est.target_encoder_.inverse_transform(pooled_y[calibration]))
                random_coverage.append(set_coverage(
                    split_sets.sets_from_proba(pooled_proba[measured]), pooled_y[measured]))
            random_coverage = np.asarray(random_coverage)
            append("conformal", {
                "benchmark": "conformal", "dataset": dataset, "model": reference,
                "precision": est.precision, "alpha": alpha,
                "procedure": "conformal risk control (recall)" if sets.multilabel_
                             else "split conformal (LAC)",
                "n_calibration": sets.n_calibration_, "n_test": len(test_X),
                "threshold": sets.threshold_, "random_splits": args.random_splits,
                "seed": args.seed,
                "metrics": {"coverage": coverage,
                            "mean_set_size": float(chosen.sum(axis=1).mean()),
                            "empty_sets": float((chosen.sum(axis=1) == 0).mean()),
                            "random_splits_coverage_mean": float(random_coverage.mean()),
                            "random_splits_coverage_sd": float(random_coverage.std(ddof=1)),
                            "random_splits_coverage_min": float(random_coverage.min())}})
            print(f"{dataset} alpha={alpha}: coverage {coverage:.4f} (target "
                  f"{1 - alpha:.2f}), mean set size {chosen.sum(axis=1).mean():.2f}; "
                  f"over {args.random_splits} random splits: mean "
                  f"{random_coverage.mean():.4f}, sd {random_coverage.std(ddof=1):.4f}",
                  flush=True)


if __name__ == "__main__":
    main()
