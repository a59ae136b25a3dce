"""Speed benchmark: skemo against a hand-written loop, the transformers pipeline, and itself.

Prints markdown tables, all measured side by side in one run on GoEmotions
training texts with the offline MiniLM encoder:

(a) training throughput (texts/s) of ``FineTunedEmotionClassifier.fit``
    against the hand-written PyTorch loop of ``benchmarks/baseline.py`` (same
    model, batches, data), in fp32 and in the autocast precision that
    ``precision="auto"`` picks, if any (bf16 on CPUs with AMX or avx512_bf16)
    -- with model FLOP utilisation;
(b) prediction throughput of ``predict_proba`` against the ``transformers``
    text-classification ``pipeline`` on the same encoder, texts, batch size
    and truncation, in the same precisions (the pipeline under the same
    autocast);
(c) an 8-point ``GridSearchCV`` over head parameters with
    ``freeze_encoder=True``, without and with ``cache_dir`` (identical
    ``cv_results_`` expected), scored by label ranking average precision
    (threshold-free, so short head trainings still rank the points);
(d) the GEMM peaks of those precisions that the FLOP utilisations of (a) and
    (b) are measured against.

Model FLOP utilisation (MFU) = achieved model FLOP/s / measured peak, with
model FLOPs ~ 6 N per token for training and 2 N per token for inference,
N the encoder's parameters outside its embedding tables (lookups are not
matrix products), and tokens the texts' real tokens (padding excluded). Each
row is measured against the GEMM peak of its own precision.

Usage::

    SKEMO_DATA=../shared/data python benchmarks/speed.py            # ~10 min on 2 cores
    SKEMO_DATA=../shared/data python benchmarks/speed.py --tables c # the grid search only
    SKEMO_DATA=../shared/data python benchmarks/speed.py --train-size 64 \\
        --predict-size 128 --grid-size 96 --grid-epochs 1             # smoke test
"""

import argparse
import tempfile
import time
import warnings

import numpy as np
import torch
from sklearn.metrics import label_ranking_average_precision_score, make_scorer
from sklearn.model_selection import GridSearchCV, KFold

from baseline import SETTINGS, hand_written_epoch, machine, skemo_epoch
from skemo import FineTunedEmotionClassifier
from skemo.datasets import load_goemotions
from skemo.nn.encoder import DEFAULT_ENCODER, load_backbone, load_tokenizer, resolve_encoder
from skemo.utils._precision import autocast, autocast_dtype, resolve_device
from skemo.utils._text_data import tokenize_texts

RANKING = make_scorer(label_ranking_average_precision_score, response_method="predict_proba")
HEAD_GRID = {"head_lr": [3e-4, 1e-3], "module__dropout": [0.0, 0.2], "weight_decay": [0.0, 0.01]}


def gemm_peak(device, dtype, size=None, repeats=10):
    """FLOP/s of a large ``dtype`` matrix product on ``device`` (best of ``repeats``)."""
    size = size or (8192 if device.startswith("cuda") else 2048)
    a = torch.randn(size, size, device=device, dtype=dtype)
    b = torch.randn(size, size, device=device, dtype=dtype)
    best = float("inf")
    for _ in range(repeats + 1):  # the first product warms up
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        start = time.perf_counter()
        a @ b
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - start)
    return 2 * size**3 / best


def non_embedding_parameters():
    """N of the FLOP estimates: the encoder's parameters outside its embedding tables."""
    backbone = load_backbone(DEFAULT_ENCODER)
    return sum(p.numel() for name, p in backbone.named_parameters()
               if not name.startswith("embeddings."))


def tokens_per_text(texts):
    """Mean number of real tokens per text after truncation to ``max_length``."""
    tokenizer = load_tokenizer(DEFAULT_ENCODER)
    return np.mean([len(row) for row in tokenize_texts(tokenizer, texts,
                                                         SETTINGS["max_length"])])


def mfu(texts_per_s, tokens, flops_per_token, peak):
    """Model FLOP utilisation: achieved model FLOP/s over the peak."""
    return texts_per_s * tokens * flops_per_token / peak


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - start


