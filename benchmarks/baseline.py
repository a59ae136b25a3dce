"""Baseline benchmark: quality on GoEmotions and training speed against plain PyTorch.

Prints two tables, measured in one run:

(a) test macro-F1 of ``FineTunedEmotionClassifier`` (offline MiniLM, mean
    pooling, lr 5e-5, batch 32, max_length 64, linear warmup/decay) at
    threshold 0.5, at 0.3, and with per-label thresholds tuned on the dev split;
(b) training throughput (texts/s) of skemo's ``fit`` against a hand-written
    PyTorch loop over the same model, batches (skemo's length-bucketed
    batches), data and precision.

Usage::

    SKEMO_DATA=../shared/data python benchmarks/baseline.py              # full run
    SKEMO_DATA=../shared/data python benchmarks/baseline.py --train-size 2000 --epochs 1
"""

import argparse
import platform
import time

import torch
from _records import append
from sklearn.metrics import f1_score

from skemo import FineTunedEmotionClassifier
from skemo.datasets import load_goemotions
from skemo.nn import ClassifierHeadModel
from skemo.nn.encoder import TextEncoder, load_backbone, load_tokenizer
from skemo.thresholds import apply_thresholds, tune_thresholds
from skemo.utils._precision import autocast
from skemo.utils._text_data import (
    LengthBucketBatchSampler,
    PadCollator,
    TextDataset,
    tokenize_texts,
)

SETTINGS = dict(lr=5e-5, batch_size=32, max_length=64, warmup_ratio=0.1, weight_decay=0.01)


