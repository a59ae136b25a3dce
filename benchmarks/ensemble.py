"""Ensembles and distillation: skemo's methods alone, averaged, and distilled into one MiniLM.

For one dataset (default SemEval-2018 E-c) and each seed:

1. fits every member method (``--members``; by default the baseline
   ``finetuned``, ``dual_objective``, ``multihead_valence``,
   ``definition_auxiliary`` and ``taco``) at its defaults on the official
   train split (or a stratified draw of ``--max-train`` texts of it), or
   loads the fit that ``--save-dir`` holds from an earlier run;
2. tunes every learner's thresholds on the dev split only: each member
   alone and each ensemble is an :class:`~skemo.ensemble.EmotionEnsemble`
   with ``prefit=True`` fitted on dev (the members' own validation splits
   come out of train, as they always do);
3. averages the ``k`` members with the best dev macro-F1 for each ``k`` of
   ``--ensemble-sizes`` (3 and 5);
4. distils the largest ensemble into one ``finetuned`` MiniLM on the train
   texts (:func:`skemo.distill`, ``--alpha``), thresholds tuned on dev;
5. scores every learner on the test split: macro-F1 and micro-F1 at the
   tuned thresholds, micro-F1 at 0.5, on multi-label data the samples-averaged
   Jaccard index with an empty prediction of an emotionless text counting 1
   (SemEval-2018 E-c's official "accuracy", which its scorer computed with
   scikit-learn's former ``jaccard_similarity_score``), single-label the
   accuracy; and the seconds ``predict_proba`` takes over the test texts.

Each learner appends one record to ``benchmarks/results/ensemble.jsonl``.

Usage::

    SKEMO_DATA=../shared/data python benchmarks/ensemble.py --seeds 0 1 2 \\
        --save-dir fits/
    SKEMO_DATA=../shared/data python benchmarks/ensemble.py --max-train 200 \\
        --max-eval 200 --max-epochs 1 --members finetuned taco dual_objective \\
        --ensemble-sizes 3
"""

import argparse
import time
import warnings
from pathlib import Path

from _records import append
from learning_curve import draw
from sklearn.metrics import accuracy_score, f1_score

import skemo
from skemo import FineTunedEmotionClassifier
from skemo.datasets import DATASETS as LOADERS
from skemo.ensemble import EmotionEnsemble
from skemo.methods import METHODS
from skemo.metrics import emotion_report
from skemo.thresholds import apply_thresholds

MEMBERS = ("finetuned", "dual_objective", "multihead_valence", "definition_auxiliary", "taco")


def member(key, X, y, names, seed, args):
    """Member ``key`` fitted at ``seed`` (or loaded from ``--save-dir``), with its fit seconds."""
    folder = args.save_dir and Path(args.save_dir) / f"{args.dataset}-n{len(X)}-{key}-seed{seed}"
    if folder and folder.is_dir():
        return skemo.load(folder), None
    params = {} if args.max_epochs is None else {"max_epochs": args.max_epochs}
    est = METHODS[key](label_names=names, random_state=seed, **params)
    start = time.perf_counter()
    est.fit(X, y)
    seconds = time.perf_counter() - start
    if folder:
        est.save(folder)
    return est, seconds


def on_dev(members, names, dev):
    """An ensemble of fitted ``members`` (name, estimator) with thresholds tuned on dev."""
    return EmotionEnsemble(members, prefit=True, label_names=names).fit(*dev)


def scores(learner, test, multilabel):
    """Test metrics of ``learner`` (an ensemble fitted on dev) and its prediction seconds."""
    Xt, yt = test
    start = time.perf_counter()
    proba = learner.predict_proba(Xt)
    seconds = time.perf_counter() - start
    if not multilabel:
        pred = proba.argmax(axis=1)
        truth = learner.target_encoder_.transform(yt)
        return {"macro_f1": f1_score(truth, pred, average="macro", zero_division=0),
                "accuracy": accuracy_score(truth, pred)}, seconds
    pred = apply_thresholds(proba, learner.decision_thresholds())
    at_half = apply_thresholds(proba, 0.5)
    report = emotion_report(yt, pred, output_dict=True, zero_division=1)
    return {"macro_f1": f1_score(yt, pred, average="macro", zero_division=0),
            "micro_f1": f1_score(yt, pred, average="micro", zero_division=0),
            "micro_f1_at_0.5": f1_score(yt, at_half, average="micro", zero_division=0),
            "jaccard_accuracy": report["jaccard_samples"]}, seconds


