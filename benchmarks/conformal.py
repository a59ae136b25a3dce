"""Coverage of conformal label sets (:mod:`skemo.conformal`) on full test splits.

For each dataset, the model's probabilities on the dev split calibrate the
sets (split conformal for the single-label dair-ai emotion, conformal risk
control of the recall for the multi-label GoEmotions and SemEval E-c) at
each ``alpha``; the full test split measures what the guarantee bounds --
the share of texts whose label is in the set (single-label), the mean recall
of the sets over texts with a label (multi-label) -- and the mean set size.
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
    parser.add_argument("--limit", type=int, default=None,
                        help="use only the first N texts of each split (a quick check)")
    args = parser.parse_args()
    for pair in args.models:
        dataset, reference = pair.split("=", 1)
        est = load_model(reference)
        dev, test = load_data(dataset, "dev"), load_data(dataset, "test")
        dev_X, dev_y = list(dev.data)[:args.limit], model_targets(est, dev)[:args.limit]
        test_X = list(test.data)[:args.limit]
        encoded = np.asarray(test.target)[:args.limit]
        dev_proba, test_proba = est.predict_proba(dev_X), est.predict_proba(test_X)
        for alpha in args.alphas:
            sets = ConformalEmotionSets(est, alpha=alpha).fit_proba(dev_proba, dev_y)
            chosen = sets.sets_from_proba(test_proba)
            coverage = set_coverage(chosen, encoded)
            append("conformal", {
                "benchmark": "conformal", "dataset": dataset, "model": reference,
                "precision": est.precision, "alpha": alpha,
                "procedure": "conformal risk control (recall)" if sets.multilabel_
                             else "split conformal (LAC)",
                "n_calibration": sets.n_calibration_, "n_test": len(test_X),
                "threshold": sets.threshold_,
                "metrics": {"coverage": coverage,
                            "mean_set_size": float(chosen.sum(axis=1).mean()),
                            "empty_sets": float((chosen.sum(axis=1) == 0).mean())}})
            print(f"{dataset} alpha={alpha}: coverage {coverage:.4f} (target "
                  f"{1 - alpha:.2f}), mean set size {chosen.sum(axis=1).mean():.2f}",
                  flush=True)


if __name__ == "__main__":
    main()