def training_table(texts, Y, seed, n_params, peaks):
    skemo_epoch(texts[:64], Y[:64], list(peaks)[-1], seed)  # warm up kernels
    rows = []
    for precision in peaks:
        hand = hand_written_epoch(texts, Y, precision, seed)
        ours = skemo_epoch(texts, Y, precision, seed)
        rows.append((precision, hand, ours))
    print(f"## (a) training throughput, {len(texts)} texts, one epoch\n")
    print("| precision | hand-written texts/s | skemo fit texts/s | skemo / hand-written "
          "| skemo MFU |\n|---|---|---|---|---|")
    tokens = tokens_per_text(texts)
    for precision, hand, ours in rows:
        print(f"| {precision} | {hand:.1f} | {ours:.1f} | {ours / hand:.2f} "
              f"| {mfu(ours, tokens, 6 * n_params, peaks[precision]):.1%} |")
    if len(rows) > 1:
        print(f"\n{rows[1][0]} / fp32 for skemo fit: **{rows[1][2] / rows[0][2]:.2f}x**")
    print()


def pipeline_texts_per_s(texts, n_labels, batch_size, device, precision):
    from transformers import AutoModelForSequenceClassification, pipeline

    model = AutoModelForSequenceClassification.from_pretrained(
        resolve_encoder(DEFAULT_ENCODER), num_labels=n_labels,
        problem_type="multi_label_classification")
    pipe = pipeline("text-classification", model=model,
                    tokenizer=load_tokenizer(DEFAULT_ENCODER), device=device,
                    top_k=None, function_to_apply="sigmoid", batch_size=batch_size)
    kwargs = dict(truncation=True, max_length=SETTINGS["max_length"])
    with autocast(precision, device):
        pipe(texts[:64], **kwargs)  # warm up
        _, seconds = timed(pipe, texts, **kwargs)
    return len(texts) / seconds


def prediction_table(texts, Y, names, seed, n_params, peaks):
    device = resolve_device("auto")
    clf = FineTunedEmotionClassifier(max_epochs=0, validation_fraction=None,
                                     label_names=names, random_state=seed, **SETTINGS)
    clf.fit(texts[:64], Y[:64])
    rows = []
    for precision in peaks:
        clf.set_params(precision=precision)
        clf.predict_proba(texts[:64])  # warm up
        _, seconds = timed(clf.predict_proba, texts)
        ours = len(texts) / seconds
        theirs = pipeline_texts_per_s(texts, len(names), SETTINGS["batch_size"], device,
                                      precision)
        rows.append((precision, theirs, ours))
    print(f"## (b) prediction throughput, {len(texts)} texts, batch size "
          f"{SETTINGS['batch_size']}\n")
    print("| precision | transformers pipeline texts/s | skemo predict_proba texts/s "
          "| skemo / pipeline | skemo MFU |\n|---|---|---|---|---|")
    tokens = tokens_per_text(texts)
    for precision, theirs, ours in rows:
        print(f"| {precision} | {theirs:.1f} | {ours:.1f} | {ours / theirs:.2f} "
              f"| {mfu(ours, tokens, 2 * n_params, peaks[precision]):.1%} |")
    print(f"\nskemo defaults (precision='auto') / pipeline defaults (fp32): "
          f"**{rows[-1][2] / rows[0][1]:.2f}x** (goal >= 2x)")
    if len(rows) > 1:
        print(f"{rows[1][0]} / fp32 for skemo predict_proba: "
              f"**{rows[1][2] / rows[0][2]:.2f}x**")
    print()