def record(args, seed, n, learner_name, members, learner, test, fit_seconds):
    metrics, predict_seconds = scores(learner, test, learner.multilabel_)
    append("ensemble", {
        "benchmark": "ensemble", "dataset": args.dataset, "n_train": n,
        "n_dev": len(learner.validation_indices_), "n_test": len(test[0]),
        "learner": learner_name, "members": members, "seed": seed,
        "params": {"max_epochs": args.max_epochs, "alpha": args.alpha},
        "metrics": metrics,
        "fit_seconds": None if fit_seconds is None else round(fit_seconds, 1),
        "predict_seconds": round(predict_seconds, 1)})
    print(f"{args.dataset} n={n} seed={seed} {learner_name}: " + ", ".join(
        f"{k} {v:.3f}" for k, v in metrics.items()) + f", predict {predict_seconds:.1f} s",
        flush=True)
    return metrics


def run(seed, args, splits, names):
    (X, y), dev, test = splits
    fitted, dev_f1 = {}, {}
    for key in args.members:
        est, seconds = member(key, X, y, names, seed, args)
        fitted[key] = est
        alone = on_dev([(key, est)], names, dev)
        dev_f1[key] = alone.score(*dev)
        record(args, seed, len(X), key, [key], alone, test, seconds)
    ranked = sorted(args.members, key=lambda key: -dev_f1[key])
    ensembles = {}
    for k in sorted(args.ensemble_sizes):
        chosen = ranked[:k]
        ensembles[k] = on_dev([(key, fitted[key]) for key in chosen], names, dev)
        record(args, seed, len(X), f"ensemble-{k}", chosen, ensembles[k], test, None)
    teacher_size = max(ensembles)
    params = {} if args.max_epochs is None else {"max_epochs": args.max_epochs}
    student = FineTunedEmotionClassifier(label_names=names, random_state=seed, **params)
    start = time.perf_counter()
    skemo.distill(student, ensembles[teacher_size], X, y, alpha=args.alpha)
    seconds = time.perf_counter() - start
    record(args, seed, len(X), "distilled", [f"ensemble-{teacher_size}"],
           on_dev([("distilled", student)], names, dev), test, seconds)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="semeval2018_ec", choices=sorted(LOADERS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--members", nargs="+", default=list(MEMBERS), choices=sorted(METHODS))
    parser.add_argument("--ensemble-sizes", nargs="+", type=int, default=[3, 5])
    parser.add_argument("--alpha", type=float, default=0.5,
                        help="weight of the gold labels when distilling")
    parser.add_argument("--max-train", type=int, default=None,
                        help="a stratified draw of this many train texts (default: all)")
    parser.add_argument("--max-eval", type=int, default=None,
                        help="the first this many dev and test texts (default: all)")
    parser.add_argument("--max-epochs", type=int, default=None,
                        help="epochs of every fit (default: the estimators' 'auto')")
    parser.add_argument("--save-dir", default=None,
                        help="save each member fit here, and load it from here when a "
                             "later run asks for the same fit")
    args = parser.parse_args()
    if any(not 1 <= k <= len(args.members) for k in args.ensemble_sizes):
        parser.error(f"--ensemble-sizes must be between 1 and the {len(args.members)} members")
    warnings.simplefilter("ignore", UserWarning)
    loader = LOADERS[args.dataset]
    train, dev, test = (loader(split=s) for s in ("train", "dev", "test"))
    names = list(train.target_names)
    for seed in args.seeds:
        X, y = draw(train.data, train.target, args.max_train or "full", seed)
        cut = slice(args.max_eval)
        splits = ((X, y), (dev.data[cut], dev.target[cut]), (test.data[cut], test.target[cut]))
        run(seed, args, splits, names)


if __name__ == "__main__":
    main()
