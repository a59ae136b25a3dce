"""Speed benchmark: skemo against a hand-written loop, transformers and sentence-transformers.

Prints markdown tables, all measured side by side in one run on GoEmotions
training texts with the offline MiniLM encoder, and appends each table's
figures as one record to ``benchmarks/results/speed_fit.jsonl`` (a),
``speed_predict.jsonl`` (b), ``speed_grid.jsonl`` (c), ``precision_cost.jsonl``
(e) or ``speed_gpu.jsonl`` (g):

(a) training throughput (texts/s) of ``FineTunedEmotionClassifier.fit``
    against the hand-written PyTorch loop of ``benchmarks/baseline.py`` (same
    model, batches, data) and against the transformers ``Trainer`` (same
    encoder and data, its defaults: random batches padded per batch), in
    fp32 and bf16 autocast -- with model FLOP utilisation;
(b) prediction throughput of ``predict_proba`` in fp32, bf16 and int8 (the
    encoder on onnxruntime with int8 weights) and of
    skemo's scoring path exported by ``skemo.export.export_onnx`` to
    onnxruntime (fp32, and int8 by onnxruntime's dynamic quantiser), against
    the ``transformers`` text-classification ``pipeline`` at its fp32
    defaults and sentence-transformers ``encode`` plus a linear head (torch
    backend; ONNX backend where it installs) -- same texts, batch size and
    truncation;
(c) an 8-point ``GridSearchCV`` over head parameters with
    ``freeze_encoder=True``, without and with ``cache_dir`` (identical
    ``cv_results_`` expected), scored by label ranking average precision;
(d) the GEMM peaks (fp32, bf16, int8) that the FLOP utilisations of (a) and
    (b) are measured against;
(e) what inference precision costs: test macro-F1 (thresholds tuned on dev in
    the same precision, at 0.5, and fp32's tuned thresholds, with the share of
    test decisions that differ from fp32's) of saved full-data models
    predicting in fp32, bf16 and int8 (``--quality NAME=PATH``; NAME a dataset
    of ``skemo.datasets.DATASETS`` with dev and test splits);
(f) ``torch.compile`` against eager: fit texts/s after the compiling epoch,
    the compile time, and prediction (fp32);
(g) on a CUDA GPU: one full-data GoEmotions fit in bf16, its fit and predict
    throughput and its test macro-F1.

Model FLOP utilisation (MFU) = achieved model FLOP/s / measured peak, with
model FLOPs ~ 6 N per token for training and 2 N per token for inference,
N the encoder's parameters outside its embedding tables (lookups are not
matrix products), and tokens the texts' real tokens (padding excluded). Each
row is measured against the GEMM peak of its own precision (int8: a linear
layer through onnxruntime's dynamic int8 quantiser, as ``precision="int8"``
runs the encoder).

Usage::

    SKEMO_DATA=../shared/data python benchmarks/speed.py --tables a b   # ~15 min on 2 cores
    SKEMO_DATA=../shared/data python benchmarks/speed.py --tables c     # the grid search only
    SKEMO_DATA=../shared/data python benchmarks/speed.py --tables e \\
        --quality semeval2018_ec=/path/to/model goemotions=/path/to/model
    SKEMO_DATA=../shared/data python benchmarks/speed.py --tables g     # on a CUDA machine
    SKEMO_DATA=../shared/data python benchmarks/speed.py --train-size 64 \\
        --predict-size 128 --grid-size 96 --grid-epochs 1             # smoke test
"""

import argparse
import tempfile
import time
import warnings

import numpy as np
import torch
from _peers import (
    interleaved_rates,
    pipeline_predictor,
    sentence_transformers_predictor,
)
from _records import append
from baseline import SETTINGS, hand_written_epoch, machine, skemo_epoch
from sklearn.metrics import f1_score, label_ranking_average_precision_score, make_scorer
from sklearn.model_selection import GridSearchCV, KFold