def grid_table(texts, Y, names, seed, epochs, folds):
    est = FineTunedEmotionClassifier(freeze_encoder=True, max_epochs=epochs,
                                     validation_fraction=None, label_names=names,
                                     random_state=seed, **SETTINGS)
    cv = KFold(folds, shuffle=True, random_state=seed)
    results = {}
    with tempfile.TemporaryDirectory() as cache_dir:
        for name, cache in (("uncached", None), ("cache_dir", cache_dir)):
            search = GridSearchCV(est.set_params(cache_dir=cache), HEAD_GRID, cv=cv,
                                  scoring=RANKING, refit=False)
            _, seconds = timed(search.fit, texts, Y)
            results[name] = (seconds, search.cv_results_)
    (plain, plain_cv), (cached, cached_cv) = results["uncached"], results["cache_dir"]
    identical = all(np.array_equal(plain_cv[key], cached_cv[key])
                    for key in plain_cv if "test_score" in key)
    n_points = len(plain_cv["params"])
    print(f"## (c) {n_points}-point GridSearchCV over head parameters, freeze_encoder=True, "
          f"{len(texts)} texts, {folds} folds, {epochs} epochs per fit\n")
    print("| embeddings | seconds | speed-up |\n|---|---|---|")
    print(f"| computed in every fit | {plain:.1f} | 1.00 |")
    print(f"| cached (cache_dir) | {cached:.1f} | **{plain / cached:.2f}x** |")
    print(f"\nidentical cv_results_ test scores: **{'yes' if identical else 'NO'}** "
          f"(mean label ranking average precision from "
          f"{plain_cv['mean_test_score'].min():.4f} to {plain_cv['mean_test_score'].max():.4f} "
          "over the grid); goal >= 5x\n")


def main():
    from transformers.utils import logging as transformers_logging

    transformers_logging.set_verbosity_error()  # the pipeline's model has a new, untrained head
    transformers_logging.disable_progress_bar()
    warnings.filterwarnings("ignore", message=r"label\(s\) .* no positive example")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-size", type=int, default=800,
                        help="texts per training-throughput epoch")
    parser.add_argument("--predict-size", type=int, default=2000,
                        help="texts per prediction-throughput measurement")
    parser.add_argument("--grid-size", type=int, default=3000,
                        help="texts of the grid search")
    parser.add_argument("--grid-epochs", type=int, default=2,
                        help="head-training epochs of each grid-search fit")
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tables", nargs="+", default=["a", "b", "c"], choices=["a", "b", "c"],
                        help="which of tables (a)-(c) to measure; (d) comes with (a) or (b)")
    args = parser.parse_args()

    train = load_goemotions(split="train")
    texts, Y, names = train.data, train.target, train.target_names
    device = resolve_device("auto")
    print(f"# skemo speed benchmark  ({time.strftime('%Y-%m-%d')}, "
          f"{machine()}, {torch.get_num_threads()} threads, "
          f"torch {torch.__version__}, device {device})\n")
    if device != "cpu":
        print("Note: baseline.py's hand-written loop runs on the CPU; table (a) compares "
              "like with like only on CPU machines.\n")

    # fp32, and the autocast precision of precision="auto" where the hardware has one
    # (on a CPU without bf16 units, bf16 is emulated: slow, and no one would use it).
    precisions = {"fp32": torch.float32}
    auto_dtype = autocast_dtype("auto", device)
    if auto_dtype is not None:
        precisions[{torch.bfloat16: "bf16", torch.float16: "fp16"}[auto_dtype]] = auto_dtype
    print(f"precision='auto' runs in {list(precisions)[-1]} here.\n")
    throughput = "a" in args.tables or "b" in args.tables  # tables (a), (b) and (d)
    if throughput:
        peaks = {name: gemm_peak(device, dtype) for name, dtype in precisions.items()}
        n_params = non_embedding_parameters()
    if "a" in args.tables:
        training_table(texts[:args.train_size], Y[:args.train_size], args.seed, n_params, peaks)
    if "b" in args.tables:
        prediction_table(texts[:args.predict_size], Y[:args.predict_size], names, args.seed,
                         n_params, peaks)
    if "c" in args.tables:
        grid_table(texts[:args.grid_size], Y[:args.grid_size], names, args.seed,
                   args.grid_epochs, args.folds)
    if throughput:
        measured = ", ".join(f"{name} {peak / 1e12:.2f}" for name, peak in peaks.items())
        print(f"## (d) peaks\n\nGEMM peak on {device}: {measured} TFLOP/s; "
              f"N = {n_params / 1e6:.1f}M non-embedding parameters; "
              f"{tokens_per_text(texts[:args.predict_size]):.1f} real tokens per text.")


if __name__ == "__main__":
    main()
