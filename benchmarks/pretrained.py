"""Train skemo's bundled GoEmotions model (``skemo.pretrained("goemotions")``).

The model is ``FineTunedEmotionClassifier`` with LoRA adapters (rank 32) on
the bundled all-MiniLM-L6-v2, trained on the full GoEmotions train split
(43,410 texts). Its per-label thresholds are tuned on the dev split (5,426
texts), and figures are measured on the full test split (5,427 texts).

Three steps, each also runnable alone:

1. ``train``: fit and save the whole estimator (``--save``, ~90 MB: the
   frozen MiniLM weights included), printing progress every 200 batches and
   dev micro/macro-F1 after every epoch (recorded in ``history_`` as
   ``dev_f1_micro``/``dev_f1_macro``, which the model card reports);
2. ``package``: tune the thresholds on dev again as ``fit`` does for the
   precision the bundle predicts in by default (``"auto"``: float32 on
   CPUs), then keep
   only what training changed -- the LoRA adapters, the head and the
   thresholds -- in bf16 under ``skemo/data/pretrained/goemotions``
   (:func:`skemo.hub.package_pretrained`); ``--from-bundle`` packages the
   shipped bundle again instead (its thresholds tuned anew), when the whole
   trained estimator is not at hand;
3. ``evaluate``: load the *packaged* model with ``skemo.pretrained`` (so the
   figures are those of what ships, bf16 rounding included) and print test
   micro/macro-F1 at threshold 0.5 and at the tuned thresholds; with
   ``package`` also run, the model card is then written again with them.

Usage::

    SKEMO_DATA=../shared/data python benchmarks/pretrained.py             # all three
    SKEMO_DATA=../shared/data python benchmarks/pretrained.py --steps package evaluate
    SKEMO_DATA=../shared/data python benchmarks/pretrained.py --steps package evaluate \
        --from-bundle                                                     # thresholds anew
    SKEMO_DATA=../shared/data python benchmarks/pretrained.py --train-size 500 --epochs 1 \
        --steps train                                                     # a smoke run
"""

import argparse
import time

import numpy as np
import torch
from _records import append
from sklearn.metrics import f1_score
from skorch.callbacks import Callback

from skemo import FineTunedEmotionClassifier
from skemo.datasets import load_goemotions
from skemo.persistence import resolved_precision
from skemo.thresholds import apply_thresholds, tune_thresholds
from skemo.utils._precision import tuning_precision

#: The training parameters of the bundled model.
SETTINGS = dict(lora_r=32, lora_alpha=64, lora_dropout=0.05, lr=1e-3, head_lr=1e-3,
                max_epochs=3, max_length=64, batch_size=32, warmup_ratio=0.1,
                weight_decay=0.01, validation_fraction=None, threshold=0.5)


def machine():
    """The CPU's model name and its bf16/AMX flags, from /proc/cpuinfo."""
    try:
        with open("/proc/cpuinfo") as f:
            info = f.read()
    except OSError:
        return "unknown CPU"
    name = next((line.split(":", 1)[1].strip() for line in info.splitlines()
                 if line.startswith("model name")), "unknown CPU")
    flags = next((line.split(":", 1)[1].split() for line in info.splitlines()
                  if line.startswith("flags")), [])
    extra = sorted(f for f in flags if f in {"avx512_bf16", "amx_bf16", "amx_tile"})
    return f"{name} [{' '.join(extra) or 'no bf16 flags'}]"


class DevScores(Callback):
    """Print training progress, and dev micro/macro-F1 at 0.5 after every epoch."""

    def __init__(self, texts, Y, every=200):
        self.texts, self.Y, self.every = texts, Y, every

    def on_epoch_begin(self, net, **kwargs):
        self.batches, self.start = 0, time.perf_counter()

    def on_batch_end(self, net, batch=None, training=True, **kwargs):
        if not training:
            return
        self.batches += 1
        if self.batches % self.every == 0:
            elapsed = time.perf_counter() - self.start
            print(f"  epoch {len(net.history)} batch {self.batches}: "
                  f"loss {net.history[-1, 'batches', -1, 'train_loss']:.4f}, "
                  f"{elapsed / 60:.1f} min", flush=True)

    def on_epoch_end(self, net, **kwargs):
        self.proba = net.predict_proba(self.texts)  # the last epoch's tunes the thresholds
        pred = apply_thresholds(self.proba, 0.5)
        micro = f1_score(self.Y, pred, average="micro", zero_division=0)
        macro = f1_score(self.Y, pred, average="macro", zero_division=0)
        net.history.record("dev_f1_micro", micro)
        net.history.record("dev_f1_macro", macro)
        print(f"epoch {len(net.history)}: train loss {net.history[-1, 'train_loss']:.4f}, "
              f"dev micro-F1 {micro:.4f}, dev macro-F1 {macro:.4f} (at 0.5), "
              f"{(time.perf_counter() - self.start) / 60:.1f} min", flush=True)