from skemo import FineTunedEmotionClassifier
from skemo.datasets import DATASETS, load_goemotions
from skemo.hub import load
from skemo.nn.encoder import (
    DEFAULT_ENCODER,
    load_backbone,
    load_tokenizer,
    resolve_encoder,
)
from skemo.persistence import resolved_precision
from skemo.thresholds import apply_thresholds, tune_thresholds
from skemo.utils._onnx import quantize_file, session
from skemo.utils._precision import resolve_device
from skemo.utils._text_data import tokenize_texts

RANKING = make_scorer(label_ranking_average_precision_score, response_method="predict_proba")
HEAD_GRID = {"head_lr": [3e-4, 1e-3], "module__dropout": [0.0, 0.2], "weight_decay": [0.0, 0.01]}
PRECISIONS = {"fp32": torch.float32, "bf16": torch.bfloat16}


def cpu_flags():
    """The CPU's bf16/int8 matrix and vector flags, as /proc/cpuinfo names them."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = next(line for line in f if line.startswith("flags")).split()
    except (OSError, StopIteration):
        return "unknown"
    wanted = ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16", "amx_int8")
    return " ".join(flag for flag in wanted if flag in flags) or "none of " + "/".join(wanted)


def load_average():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def best_time(fn, repeats):
    fn()  # warm up
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def gemm_peak(precision, size=2048, repeats=10):
    """FLOP/s of a ``size``-cubed matrix product on the CPU in ``precision``.

    int8 is a linear layer quantised by onnxruntime's dynamic quantiser, as
    ``precision="int8"`` runs the encoder (it quantises its fp32 input per call).
    """
    if precision == "int8":
        linear = torch.nn.Linear(size, size, bias=False).eval()
        x = torch.randn(size, size)
        with tempfile.TemporaryDirectory() as directory:
            with torch.no_grad():
                torch.onnx.export(linear, (x,), f"{directory}/fp32.onnx", dynamo=False,
                                  input_names=["x"], output_names=["y"])
            quantize_file(f"{directory}/fp32.onnx", f"{directory}/int8.onnx")
            runtime = session(f"{directory}/int8.onnx")
        feed = {"x": x.numpy()}
        seconds = best_time(lambda: runtime.run(None, feed), repeats)
    else:
        a, b = (torch.randn(size, size, dtype=PRECISIONS[precision]) for _ in range(2))
        seconds = best_time(lambda: a @ b, repeats)
    return 2 * size**3 / seconds


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


def hf_classifier(n_labels):
    """MiniLM with transformers' own multi-label classification head."""
    from transformers import AutoModelForSequenceClassification

    return AutoModelForSequenceClassification.from_pretrained(
        resolve_encoder(DEFAULT_ENCODER), num_labels=n_labels,
        problem_type="multi_label_classification")