def machine():
    """The CPU's model name (``platform.machine()`` where /proc/cpuinfo has none)."""
    try:
        with open("/proc/cpuinfo") as f:
            return next(line.split(":", 1)[1].strip() for line in f
                        if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.machine()


def hand_written_epoch(texts, Y, precision, seed):
    """One epoch of a plain PyTorch loop on skemo's model and batches; returns texts/s."""
    from transformers import get_linear_schedule_with_warmup

    torch.manual_seed(seed)
    tokenizer = load_tokenizer("all-MiniLM-L6-v2")
    model = ClassifierHeadModel(TextEncoder(load_backbone("all-MiniLM-L6-v2"), "mean"),
                                Y.shape[1])
    params = list(model.parameters())
    optimizer = torch.optim.AdamW(
        [{"params": [p for p in params if p.ndim > 1], "weight_decay": SETTINGS["weight_decay"]},
         {"params": [p for p in params if p.ndim <= 1], "weight_decay": 0.0}],
        lr=SETTINGS["lr"])
    dataset = TextDataset(tokenize_texts(tokenizer, texts, SETTINGS["max_length"]), Y)
    sampler = LengthBucketBatchSampler(dataset.lengths, SETTINGS["batch_size"], seed=seed)
    loader = torch.utils.data.DataLoader(dataset, batch_sampler=sampler,
                                         collate_fn=PadCollator(tokenizer.pad_token_id))
    scheduler = get_linear_schedule_with_warmup(
        optimizer, int(SETTINGS["warmup_ratio"] * len(loader)), len(loader))
    loss_fn = torch.nn.BCEWithLogitsLoss()
    model.train()
    start = time.perf_counter()
    for X, y in loader:
        with autocast(precision, "cpu"):
            logits = model(**X)
        loss = loss_fn(logits.float(), y.float())
        loss.backward()
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad()
    return len(texts) / (time.perf_counter() - start)


def skemo_epoch(texts, Y, precision, seed):
    """One epoch of ``FineTunedEmotionClassifier.fit``; returns texts/s over the epoch."""
    clf = FineTunedEmotionClassifier(max_epochs=1, validation_fraction=None,
                                     precision=precision, random_state=seed, **SETTINGS)
    clf.fit(texts, Y)
    return len(texts) / clf.history[-1, "dur"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-size", type=int, default=None,
                        help="number of training texts (default: all 43410)")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--precision", default="auto", choices=["auto", "fp32", "bf16"])
    parser.add_argument("--speed-size", type=int, default=1600,
                        help="texts per throughput measurement")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--save", metavar="PATH", help="save the fitted model here")
    args = parser.parse_args()

    train = load_goemotions(split="train")
    dev = load_goemotions(split="dev")
    test = load_goemotions(split="test")
    n = args.train_size or len(train.data)
    print(f"# skemo baseline benchmark  ({time.strftime('%Y-%m-%d')}, "
          f"{machine()}, {torch.get_num_threads()} threads, "
          f"torch {torch.__version__}, precision={args.precision})\n")

    if not args.skip_quality:
        clf = FineTunedEmotionClassifier(max_epochs=args.epochs, validation_fraction=None,
                                         precision=args.precision, random_state=args.seed,
                                         label_names=train.target_names, **SETTINGS)
        start = time.perf_counter()
        clf.fit(train.data[:n], train.target[:n])
        fit_s = time.perf_counter() - start
        start = time.perf_counter()
        proba_test = clf.predict_proba(test.data)
        predict_rate = len(test.data) / (time.perf_counter() - start)
        thresholds = tune_thresholds(dev.target, clf.predict_proba(dev.data))

        def macro(th):
            return f1_score(test.target, apply_thresholds(proba_test, th), average="macro",
                            zero_division=0)

        def micro(th):
            return f1_score(test.target, apply_thresholds(proba_test, th), average="micro",
                            zero_division=0)

        print(f"## (a) GoEmotions-28 test, {n} train texts, {args.epochs} epochs "
              f"(fit {fit_s / 60:.1f} min, predict {predict_rate:.0f} texts/s)\n")
        print("| thresholds | macro-F1 | micro-F1 |\n|---|---|---|")
        figures = {}
        for name, th in [("0.5", 0.5), ("0.3", 0.3), ("tuned on dev", thresholds)]:
            print(f"| {name} | {macro(th):.3f} | {micro(th):.3f} |")
            suffix = {"0.5": "at_05", "0.3": "at_03"}.get(name, "tuned")
            figures.update({f"macro_f1_{suffix}": macro(th), f"micro_f1_{suffix}": micro(th)})
        append("baseline", {
            "benchmark": "baseline", "dataset": "goemotions", "n_train": n,
            "n_dev": len(dev.data), "n_test": len(test.data), "epochs": args.epochs,
            "seed": args.seed, "train_precision": args.precision,
            "predict_precision": args.precision, "metrics": figures,
            "fit_minutes": fit_s / 60, "predict_texts_per_s": predict_rate})
        print()
        if args.save:
            clf.save(args.save)

        # The same fitted weights, predicting in each precision: what inference precision costs.
        print("| inference precision | macro-F1 (tuned) | predict texts/s |\n|---|---|---|")
        for precision in ("fp32", "bf16"):
            clf.set_params(precision=precision)
            start = time.perf_counter()
            proba = clf.predict_proba(test.data)
            rate = len(test.data) / (time.perf_counter() - start)
            macro_f1 = f1_score(test.target, apply_thresholds(proba, thresholds),
                                average="macro", zero_division=0)
            print(f"| {precision} | {macro_f1:.4f} | {rate:.0f} |")
        print()

    texts, Y = train.data[:args.speed_size], train.target[:args.speed_size]
    skemo_epoch(texts[:64], Y[:64], args.precision, args.seed)  # warm up kernels
    hand = hand_written_epoch(texts, Y, args.precision, args.seed)
    ours = skemo_epoch(texts, Y, args.precision, args.seed)
    print(f"## (b) training throughput, {len(texts)} texts, one epoch\n")
    print("| loop | texts/s | ratio |\n|---|---|---|")
    print(f"| hand-written PyTorch | {hand:.1f} | 1.00 |")
    print(f"| skemo fit | {ours:.1f} | {ours / hand:.2f} |")


if __name__ == "__main__":
    main()