def train(args, train_data, dev):
    n = args.train_size or len(train_data.data)
    settings = {**SETTINGS, "max_epochs": args.epochs}
    print(f"## train: {n} texts, seed {args.seed}, {settings}", flush=True)
    dev_scores = DevScores(dev.data, dev.target)
    clf = FineTunedEmotionClassifier(
        label_names=train_data.target_names, random_state=args.seed,
        callbacks=[("dev_scores", dev_scores)], **settings)
    start = time.perf_counter()
    clf.fit(train_data.data[:n], train_data.target[:n])
    print(f"fit {(time.perf_counter() - start) / 60:.1f} min", flush=True)
    clf.thresholds_ = tune_thresholds(dev.target, dev_scores.proba)
    clf.set_params(threshold="tuned", callbacks=None)
    clf.save(args.save)
    clf.history_.to_file(f"{args.save}/history.json")  # for the model card's metrics
    print(f"saved to {args.save}", flush=True)


def package(args, dev, metrics=None):
    from skorch.history import History

    import skemo
    from skemo.hub import _bundled_dir, load_bundled, package_pretrained

    if args.from_bundle:  # what ships, adapters apart from the encoder as trained
        clf = load_bundled(_bundled_dir("goemotions"), merge_adapters=False)
    else:
        clf = skemo.load(args.save)
        clf.history_ = History.from_file(f"{args.save}/history.json")
    # thresholds tuned as fit tunes them for the default precision ("auto": float32
    # probabilities where it predicts with the int8 encoder)
    clf.set_params(precision=tuning_precision("auto", clf.device_))
    clf.thresholds_ = tune_thresholds(dev.target, clf.predict_proba(dev.data))
    clf.set_params(precision="auto")
    size = package_pretrained(clf, "goemotions", datasets=["goemotions"], metrics=metrics)
    print(f"## package: {size / 1e6:.2f} MB written"
          f"{' (model card with the test figures)' if metrics else ''}", flush=True)


def evaluate(test):
    """Print the test table; return its figures for the model card."""
    import os

    import skemo

    start = time.perf_counter()
    clf = skemo.pretrained("goemotions")
    load_s = time.perf_counter() - start
    print(f"## evaluate: the packaged model on the GoEmotions test split ({len(test.data)} "
          f"texts; loaded in {load_s:.1f} s; load average {os.getloadavg()[0]:.1f})\n")
    print("| inference precision | thresholds | micro-F1 | macro-F1 | predict texts/s |\n"
          "|---|---|---|---|---|")
    metrics, figures, rates = {}, {}, {}
    for precision in ("auto", "fp32"):
        clf.set_params(precision=precision)
        start = time.perf_counter()
        proba = clf.predict_proba(test.data)
        rate = len(test.data) / (time.perf_counter() - start)
        rates[precision] = rate
        figures[precision] = {"precision": resolved_precision(precision, clf.device_)}
        for name, th in [("0.5", 0.5), ("tuned on dev", clf.thresholds_)]:
            pred = apply_thresholds(proba, th)
            micro = f1_score(test.target, pred, average="micro", zero_division=0)
            macro = f1_score(test.target, pred, average="macro", zero_division=0)
            print(f"| {precision} | {name} | {micro:.4f} | {macro:.4f} | {rate:.0f} |",
                  flush=True)
            suffix = "at_05" if th is not clf.thresholds_ else "tuned"
            figures[precision].update({f"micro_f1_{suffix}": micro, f"macro_f1_{suffix}": macro})
            if precision == "auto":
                metrics[f"GoEmotions test micro-F1 (thresholds {name})"] = round(micro, 4)
                metrics[f"GoEmotions test macro-F1 (thresholds {name})"] = round(macro, 4)
    append("pretrained", {
        "benchmark": "pretrained", "dataset": "goemotions", "n_train": 43410,
        "n_dev": 5426, "n_test": len(test.data),
        "params": {"method": "finetuned", **SETTINGS}, "metrics": figures,
        "predict_texts_per_s": rates})
    return metrics


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", nargs="+", default=["train", "package", "evaluate"],
                        choices=["train", "package", "evaluate"])
    parser.add_argument("--train-size", type=int, default=None,
                        help="number of training texts (default: all 43410)")
    parser.add_argument("--epochs", type=int, default=SETTINGS["max_epochs"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--save", default="/tmp/skemo-pretrained-goemotions",
                        help="directory of the whole trained estimator")
    parser.add_argument("--from-bundle", action="store_true",
                        help="package the shipped bundle again instead of --save (e.g. "
                             "its thresholds tuned anew for a new default precision)")
    args = parser.parse_args()
    print(f"# skemo pretrained model  ({time.strftime('%Y-%m-%d %H:%M')}, {machine()}, "
          f"{torch.get_num_threads()} threads, torch {torch.__version__})", flush=True)
    np.random.seed(args.seed)
    if "train" in args.steps:
        train(args, load_goemotions(split="train"), load_goemotions(split="dev"))
    if "package" in args.steps:
        dev = load_goemotions(split="dev")
        package(args, dev)
    if "evaluate" in args.steps:
        metrics = evaluate(load_goemotions(split="test"))
        if "package" in args.steps:
            package(args, dev, metrics)


if __name__ == "__main__":
    main()