def trainer_epoch(texts, Y, precision, seed):
    """One epoch of the transformers ``Trainer`` at its defaults; returns texts/s."""
    from transformers import DataCollatorWithPadding, Trainer, TrainingArguments

    torch.manual_seed(seed)
    tokenizer = load_tokenizer(DEFAULT_ENCODER)
    encoded = tokenizer(list(texts), truncation=True, max_length=SETTINGS["max_length"])
    rows = [{"input_ids": ids, "attention_mask": mask, "labels": y.astype(np.float32)}
            for ids, mask, y in zip(encoded["input_ids"], encoded["attention_mask"], Y)]
    steps = -(-len(rows) // SETTINGS["batch_size"])
    with tempfile.TemporaryDirectory() as output_dir:
        args = TrainingArguments(
            output_dir=output_dir, per_device_train_batch_size=SETTINGS["batch_size"],
            num_train_epochs=1, learning_rate=SETTINGS["lr"],
            weight_decay=SETTINGS["weight_decay"],
            warmup_steps=int(SETTINGS["warmup_ratio"] * steps), lr_scheduler_type="linear",
            bf16=precision == "bf16", use_cpu=True, report_to=[], save_strategy="no",
            logging_strategy="no", disable_tqdm=True, seed=seed)
        trainer = Trainer(model=hf_classifier(Y.shape[1]), args=args, train_dataset=rows,
                          data_collator=DataCollatorWithPadding(tokenizer))
        metrics = trainer.train().metrics
    return len(rows) / metrics["train_runtime"]


def training_table(texts, Y, seed, n_params, peaks):
    skemo_epoch(texts[:64], Y[:64], "bf16", seed)  # warm up kernels
    rows = []
    for precision in PRECISIONS:
        hand = hand_written_epoch(texts, Y, precision, seed)
        ours = skemo_epoch(texts, Y, precision, seed)
        trainer = trainer_epoch(texts, Y, precision, seed)
        rows.append((precision, hand, trainer, ours))
        append("speed_fit", {
            "benchmark": "speed_fit", "dataset": "goemotions", "n_texts": len(texts),
            "epochs": 1, "precision": precision, "load_average": load_average(),
            "texts_per_s": {"hand_written": hand, "transformers_trainer": trainer,
                            "skemo_fit": ours}})
    print(f"## (a) training throughput, {len(texts)} texts, one epoch "
          f"(load average {load_average()})\n")
    print("| precision | hand-written texts/s | transformers Trainer texts/s "
          "| skemo fit texts/s | skemo / hand-written | skemo / Trainer | skemo MFU |\n"
          "|---|---|---|---|---|---|---|")
    tokens = tokens_per_text(texts)
    for precision, hand, trainer, ours in rows:
        print(f"| {precision} | {hand:.1f} | {trainer:.1f} | {ours:.1f} | {ours / hand:.2f} "
              f"| {ours / trainer:.2f} | {mfu(ours, tokens, 6 * n_params, peaks[precision]):.1%} |")
    print(f"\nbf16 / fp32 for skemo fit: **{rows[1][3] / rows[0][3]:.2f}x** "
          f"(goal >= 1.5x, else precision='auto' trains in fp32)\n")


def compile_table(texts, Y, seed, epochs=3):
    """Table (f): ``torch.compile`` (skorch's ``compile=True``, dynamic shapes) against eager.

    fp32 fits of ``epochs`` epochs each; the first epoch of a compiled fit
    includes compiling, the later ones run the compiled graphs; prediction
    (fp32 too) is timed after a first call, which compiles its graphs.
    """
    rows = []
    for name, extra in [("eager", {}), ("torch.compile(dynamic=True)",
                                        {"compile": True, "compile__dynamic": True})]:
        clf = FineTunedEmotionClassifier(max_epochs=epochs, validation_fraction=None,
                                         precision="fp32", random_state=seed, **SETTINGS,
                                         **extra)
        clf.fit(texts, Y)
        durations = clf.history[:, "dur"]
        steady = len(texts) / np.mean(durations[1:])
        _, first = timed(clf.predict_proba, texts[:64])
        predict = len(texts) / timed(clf.predict_proba, texts)[1]
        rows.append((name, durations[0], steady, first, predict))
    print(f"## (f) torch.compile, fp32, {len(texts)} texts, {epochs} epochs "
          f"(load average {load_average()})\n")
    print("| mode | first epoch s | later epochs texts/s | first predict call s "
          "| predict texts/s |\n|---|---|---|---|---|")
    for name, first_epoch, steady, first, predict in rows:
        print(f"| {name} | {first_epoch:.1f} | {steady:.1f} | {first:.1f} | {predict:.1f} |")
    print(f"\ncompiled / eager, later epochs: **{rows[1][2] / rows[0][2]:.2f}x**; "
          f"prediction: {rows[1][4] / rows[0][4]:.2f}x\n")


def skemo_predictor(clf, precision):
    """``clf.predict_proba`` in ``precision`` (set at each call: predictors interleave)."""
    return lambda texts: clf.set_params(precision=precision).predict_proba(texts)


def pipeline_peer(n_labels):
    return pipeline_predictor(hf_classifier(n_labels), load_tokenizer(DEFAULT_ENCODER),
                              SETTINGS["batch_size"], SETTINGS["max_length"])


def sentence_transformers_peer(n_labels, backend):
    """``SentenceTransformer.encode`` plus a linear head, batch and truncation as ours."""
    return sentence_transformers_predictor(resolve_encoder(DEFAULT_ENCODER), n_labels,
                                           backend, SETTINGS["batch_size"],
                                           SETTINGS["max_length"])


def onnxruntime_predictor(clf, directory, quantize):
    """skemo's scoring path exported by :func:`skemo.export.export_onnx`, on onnxruntime."""
    from skemo.export import ONNXEmotionClassifier, export_onnx

    path = f"{directory}/{'int8' if quantize else 'fp32'}"
    export_onnx(clf, path, quantize=quantize)
    return ONNXEmotionClassifier(path).predict_proba


#: Record keys of the predictors of table (b).
PREDICTOR_KEYS = {
    "transformers pipeline (fp32 defaults)": "transformers_pipeline",
    "sentence-transformers encode + linear head (torch backend)": "sentence_transformers_torch",
    "sentence-transformers encode + linear head (onnx backend)": "sentence_transformers_onnx",
    **{f"skemo predict_proba, precision={p!r}": f"skemo_{p}"
       for p in ("fp32", "bf16", "int8", "auto")},
    "skemo module on onnxruntime fp32": "skemo_onnx_fp32",
    "skemo module on onnxruntime int8": "skemo_onnx_int8",
}


def prediction_table(texts, Y, names, seed, n_params, peaks, predictors):
    clf = FineTunedEmotionClassifier(max_epochs=0, validation_fraction=None,
                                     label_names=names, random_state=seed, **SETTINGS)
    clf.fit(texts[:64], Y[:64])
    with tempfile.TemporaryDirectory() as directory:
        peers = [("transformers pipeline (fp32 defaults)", None,
                  lambda: pipeline_peer(len(names)))]
        for backend in ("torch", "onnx"):
            peers.append((f"sentence-transformers encode + linear head ({backend} backend)",
                          None, lambda b=backend: sentence_transformers_peer(len(names), b)))
        for precision in ("fp32", "bf16", "int8", "auto"):
            peers.append((f"skemo predict_proba, precision={precision!r}", precision,
                          lambda p=precision: skemo_predictor(clf, p)))
        for quantize in (False, True):
            peers.append((f"skemo module on onnxruntime {'int8' if quantize else 'fp32'}",
                          None, lambda q=quantize: onnxruntime_predictor(clf, directory, q)))
        peers = [peer for peer in peers if PREDICTOR_KEYS[peer[0]] in predictors]
        rows = interleaved_rates(peers, texts)
    pipeline_rate = rows[0][2]
    append("speed_predict", {
        "benchmark": "speed_predict", "dataset": "goemotions", "n_texts": len(texts),
        "batch_size": SETTINGS["batch_size"], "rounds": 3,
        "auto_precision": resolved_precision("auto", "cpu"), "load_average": load_average(),
        "texts_per_s": {PREDICTOR_KEYS[name]: rate for name, _, rate in rows
                        if not isinstance(rate, str)},
        "ratio_to_pipeline": {PREDICTOR_KEYS[name]: round(rate / pipeline_rate, 2)
                              for name, _, rate in rows if not isinstance(rate, str)}})
    print(f"## (b) prediction throughput, {len(texts)} texts, batch size "
          f"{SETTINGS['batch_size']} (load average {load_average()})\n")
    print("| predictor | texts/s | / pipeline | MFU |\n|---|---|---|---|")
    tokens = tokens_per_text(texts)
    for name, precision, rate in rows:
        if isinstance(rate, str):
            print(f"| {name} | {rate} | | |")
            continue
        used = ("" if precision is None or resolved_precision(precision, "cpu") not in peaks else
                mfu(rate, tokens, 2 * n_params, peaks[resolved_precision(precision, "cpu")]))
        print(f"| {name} | {rate:.1f} | {rate / pipeline_rate:.2f} | {used and f'{used:.1%}'} |")
    auto = next((rate for name, _, rate in rows if name.endswith("precision='auto'")), None)
    if auto is not None:
        print(f"\nskemo defaults (precision='auto': {resolved_precision('auto', 'cpu')} on "
              f"CPUs) / pipeline defaults (fp32): **{auto / pipeline_rate:.2f}x** "
              f"(goal >= 4x)\n")


def quality_table(models, precisions):
    """Test macro-F1 of saved models predicting in each precision (table (e)).

    A precision is one of ``predict_proba``'s, or ``onnx`` / ``onnx-int8``: the
    model exported by :func:`skemo.export.export_onnx` (``quantize=True`` for
    int8) and run by onnxruntime.
    """
    print("## (e) what inference precision costs: test macro-F1 of full-data models\n")
    print("| model | precision | macro-F1 (dev-tuned) | macro-F1 (0.5) | cost vs fp32 (tuned) "
          "| macro-F1 (fp32's thresholds) | decisions changed | test texts/s |\n"
          "|---|---|---|---|---|---|---|---|")
    for spec in models:
        dataset, path = spec.split("=", 1)
        dev, test = (DATASETS[dataset](split=split) for split in ("dev", "test"))
        clf = load(path)
        scores, reference = {}, None
        for precision in precisions:
            if precision.startswith("onnx"):
                directory = tempfile.TemporaryDirectory()
                predict = onnxruntime_predictor(clf, directory.name, precision == "onnx-int8")
            else:
                predict = clf.set_params(precision=precision).predict_proba
            thresholds = tune_thresholds(dev.target, predict(dev.data))
            proba, seconds = timed(predict, test.data)
            tuned, plain = (f1_score(test.target, apply_thresholds(proba, th), average="macro",
                                     zero_division=0) for th in (thresholds, 0.5))
            # The first precision (fp32) is the reference: its thresholds applied
            # to this precision's probabilities separate the precision's own cost
            # from the noise of tuning thresholds again on a small dev split.
            if reference is None:
                reference = thresholds, apply_thresholds(proba, thresholds)
            decisions = apply_thresholds(proba, reference[0])
            fixed = f1_score(test.target, decisions, average="macro", zero_division=0)
            changed = np.mean(decisions != reference[1])
            scores[precision] = tuned
            append("precision_cost", {
                "benchmark": "precision_cost", "model": f"{dataset} ({path})",
                "precision": precision, "n_dev": len(dev.data), "n_test": len(test.data),
                "metrics": {"macro_f1_retuned": tuned, "macro_f1_at_05": plain,
                            "macro_f1_fp32_thresholds": fixed,
                            "decisions_changed_fraction": float(changed)},
                "test_texts_per_s": len(test.data) / seconds})
            cost = f"{scores['fp32'] - tuned:+.4f}" if "fp32" in scores else "n/a"
            print(f"| {dataset} ({path}) | {precision} | {tuned:.4f} | {plain:.4f} | {cost} "
                  f"| {fixed:.4f} | {changed:.3%} | {len(test.data) / seconds:.0f} |", flush=True)
    print()


def gpu_table(train, epochs, seed):
    """Table (g): one full-data GoEmotions fit and prediction on CUDA in bf16."""
    dev, test = (load_goemotions(split=split) for split in ("dev", "test"))
    clf = FineTunedEmotionClassifier(max_epochs=epochs, validation_fraction=None, device="cuda",
                                     precision="bf16", label_names=train.target_names,
                                     random_state=seed, **SETTINGS)
    _, fit_s = timed(clf.fit, train.data, train.target)
    thresholds = tune_thresholds(dev.target, clf.predict_proba(dev.data))
    clf.predict_proba(test.data[:256])  # warm up
    proba, predict_s = timed(clf.predict_proba, test.data)
    macro = f1_score(test.target, apply_thresholds(proba, thresholds), average="macro",
                     zero_division=0)
    append("speed_gpu", {
        "benchmark": "speed_gpu", "dataset": "goemotions", "n_train": len(train.data),
        "epochs": epochs, "precision": "bf16", "seed": seed,
        "metrics": {"macro_f1_tuned": macro},
        "fit_texts_per_s": epochs * len(train.data) / fit_s,
        "predict_texts_per_s": len(test.data) / predict_s})
    print(f"## (g) CUDA, bf16: {torch.cuda.get_device_name()}, full GoEmotions train "
          f"({len(train.data)} texts, {epochs} epochs)\n")
    print("| fit min | fit texts/s | predict texts/s | test macro-F1 (dev-tuned) |\n"
          "|---|---|---|---|")
    print(f"| {fit_s / 60:.1f} | {epochs * len(train.data) / fit_s:.0f} "
          f"| {len(test.data) / predict_s:.0f} | {macro:.4f} |\n")


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
    append("speed_grid", {
        "benchmark": "speed_grid", "dataset": "goemotions", "n_texts": len(texts),
        "folds": folds, "grid_points": n_points, "epochs": epochs,
        "seconds": {"uncached": plain, "cached": cached}, "identical_results": identical})
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

    transformers_logging.set_verbosity_error()  # the peers' models have new, untrained heads
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
    parser.add_argument("--tables", nargs="+", default=["a", "b", "c"],
                        choices=["a", "b", "c", "e", "f", "g"],
                        help="which of tables (a)-(c), (e)-(g) to measure; (d) comes with "
                             "(a) or (b); (g) needs a CUDA GPU")
    parser.add_argument("--quality", nargs="+", default=[], metavar="DATASET=PATH",
                        help="saved models of table (e), each with the dataset it was fit on")
    parser.add_argument("--precisions", nargs="+",
                        default=["fp32", "bf16", "int8", "onnx", "onnx-int8"],
                        choices=["fp32", "bf16", "int8", "onnx", "onnx-int8"],
                        help="precisions of table (e) (onnx: skemo.export on onnxruntime)")
    parser.add_argument("--gpu-epochs", type=int, default=2, help="epochs of table (g)")
    parser.add_argument("--predictors", nargs="+", default=list(PREDICTOR_KEYS.values()),
                        choices=list(PREDICTOR_KEYS.values()),
                        help="the rows of table (b); transformers_pipeline is always run")
    args = parser.parse_args()
    if resolve_device("auto") != "cpu":
        print("Note: tables (a)-(e) measure the CPU; a GPU is visible but only (g) uses it.\n")

    train = load_goemotions(split="train")
    texts, Y, names = train.data, train.target, train.target_names
    print(f"# skemo speed benchmark  ({time.strftime('%Y-%m-%d')}, {machine()} "
          f"[{cpu_flags()}], {torch.get_num_threads()} threads, torch {torch.__version__}, "
          f"load average at start {load_average()})\n")
    throughput = "a" in args.tables or "b" in args.tables  # tables (a), (b) and (d)
    if throughput:
        # bf16 GEMMs run emulated (and slowly) on CPUs without bf16 instructions: measure
        # its peak only where a bf16 row is timed.
        timed_precisions = {"fp32", "int8"} | ({"bf16"} if "a" in args.tables or any(
            "bf16" in key for key in args.predictors) else set())
        peaks = {name: gemm_peak(name) for name in ("fp32", "bf16", "int8")
                 if name in timed_precisions}
        n_params = non_embedding_parameters()
    if "a" in args.tables:
        training_table(texts[:args.train_size], Y[:args.train_size], args.seed, n_params, peaks)
    if "b" in args.tables:
        prediction_table(texts[:args.predict_size], Y[:args.predict_size], names, args.seed,
                         n_params, peaks, {"transformers_pipeline", *args.predictors})
    if "c" in args.tables:
        grid_table(texts[:args.grid_size], Y[:args.grid_size], names, args.seed,
                   args.grid_epochs, args.folds)
    if "e" in args.tables:
        quality_table(args.quality, args.precisions)
    if "f" in args.tables:
        compile_table(texts[:args.train_size], Y[:args.train_size], args.seed)
    if "g" in args.tables:
        gpu_table(train, args.gpu_epochs, args.seed)
    if throughput:
        measured = ", ".join(f"{name} {peak / 1e12:.2f}" for name, peak in peaks.items())
        print(f"## (d) peaks\n\nGEMM peak on the CPU: {measured} TFLOP/s (int8: TOP/s of the "
              f"dynamic-quantised linear); N = {n_params / 1e6:.1f}M non-embedding parameters; "
              f"{tokens_per_text(texts[:args.predict_size]):.1f} real tokens per text; "
              f"load average at the end {load_average()}.")


if __name__ == "__main__":
    main()
