"""Where fit spends its time: a torch-profiler summary of one training epoch.

Trains ``FineTunedEmotionClassifier`` for one epoch on GoEmotions training
texts (offline MiniLM, batch 32, max_length 64) under :mod:`torch.profiler`
prints two markdown tables, and appends the phases as one record to
``benchmarks/results/profile_fit.jsonl``:

(a) the epoch split into phases -- tokenisation, collation (padding a batch),
    forward pass, loss, backward pass, optimiser step, and the rest (Python
    overhead of the loop, callbacks, scheduling), in milliseconds and shares
    of the epoch's wall time;
(b) the operators with the most self CPU time over the epoch, forward and
    backward (``autograd::engine`` rows are backward kernels).

Phases are ``record_function`` ranges set by a profiling subclass that wraps
the estimator's documented hooks (``get_dataset``, ``infer``, ``get_loss``,
the collate function) and the optimiser's own profiler range; "backward" is
the training step's time outside forward and loss, and "rest" is the epoch's
wall time outside all phases.

Usage::

    SKEMO_DATA=../shared/data python benchmarks/profile_fit.py                 # 800 texts
    SKEMO_DATA=../shared/data python benchmarks/profile_fit.py --precision bf16
    SKEMO_DATA=../shared/data python benchmarks/profile_fit.py --train-size 96  # smoke test
"""

import argparse
import time
from collections import defaultdict

import torch
from _records import append
from baseline import SETTINGS, machine
from torch.profiler import ProfilerActivity, profile, record_function

from skemo import FineTunedEmotionClassifier
from skemo.datasets import load_goemotions
from skemo.nn.encoder import DEFAULT_ENCODER, load_tokenizer
from skemo.utils._text_data import PadCollator

PHASES = ("tokenise", "collate", "forward", "loss", "train_step", "optimizer")


class ProfiledCollator(PadCollator):
    """skemo's padding collator inside a ``collate`` profiler range."""

    def __call__(self, batch):
        with record_function("collate"):
            return super().__call__(batch)


class ProfiledClassifier(FineTunedEmotionClassifier):
    """The baseline estimator with profiler ranges around its hooks."""

    def get_dataset(self, X, y=None):
        with record_function("tokenise"):
            return super().get_dataset(X, y)

    def infer(self, x, **fit_params):
        with record_function("forward"):
            return super().infer(x, **fit_params)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        with record_function("loss"):
            return super().get_loss(y_pred, y_true, X=X, training=training)

    def train_step_single(self, batch, **fit_params):
        with record_function("train_step"):
            return super().train_step_single(batch, **fit_params)


def phase_table(events, wall_ms):
    """Milliseconds per phase from the profiler's top-level ranges."""
    totals = defaultdict(float)
    for event in events:
        name = event.key
        if name.startswith("Optimizer.step#"):
            name = "optimizer"
        if name in PHASES:
            totals[name] += event.cpu_time_total / 1e3
    rows = {
        "tokenisation (get_dataset)": totals["tokenise"],
        "collation (padding batches)": totals["collate"],
        "forward": totals["forward"],
        "loss": totals["loss"],
        "backward": totals["train_step"] - totals["forward"] - totals["loss"],
        # skorch runs the training step as the optimiser's closure, inside its range
        "optimiser step (AdamW)": totals["optimizer"] - totals["train_step"],
    }
    rows["rest: Python loop, callbacks, LR schedule"] = wall_ms - sum(rows.values())
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-size", type=int, default=800)
    parser.add_argument("--precision", default="fp32", choices=["fp32", "bf16"])
    parser.add_argument("--adamw", default="default", choices=["default", "for-loop",
                                                                "foreach", "fused"],
                        help="AdamW implementation (default: skemo's choice)")
    parser.add_argument("--top", type=int, default=15, help="operator rows of table (b)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    train = load_goemotions(split="train")
    texts, Y = train.data[:args.train_size], train.target[:args.train_size]
    extra = {"for-loop": {"optimizer__foreach": False, "optimizer__fused": False},
             "foreach": {"optimizer__foreach": True, "optimizer__fused": False},
             "fused": {"optimizer__foreach": False, "optimizer__fused": True},
             "default": {}}[args.adamw]
    collate = ProfiledCollator(load_tokenizer(DEFAULT_ENCODER).pad_token_id)
    clf = ProfiledClassifier(max_epochs=1, validation_fraction=None, precision=args.precision,
                             random_state=args.seed, iterator_train__collate_fn=collate,
                             **SETTINGS, **extra)
    clf.fit(texts[:64], Y[:64])  # warm up kernels and allocator
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        start = time.perf_counter()
        clf.fit(texts, Y)
        wall_ms = (time.perf_counter() - start) * 1e3
    averages = prof.key_averages()
    print(f"# one fit epoch under torch.profiler  ({time.strftime('%Y-%m-%d')}, {machine()}, "
          f"{torch.get_num_threads()} threads, torch {torch.__version__}, "
          f"precision={args.precision}, {len(texts)} texts, AdamW {args.adamw})\n")
    print(f"## (a) phases of the epoch ({wall_ms / 1e3:.1f} s wall, "
          f"{len(texts) / wall_ms * 1e3:.1f} texts/s under the profiler)\n")
    print("| phase | ms | share |\n|---|---|---|")
    phases = phase_table(averages, wall_ms)
    for name, ms in phases.items():
        print(f"| {name} | {ms:.0f} | {ms / wall_ms:.1%} |")
    append("profile_fit", {
        "benchmark": "profile_fit", "dataset": "goemotions", "n_texts": len(texts),
        "epochs": 1, "precision": args.precision, "adamw": args.adamw, "seed": args.seed,
        "wall_ms": wall_ms, "phase_ms": phases})
    print(f"\n## (b) top {args.top} operators by self CPU time\n")
    print("| operator | calls | self CPU ms | share of epoch |\n|---|---|---|---|")
    ops = sorted((e for e in averages if e.key not in PHASES
                  and not e.key.startswith(("Optimizer.", "ProfilerStep"))),
                 key=lambda e: e.self_cpu_time_total, reverse=True)
    for event in ops[:args.top]:
        ms = event.self_cpu_time_total / 1e3
        print(f"| `{event.key}` | {event.count} | {ms:.0f} | {ms / wall_ms:.1%} |")


if __name__ == "__main__":
    main()
