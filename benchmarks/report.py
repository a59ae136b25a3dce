"""Render the tables of benchmark records into RESULTS.md and the docs.

Reads ``benchmarks/results/*.jsonl`` (written by the benchmark scripts
through ``_records.append``) and writes each table twice: as Markdown
between ``<!-- table:NAME -->`` and ``<!-- /table:NAME -->`` in
``benchmarks/RESULTS.md``, and as a reStructuredText list-table in
``docs/_generated/NAME.rst``, which the docs include (with the learning
curves drawn in ``docs/_generated/learning_curve.png``). Tables are never
typed by hand; ``tests/test_records.py`` checks they match the records.

Usage::

    python benchmarks/report.py          # rewrite the tables
    python benchmarks/report.py --check  # exit 1 if any table is out of date
"""

import argparse
import inspect
import re
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
from _records import read

from skemo.persistence import resolved_precision

#: What ``precision="auto"`` predicts in on a CPU.
DEFAULT_CPU_PRECISION = resolved_precision("auto", "cpu")

ROOT = Path(__file__).resolve().parent.parent
RESULTS_MD = ROOT / "benchmarks" / "RESULTS.md"
GENERATED = ROOT / "docs" / "_generated"
SIZE_ORDER = ("100", "300", "1000", "3000", "full")
DATASET_NAMES = {"goemotions": "GoEmotions (28 labels, multi-label)",
                 "semeval2018_ec": "SemEval-2018 E-c (11 labels, multi-label)",
                 "emotion": "dair-ai emotion (6 classes, single-label)"}


def cell(values):
    """Mean over seeds, with the spread and the seed count when there are several."""
    if not values:
        return "--"
    if len(values) == 1:
        return f"{values[0]:.3f} (1 seed)"
    return f"{np.mean(values):.3f} ± {np.ptp(values) / 2:.3f}"


BASELINE_LEARNERS = ("logreg", "setfit")


def learner_name(record):
    """A learning-curve row's name: the learner, with any parameters it overrode."""
    params = record.get("params") or {}
    return record["learner"] + "".join(f" {k}={v}" for k, v in sorted(params.items()))


def learning_curve_records():
    """The latest learning-curve record of each (dataset, learner and its parameters,
    size, seed): a rerun, after a default changed, replaces the earlier one."""
    latest = {(r["dataset"], learner_name(r), r["size"], r["seed"]): r
              for r in read("learning_curve")}
    return list(latest.values())


def setfit_cost(runs):
    """SetFit's fit time (median over seeds) and steps, to read beside its score."""
    seconds = np.median([r["fit_seconds"] for r in runs])
    steps = [r["steps"] for r in runs if "steps" in r]
    shared = any(r["cores_shared"] for r in runs)
    return (f"; fit {seconds:,.0f} s" + (f", {int(np.median(steps)):,} steps" if steps else "")
            + (", cores shared" if shared else ""))


def learning_curve_rows():
    """Per dataset: learners' mean macro-F1 at each n, the best skemo setting, and a
    table of the targets (the default fine-tuned estimator against each baseline)."""
    records = learning_curve_records()
    by_key = defaultdict(list)
    devices, shared = set(), False
    for r in records:
        by_key[(r["dataset"], learner_name(r), r["size"])].append(r)
        devices.add(r["device"])
        shared |= r["cores_shared"]

    def mean(dataset, learner, size):
        runs = by_key.get((dataset, learner, size), [])
        return np.mean([r["metrics"]["macro_f1"] for r in runs]) if runs else None

    tables, targets = [], []
    for dataset in DATASET_NAMES:
        sizes = [s for s in SIZE_ORDER if any(k[0] == dataset and k[2] == s for k in by_key)]
        learners = sorted({k[1] for k in by_key if k[0] == dataset},
                          key=lambda name: (name in BASELINE_LEARNERS, name))
        if not sizes:
            continue
        rows = []
        for learner in learners:
            cells, worst = [], 0.0
            for size in sizes:
                runs = by_key.get((dataset, learner, size), [])
                cells.append(cell([r["metrics"]["macro_f1"] for r in runs])
                             + (setfit_cost(runs) if learner == "setfit" and runs else ""))
                worst = max([worst] + [r["metrics"]["max_rate_over_prevalence"] for r in runs])
            rows.append([learner, *cells, f"{worst:.1f}"])
        best = []
        for size in sizes:
            scored = [(mean(dataset, name, size), name) for name in learners
                      if name not in BASELINE_LEARNERS and mean(dataset, name, size) is not None]
            best.append(f"{max(scored)[0]:.3f} ({max(scored)[1]})" if scored else "--")
        rows.append(["best skemo setting", *best, ""])
        header = ["learner", *[f"n = {s}" for s in sizes], "max rate / prevalence"]
        tables.append((DATASET_NAMES[dataset], header, rows))
        for size in sizes:
            skemo_names = [n for n in learners if n not in BASELINE_LEARNERS and "=" not in n]
            ours = (mean(dataset, "finetuned", size) if size != "100" else
                    max([m for m in (mean(dataset, n, size) for n in skemo_names)
                         if m is not None], default=None))
            for baseline in BASELINE_LEARNERS:
                theirs = mean(dataset, baseline, size)
                if baseline == "setfit" and size == "full":
                    continue  # SetFit's pairs grow with n squared; not run there
                if baseline == "setfit" and size in ("1000", "3000") and theirs is None:
                    status_text = ("not run: its default pairs grow with n squared, hours "
                                   "to days per fit on 2 CPU cores")
                elif ours is None or theirs is None:
                    status_text = "not measured"
                else:
                    status_text = ("**met**" if ours >= theirs
                                   else f"missed by {theirs - ours:.3f}")
                targets.append([DATASET_NAMES[dataset].split(" (")[0], size,
                                "best skemo default" if size == "100" else "finetuned",
                                "--" if ours is None else f"{ours:.3f}", baseline,
                                "--" if theirs is None else f"{theirs:.3f}", status_text])
        defaults = [r for r in records if r["dataset"] == dataset and not r.get("params")
                    and r["learner"] not in BASELINE_LEARNERS]
        if defaults:
            worst = max(defaults, key=lambda r: r["metrics"]["max_rate_over_prevalence"])
            ratio = worst["metrics"]["max_rate_over_prevalence"]
            targets.append([DATASET_NAMES[dataset].split(" (")[0], "all", "every default fit",
                            f"{ratio:.2f}x", "a label's test prevalence", "3x",
                            "**met**" if ratio <= 3 else
                            f"missed: {worst['learner']} at n = {worst['size']}, seed "
                            f"{worst['seed']}"])
        full = mean(dataset, "finetuned", "full")
        reference = _mean(dataset, "finetuned",
                          "macro_f1" if dataset == "emotion" else "macro_f1_tuned")
        if full is not None or not np.isnan(reference):
            drop = None if full is None or np.isnan(reference) else reference - full
            targets.append([DATASET_NAMES[dataset].split(" (")[0], "full", "finetuned",
                            "--" if full is None else f"{full:.3f}",
                            "the methods table's finetuned row (thresholds tuned on dev)",
                            "--" if np.isnan(reference) else f"{reference:.3f}",
                            "not measured" if drop is None else
                            "**met**" if drop <= 0.005 else f"missed: {drop:.4f} lower"])
    if targets:
        tables.append(("Targets: skemo at its defaults against each baseline (means over "
                       "seeds), and the largest predicted rate of a label over its test "
                       "prevalence",
                       ["data", "n", "skemo", "figure", "against", "figure", "status"],
                       targets))
    note = (f"Test macro-F1, mean ± half the range over seeds. \"best skemo setting\" is the "
            f"skemo row with the highest mean at that n. Measured on "
            f"{'; '.join(sorted(devices))}, 2 threads"
            f"{', the cores shared with other jobs' if shared else ''}.")
    return tables, note


def threshold_shrinkage_rows():
    """Test macro-F1 of thresholds tuned on n dev texts, per prior strength k."""
    records = read("threshold_shrinkage")
    latest = {(r["n_dev"], r["prior_strength"]): r for r in records}
    sizes = sorted({n for n, _ in latest})
    strengths = sorted({k for _, k in latest})
    rows = [[f"{n:,}", *[f"{latest[(n, k)]['metrics']['macro_f1_mean']:.4f}"
                         if (n, k) in latest else "--" for k in strengths]] for n in sizes]
    header = ["dev texts tuned on", *[f"k = {k:g}" + (" (unshrunk)" if k == 0 else "")
                                      for k in strengths]]
    devices = sorted({r["device"] for r in records})
    note = ("Bundled GoEmotions model (fp32 probabilities), thresholds tuned on random "
            "subsets of the dev split (mean over 8 draws; one for the whole split), test "
            f"macro-F1 on the full test split. Measured on {'; '.join(devices)}.")
    return ([("Threshold shrinkage, prior strength k", header, rows)] if rows else []), note


# -- methods side by side -------------------------------------------------------
FULL_EPOCHS = {"semeval2018_ec": 3, "goemotions": 2, "taco_goemotions": 2, "emotion": 2}
MULTI_LABEL = {"macro_f1_at_05": "macro-F1 @0.5", "macro_f1_tuned": "macro-F1 tuned",
               "micro_f1_tuned": "micro-F1 tuned",
               "rare_macro_f1_tuned": "rare-label macro-F1 tuned"}
SINGLE_LABEL = {"accuracy": "accuracy", "weighted_f1": "weighted-F1", "macro_f1": "macro-F1"}
METHOD_DATASETS = {"semeval2018_ec": "SemEval-2018 E-c (11 labels, multi-label)",
                   "goemotions": "GoEmotions (28 labels, multi-label)",
                   "taco_goemotions": "TACO GE-27 (27 classes, single-label)",
                   "emotion": "dair-ai emotion (6 classes, single-label)"}


def variant_name(record):
    """The row name of a methods record: its variant, and the parameters it sets."""
    implied = record["variant"] != record["method"]
    params = "" if implied or not record["params"] else " (" + ", ".join(
        f"{k}={v}" for k, v in record["params"].items()) + ")"
    return record["variant"] + params


def method_runs(dataset):
    """{row name: {seed: latest record}} of fp32-trained runs on the full training split
    at the full budget of ``dataset``."""
    records = [r for r in read("methods") if r["dataset"] == dataset]
    full = max((r["n_train"] for r in records), default=0)
    runs = defaultdict(dict)
    for r in records:
        if (r["train_precision"] == "fp32" and r["n_train"] == full
                and r["epochs"] == FULL_EPOCHS[dataset]):
            runs[variant_name(r)][r["seed"]] = r
    return runs


def at_defaults(record):
    """Whether a methods record ran its estimator at the defaults (its ``params`` set
    nothing but default values)."""
    from skemo.methods import METHODS as ESTIMATORS

    if record["variant"] != record["method"]:
        return False
    defaults = inspect.signature(ESTIMATORS[record["method"]]).parameters
    return all(k in defaults and defaults[k].default == v for k, v in record["params"].items())


def methods_rows():
    """Per dataset: mean ± half-range over seeds of each method's test metrics."""
    tables = []
    for dataset, title in METHOD_DATASETS.items():
        runs = method_runs(dataset)
        if not runs:
            continue
        columns = MULTI_LABEL if dataset in ("semeval2018_ec", "goemotions") else SINGLE_LABEL
        rows = []
        for name, seeds in sorted(runs.items(), key=lambda item: (item[0] != "finetuned", item[0])):
            rows.append([name, ", ".join(str(s) for s in sorted(seeds)),
                         *[cell([r["metrics"][c] for r in seeds.values()]) for c in columns]])
        n_train = next(iter(next(iter(runs.values())).values()))["n_train"]
        tables.append((f"{title}: {n_train:,} training texts, {FULL_EPOCHS[dataset]} epochs",
                       ["method", "seeds", *columns.values()], rows))
    records = read("methods")
    devices = sorted({r["device"] for r in records})
    note = ("Test metrics of every method trained on the full training split (fp32 "
            "training, offline all-MiniLM-L6-v2, max_length 64, each estimator's own batch "
            "size), mean ± half the range over the seeds listed; thresholds tuned on the "
            "dev split where the column says so; \"rare-label\" is the quarter of labels "
            "with the fewest training positives. Measured on " + "; ".join(devices) + ", "
            "2 threads.")
    return tables, note


def _runs(dataset, variant, params=None):
    """{seed: metrics} of the full-data runs of one method."""
    for name, seeds in method_runs(dataset).items():
        record = next(iter(seeds.values()))
        if record["variant"] == variant and (params is None or record["params"] == params):
            return {seed: r["metrics"] for seed, r in seeds.items()}
    return {}


#: (claim, paper, dataset, metric, (variant, params) claimed better, compared with).
CLAIMS = (
    ("dual objective beats similarity alone", "Dual", "semeval2018_ec", "macro_f1_tuned",
     ("dual_objective", None), ("similarity", None)),
    ("dual objective beats the fine-tuned baseline", "Dual", "semeval2018_ec",
     "macro_f1_tuned", ("dual_objective", {}), ("finetuned", None)),
    ("dual objective beats the fine-tuned baseline", "Dual", "goemotions", "macro_f1_tuned",
     ("dual_objective", {}), ("finetuned", None)),
    ("TACO beats plain cross-entropy", "TACO", "taco_goemotions", "macro_f1",
     ("taco", None), ("finetuned", None)),
    ("TACO beats plain cross-entropy", "TACO", "semeval2018_ec", "macro_f1_tuned",
     ("taco", None), ("finetuned", None)),
    ("TACO beats plain cross-entropy", "TACO", "emotion", "weighted_f1",
     ("taco", None), ("finetuned", {})),
    ("valence and intensity heads beat the baseline", "CMHL", "semeval2018_ec",
     "macro_f1_tuned", ("multihead_valence", {}), ("finetuned", None)),
    ("valence and intensity heads beat the baseline", "CMHL", "emotion", "weighted_f1",
     ("multihead_valence", {}), ("finetuned", {})),
    ("the exclusivity loss helps", "CMHL", "emotion", "weighted_f1",
     ("multihead_valence", {}), ("multihead_valence-no-exclusivity", None)),
    ("definition modelling helps rare labels", "definitions", "goemotions",
     "rare_macro_f1_tuned", ("definition_auxiliary", {"aux_weight": 0.5}), ("finetuned", None)),
)
METRIC_NAMES = {**MULTI_LABEL, **SINGLE_LABEL}


def verdict(ours, theirs, level=0.001):
    """Compare two methods seed by seed: reproduced only when ahead at every seed.

    Differences within ``level`` (the rounding of the figures) count as level.
    """
    seeds = sorted(set(ours) & set(theirs))
    diffs = [ours[s] - theirs[s] for s in seeds]
    ahead = sum(d > level + 1e-9 for d in diffs)
    behind = sum(d < -level - 1e-9 for d in diffs)
    if len(seeds) == 1:
        return "one seed: " + ("ahead" if ahead else "behind" if behind else "level")
    if ahead == len(seeds):
        return f"**reproduced**: ahead at all {len(seeds)} seeds"
    if ahead == 0:
        return f"not reproduced: behind at {behind} of {len(seeds)} seeds, level at the others"
    return f"tie: ahead at {ahead} of {len(seeds)} seeds, behind at {behind}"


def claims_rows():
    """Each paper claim against the records: means over seeds and a per-seed verdict."""
    rows = []
    for claim, paper, dataset, metric, (a, pa), (b, pb) in CLAIMS:
        ours = {s: m[metric] for s, m in _runs(dataset, a, pa).items()}
        theirs = {s: m[metric] for s, m in _runs(dataset, b, pb).items()}
        if not ours or not theirs:
            continue
        rows.append([claim, paper, METHOD_DATASETS[dataset].split(" (")[0],
                     METRIC_NAMES[metric], f"{a}: {cell(list(ours.values()))}",
                     f"{b}: {cell(list(theirs.values()))}",
                     f"{np.mean(list(ours.values())) - np.mean(list(theirs.values())):+.4f}",
                     verdict(ours, theirs)])
    header = ["claim", "paper", "data set", "metric", "method", "compared with",
              "difference of means", "verdict"]
    note = ("The papers' claims, tested on the full training sets of the methods table "
            "(same seeds, same budget): a claim is reproduced when the method is ahead at "
            "every seed.")
    return [("The papers' claims", header, rows)], note


def best_mean(dataset, metric):
    """(row name, mean) of the best method on a dataset, methods at their defaults."""
    best = None
    for name, seeds in method_runs(dataset).items():
        if not at_defaults(next(iter(seeds.values()))):
            continue
        mean = np.mean([r["metrics"][metric] for r in seeds.values()])
        if best is None or mean > best[1]:
            best = (f"{name} ({len(seeds)} seeds)", mean)
    return best


def status(value, target):
    return "**met**" if value >= target else f"missed by {target - value:.4f}"


def targets_rows():
    """The quality and speed targets, each with its best measured figure."""
    rows = []
    for title, dataset, metric, target in (
            ("SemEval-2018 E-c macro-F1, best method", "semeval2018_ec", "macro_f1_tuned", 0.61),
            ("TACO GE-27 macro-F1, best method", "taco_goemotions", "macro_f1", 0.59),
            ("dair-ai emotion weighted-F1, best method", "emotion", "weighted_f1", 0.9375),
            ("GoEmotions macro-F1, best method (2 epochs)", "goemotions", "macro_f1_tuned", 0.54)):
        found = best_mean(dataset, metric)
        if found:
            name, mean = found
            rows.append([title, f">= {target}", f"{mean:.4f}, {name}", status(mean, target)])
    bundle = read("pretrained")
    if bundle:
        auto = default_bundle_figures(bundle[-1])
        tuned = "bundled GoEmotions model, macro-F1 at its tuned thresholds"
        for title, key, target in ((tuned, "macro_f1_tuned", 0.50),
                                   ("bundled GoEmotions model, micro-F1 at 0.5",
                                    "micro_f1_at_05", 0.585),
                                   (tuned, "macro_f1_tuned", 0.54)):
            rows.append([title, f">= {target}",
                         f"{auto[key]:.4f} (precision '{DEFAULT_CPU_PRECISION}', the default)",
                         status(auto[key], target)])
    default = predict_ratios().get("skemo_auto")
    if default:
        low = min(default)
        rows.append(["predict_proba at defaults / transformers pipeline (CPU), every run",
                     ">= 4x", f"{low:.2f}x in the slowest of {len(default)} runs "
                     f"(median {np.median(default):.2f}x)",
                     "**met**" if low >= 4 else f"missed by {4 - low:.2f}x"])
    for r in read("speed_fit"):
        t = r["texts_per_s"]
        rows.append([f"skemo fit / hand-written loop, {r['precision']}", ">= 1.0x",
                     f"{t['skemo_fit'] / t['hand_written']:.2f}x",
                     "**met**" if t["skemo_fit"] >= t["hand_written"] else "missed"])
        rows.append([f"skemo fit / transformers Trainer, {r['precision']}", ">= 1.2x",
                     f"{t['skemo_fit'] / t['transformers_trainer']:.2f}x",
                     "**met**" if t["skemo_fit"] >= 1.2 * t["transformers_trainer"] else "missed"])
    fit = {r["precision"]: r["texts_per_s"]["skemo_fit"] for r in read("speed_fit")}
    if {"fp32", "bf16"} <= fit.keys():
        ratio = fit["bf16"] / fit["fp32"]
        rows.append(["bf16 training / fp32 training (CPU)", ">= 1.5x", f"{ratio:.2f}x",
                     "**met**" if ratio >= 1.5 else "missed: CPUs train in fp32"])
    for r in read("speed_grid"):
        ratio = r["seconds"]["uncached"] / r["seconds"]["cached"]
        rows.append(["grid search with cached frozen embeddings / uncached", ">= 5x",
                     f"{ratio:.2f}x", "**met**" if ratio >= 5 else "missed"])
    gpu = [r for records in map(read, ("speed_predict", "speed_fit")) for r in records
           if "GPU" in r["device"] or "NVIDIA" in r["device"]]
    if not gpu:
        rows.append(["any figure on a GPU", "measured", "no record", "not yet measured"])
    note = ("Targets of the project, each against the records: quality means over seeds "
            "of the full-data runs; speed from the runs of the speed tables.")
    return [("Targets", ["target", "goal", "best measured", "status"], rows)], note


# -- few-shot, speed, bundled model ------------------------------------------------
def few_shot_rows():
    """Mean test macro-F1 and fit time per budget, K and learner, against SetFit's."""
    groups = defaultdict(list)
    for r in read("few_shot"):
        budget = "SetFit" if r["learner"] == "setfit" else r["budget"]
        groups[(r["date"][:16], r["shots"], r["learner"], budget)].append(r)
    rows = []
    for (date, shots, learner, budget), runs in sorted(groups.items(),
                                                        key=lambda kv: (kv[0][0], kv[0][1])):
        setfit = groups[(date, shots, "setfit", "SetFit")]
        setfit_s = np.mean([r["fit_seconds"] for r in setfit])
        seconds = np.mean([r["fit_seconds"] for r in runs])
        rows.append([str(shots), learner if learner == "setfit" else f"skemo {learner}",
                     budget if learner != "setfit" else "num_iterations 20, 1 epoch",
                     ", ".join(str(r["seed"]) for r in runs),
                     cell([r["metrics"]["macro_f1"] for r in runs]), f"{seconds:.0f}",
                     f"{seconds / setfit_s:.2f}"])
    devices = sorted({r["device"] for r in read("few_shot")})
    note = ("dair-ai emotion, K training texts per label (6 labels), test macro-F1 on the "
            "full test split (2000 texts), mean ± half the range over seeds; SetFit on the "
            "same all-MiniLM-L6-v2 body; skemo at batch 16, lr 1e-4, head_lr 1e-3. Measured "
            f"on {'; '.join(devices)}, 2 threads.")
    header = ["K per label", "learner", "budget", "seeds", "test macro-F1", "fit s",
              "fit time / SetFit's"]
    return [("Few-shot against SetFit", header, rows)], note


PREDICTORS = {"transformers_pipeline": "transformers pipeline (fp32 defaults)",
              "sentence_transformers_torch": "sentence-transformers encode + linear head",
              "skemo_fp32": "skemo predict_proba, precision='fp32'",
              "skemo_bf16": "skemo predict_proba, precision='bf16'",
              "skemo_int8_batched": "skemo predict_proba, int8, whole batches quantised "
                                    "together (before 2026-12-07)",
              "skemo_auto_int8_batched": "skemo predict_proba, precision='auto' when it was "
                                         "int8 on whole batches (before 2026-12-07)",
              "skemo_int8_alone": "skemo predict_proba, precision='int8' (text by text)",
              "skemo_auto": "skemo predict_proba, precision='auto' (the default: fp32)",
              "skemo_onnx_fp32": "exported graph on onnxruntime, fp32",
              "skemo_onnx_int8": "exported graph on onnxruntime, int8",
              "sentence_transformers_onnx": "sentence-transformers, ONNX backend",
              "sentence_transformers_onnx_fp32": "sentence-transformers, ONNX backend, fp32",
              "sentence_transformers_onnx_int8": "sentence-transformers, ONNX backend, int8"}


#: From this record date on, ``precision="auto"`` predicted in fp32 on CPUs.
AUTO_FP32_SINCE = "2026-12-07T19:30"
#: From this record date on, ``precision="int8"`` ran each text alone (before, it
#: quantised whole batches together, so a text's scores depended on its batch).
INT8_TEXT_BY_TEXT_SINCE = "2026-12-07T16:43"


def default_bundle_figures(record):
    """The bundled model's test figures in the precision it predicts in by default on a CPU."""
    figures = record["metrics"]
    return next(m for key, m in figures.items()
                if m.get("precision", key) == DEFAULT_CPU_PRECISION)


def predictor_rates(record):
    """{row key: texts/s} of one speed record, each measured predictor under the row of
    what it ran: "auto" where it meant int8 joins the int8 rows, and int8 rows are split
    by whether whole batches were quantised together or each text ran alone."""
    alone = record["date"] >= INT8_TEXT_BY_TEXT_SINCE
    meant = record.get("auto_precision", "int8")
    rates = {}
    for key, rate in record["texts_per_s"].items():
        if key == "skemo_auto" and meant != DEFAULT_CPU_PRECISION:
            if meant == "int8" and not alone:
                key = "skemo_auto_int8_batched"
            else:
                key = f"skemo_{meant}"
                if key in record["texts_per_s"]:
                    continue  # measured under its own name in the same run
        if key == "skemo_int8":
            key = "skemo_int8_alone" if alone else "skemo_int8_batched"
        rates[key] = rate
    return rates


def predict_ratios(name="speed_predict"):
    """{row key: [texts/s over the pipeline's, one per run]} (see :func:`predictor_rates`)."""
    ratios = defaultdict(list)
    for r in read(name):
        rates = predictor_rates(r)
        for key, rate in rates.items():
            ratios[key].append(rate / rates["transformers_pipeline"])
    return ratios


def speed_rows():
    """Prediction throughput over the transformers pipeline, and fit throughput."""
    tables = []
    for name, title in (("speed_predict", "Prediction on CPU, 2000 GoEmotions texts"),
                        ("speed_predict_peers", "sentence-transformers on onnxruntime, same "
                                                "texts, its own environment")):
        ratios = predict_ratios(name)
        rates = defaultdict(list)
        for r in read(name):
            for key, rate in predictor_rates(r).items():
                rates[key].append(rate)
        rows = [[PREDICTORS[key], f"{np.median(rates[key]):.0f}",
                 f"{np.median(values):.2f}x",
                 f"{min(values):.2f}-{max(values):.2f}x" if len(values) > 1 else "--",
                 str(len(values))] for key, values in ratios.items()]
        if rows:
            tables.append((title, ["predictor", "texts/s (median)", "/ pipeline (median)",
                                   "range over runs", "runs"], rows))
    fit_rows = [[r["precision"], *[f"{r['texts_per_s'][k]:.1f}" for k in
                                   ("hand_written", "transformers_trainer", "skemo_fit")]]
                for r in read("speed_fit")]
    if fit_rows:
        tables.append(("Training on CPU, 800 GoEmotions texts, one epoch",
                       ["precision", "hand-written loop texts/s", "transformers Trainer "
                        "texts/s", "skemo fit texts/s"], fit_rows))
    devices = sorted({r["device"] for n in ("speed_predict", "speed_predict_peers", "speed_fit")
                      for r in read(n)})
    gpu = any("NVIDIA" in d or "GPU" in d for d in devices)
    note = ("Batch 32, max_length 64, predictors interleaved, best of 3 rounds per run; "
            "shared virtual CPUs vary from run to run, so the ratios to the pipeline of the "
            f"same run are the figures to read. Measured on {'; '.join(devices)}, 2 threads."
            + ("" if gpu else " No GPU figure has been measured yet."))
    return tables, note


def precision_cost_rows():
    """Test macro-F1 of the same weights predicting in each precision."""
    rows, fp32 = [], {}
    for r in read("precision_cost"):
        m = r["metrics"]
        if r["precision"] == "fp32":
            fp32[r["model"]] = m["macro_f1_fp32_thresholds"]
        cost = fp32.get(r["model"], np.nan) - m["macro_f1_fp32_thresholds"]
        changed = m.get("decisions_changed_fraction")
        rows.append([r["model"], r["precision"], f"{m['macro_f1_fp32_thresholds']:.4f}",
                     "--" if r["precision"] == "fp32" else f"{cost:+.4f}",
                     f"{m['macro_f1_retuned']:.4f}", f"{m['macro_f1_at_05']:.4f}",
                     f"{100 * changed:.2f}%" if changed is not None else "--"])
    header = ["model", "precision", "macro-F1, fp32's thresholds", "cost against fp32",
              "macro-F1, re-tuned", "macro-F1 @0.5", "test decisions changed"]
    devices = sorted({r["device"] for r in read("precision_cost")})
    note = ("Full-data models predicting the test split in each precision; fit tunes the "
            "thresholds on fp32 probabilities where prediction is int8 (first column). "
            f"Measured on {'; '.join(devices)}.")
    return [("What the prediction precision costs", header, rows)], note


def batch_independence_rows():
    """A text's probabilities alone against in a batch of 64, per prediction precision."""
    records = read("batch_independence")
    latest = {r["precision"]: r for r in records}
    rows = []
    for precision, r in latest.items():
        m = r["metrics"]
        # "auto" on a CPU ran the int8 encoder text by text until it became fp32
        label = ("auto (then int8, text by text)" if precision == "auto"
                 and r["date"] < AUTO_FP32_SINCE else precision)
        rows.append([label, f"{m['max_abs_difference']:.2g}",
                     f"{m['flipped_decisions']} of {m['decisions']}",
                     f"{m['macro_f1_tuned']:.4f}" if "macro_f1_tuned" in m else "--"])
    header = ["prediction precision", "largest difference in probability",
              "decisions that differ", "test macro-F1 (tuned thresholds)"]
    devices = sorted({r["device"] for r in records})
    note = ("Bundled GoEmotions model: 16 test texts scored alone and inside a batch of 64 "
            "other test texts; macro-F1 on the full test split (5,427 texts). "
            + (f"Measured on {'; '.join(devices)}, 2 threads." if devices
               else "No measurements recorded yet."))
    return ([("Scores alone and in a batch", header, rows)] if rows else []), note


def serve_load_rows():
    """The model server under load: latency, throughput, errors, answers as offline."""
    records = read("serve_load")
    rows = []
    for r in records:
        m = r["metrics"]
        # before the precision was recorded, the CPU default ran the int8 encoder
        precision = r.get("precision", "int8, text by text")
        rows.append([r["model"], precision, f"{r['clients']}", f"{r['requests_answered']:,}",
                     f"{m['p50_ms']:.0f} ms", f"{m['p99_ms']:.0f} ms",
                     f"{m['requests_per_s']:.1f}", f"{m['errors']}", f"{m['mismatches']}",
                     f"{m.get('last_digit_differences', '--')}",
                     f"{r['device']}{', cores shared' if r['cores_shared'] else ''}"])
    header = ["model", "precision", "clients", "requests", "p50", "p99", "requests/s", "errors",
              "answers unlike offline predict", "answers differing in a 4th decimal only",
              "CPU"]
    note = ("benchmarks/serve_load.py: skemo serve on loopback (batches of up to 32 texts, "
            "5 ms wait), one text per request, each answer compared with skemo predict's "
            "for the same text alone: labels exactly, probabilities and scores (4 decimals) "
            "to one unit of the last digit, which float32 rounding in a batch can move; "
            "records without the last column counted any difference as a mismatch; "
            "2 threads.")
    return ([("skemo serve under load", header, rows)] if rows else []), note


def pretrained_rows():
    """The bundled GoEmotions model as shipped (the latest record)."""
    records = read("pretrained")
    if not records:
        return [], ""
    r = records[-1]
    rows = []
    for precision, m in r["metrics"].items():
        label = f"auto ({m['precision']})" if precision == "auto" else precision
        rows.append([label, f"{m['micro_f1_at_05']:.4f}", f"{m['macro_f1_at_05']:.4f}",
                     f"{m['micro_f1_tuned']:.4f}", f"{m['macro_f1_tuned']:.4f}"])
    header = ["prediction precision", "micro-F1 @0.5", "macro-F1 @0.5", "micro-F1 tuned",
              "macro-F1 tuned"]
    p = r["params"]
    note = (f"skemo.pretrained(\"goemotions\"): FineTunedEmotionClassifier with LoRA "
            f"(lora_r={p['lora_r']}, lora_alpha={p['lora_alpha']}) on all-MiniLM-L6-v2, "
            f"{p['max_epochs']} epochs on the {r['n_train']:,} GoEmotions training texts, "
            f"thresholds tuned on the {r['n_dev']:,} dev texts; test split "
            f"({r['n_test']:,} texts). Measured on {r['device']}.")
    return [("Bundled GoEmotions model, test split", header, rows)], note


def open_vocabulary_rows():
    """Ranking AUC of a label held out of training, scored from its description."""
    rows = [[r["method"], f"{r['metrics']['ranking_auc']:.3f}"] for r in read("open_vocabulary")]
    note = ("GoEmotions, 2000 training texts without 'gratitude', 2 epochs; 'gratitude' "
            "scored on 1000 test texts from its description alone.")
    return [("Open vocabulary", ["method", "test ranking AUC"], rows)], note



# -- the method-choice table of the docs ------------------------------------------
def _mean(dataset, variant, metric, params=None):
    runs = _runs(dataset, variant, params)
    return np.mean([m[metric] for m in runs.values()]) if runs else np.nan


def _time_factor(dataset, variant, params=None):
    """Training time of a method over the baseline's, from their training texts/s."""
    def rate(name, p):
        for row, seeds in method_runs(dataset).items():
            record = next(iter(seeds.values()))
            if record["variant"] == name and (p is None or record["params"] == p):
                return np.mean([r["train_texts_per_s"] for r in seeds.values()
                                if "train_texts_per_s" in r] or [np.nan])
        return np.nan
    return rate("finetuned", {}) / rate(variant, params)


def choosing_rows():
    """The decision table of docs/user_guide/choosing.rst, each row with its evidence."""
    rows = []
    bundle = read("pretrained")
    if bundle:
        auto = default_bundle_figures(bundle[-1])
        rows.append(["the 28 GoEmotions emotions suit your texts", "none", "no training",
                     "``skemo.pretrained(\"goemotions\")``",
                     f"test macro-F1 {auto['macro_f1_tuned']:.4f}, micro-F1 "
                     f"{auto['micro_f1_at_05']:.4f} at 0.5 (:ref:`bundled-model`)"])
    curve = defaultdict(list)
    for r in learning_curve_records():
        if r["size"] == "100" and not r.get("params"):
            curve[(r["dataset"], r["learner"])].append(r["metrics"]["macro_f1"])
    if curve[("semeval2018_ec", "similarity")] and curve[("semeval2018_ec", "finetuned")]:
        places = (("semeval2018_ec", "SemEval"), ("goemotions", "GoEmotions"),
                  ("emotion", "dair-ai emotion"))
        figures = ", ".join(
            f"{np.mean(curve[(d, 'similarity')]):.3f} against "
            f"{np.mean(curve[(d, 'finetuned')]):.3f} on {name}" for d, name in places
            if curve[(d, "similarity")] and curve[(d, "finetuned")])
        rows.append(["your own labels, multi- or single-label", "about 100 texts",
                     "a few minutes on a CPU",
                     ":class:`~skemo.SimilarityEmotionClassifier` at its defaults",
                     f"test macro-F1 at n = 100 {figures} for the fine-tuned baseline "
                     "(:doc:`own_data`)"])
    sem = _mean("semeval2018_ec", "finetuned", "macro_f1_tuned")
    go = _mean("goemotions", "finetuned", "macro_f1_tuned")
    rows.append(["multi-label, your own labels (GoEmotions-28 included)",
                 "about 300 texts and up", "any",
                 ":class:`~skemo.FineTunedEmotionClassifier` at its defaults",
                 f"tuned macro-F1 {sem:.3f} on SemEval, {go:.3f} on GoEmotions; no paper "
                 "method ahead of it at every seed on multi-label data (:ref:`claims`)"])
    mh = _mean("semeval2018_ec", "multihead_valence", "macro_f1_tuned", {})
    rows.append(["multi-label, and you also want valence and intensity",
                 "thousands of texts", "any",
                 ":class:`~skemo.MultiHeadValenceClassifier`",
                 f"ties the baseline on SemEval ({mh:.3f} against {sem:.3f}; :ref:`claims`)"])
    aux = {"aux_weight": 0.5}
    rare = _mean("goemotions", "definition_auxiliary", "rare_macro_f1_tuned", aux)
    base_rare = _mean("goemotions", "finetuned", "rare_macro_f1_tuned")
    factor = _time_factor("goemotions", "definition_auxiliary", aux)
    rows.append(["multi-label, rare labels matter and have good definitions",
                 "thousands of texts", f"about {factor:.1f}x the baseline's training time",
                 ":class:`~skemo.DefinitionAuxiliaryClassifier`",
                 f"rarest quarter of GoEmotions' labels {rare:.3f} against {base_rare:.3f}, "
                 "within the seed spread (:ref:`claims`)"])
    taco = _mean("taco_goemotions", "taco", "macro_f1")
    ce = _mean("taco_goemotions", "finetuned", "macro_f1")
    rows.append(["single-label, many confusable emotions", "thousands of texts",
                 "not compared like for like",
                 ":class:`~skemo.TACOClassifier`",
                 f"macro-F1 {taco:.3f} against {ce:.3f} on TACO GE-27, ahead at every seed "
                 "(:ref:`claims`); not measured on multi-label GoEmotions-28"])
    wf = _mean("emotion", "finetuned", "weighted_f1", {})
    t32 = _mean("emotion", "taco-batch32", "weighted_f1")
    rows.append(["single-label, a few coarse emotions", "thousands of texts", "any",
                 ":class:`~skemo.FineTunedEmotionClassifier` (TACO only with "
                 "``batch_size=32``)",
                 f"dair-ai emotion weighted-F1 {wf:.3f}; TACO at batch 32 {t32:.3f} "
                 "(:ref:`methods-table`)"])
    shots = defaultdict(list)
    for r in read("few_shot"):
        if r["budget"] in ("15 epochs", "setfit defaults, num_iterations=20") and \
                r["date"] >= "2026-12-02T17":
            shots[(r["shots"], r["learner"])].append(r["metrics"]["macro_f1"])
    if shots:
        rows.append(["single-label, a handful of texts per label", "8 per label",
                     "seconds to a minute on a CPU",
                     ":class:`~skemo.SimilarityEmotionClassifier`, ``max_epochs=15``",
                     f"macro-F1 {np.mean(shots[(8, 'similarity')]):.3f} against SetFit's "
                     f"{np.mean(shots[(8, 'setfit')]):.3f} in a fifth of its time "
                     "(:ref:`few-shot`)"])
        rows.append(["single-label, a few dozen texts per label", "32 per label",
                     "a minute on a CPU", ":class:`~skemo.TACOClassifier`, ``max_epochs=15``",
                     f"macro-F1 {np.mean(shots[(32, 'taco')]):.3f} against SetFit's "
                     f"{np.mean(shots[(32, 'setfit')]):.3f}, behind at one of two seeds "
                     "(:ref:`few-shot`)"])
    auc = {r["method"]: r["metrics"]["ranking_auc"] for r in read("open_vocabulary")}
    if auc:
        rows.append(["labels that arrive after training", "any", "any",
                     ":class:`~skemo.SimilarityEmotionClassifier`",
                     f"ranking AUC {auc['similarity']:.3f} on a label held out of training "
                     "(:ref:`open-vocabulary`)"])
    ratios = predict_ratios()
    if ratios.get("skemo_auto") and ratios.get("skemo_onnx_int8"):
        rows.append(["any", "any", "fast CPU prediction", "any method; ``precision=\"auto\"`` "
                     "(the default) or :func:`skemo.export.export_onnx`",
                     f"{np.median(ratios['skemo_auto']):.2f}x the transformers pipeline "
                     f"(median), {np.median(ratios['skemo_onnx_int8']):.2f}x exported "
                     "(:doc:`gpu`)"])
    for r in read("speed_grid")[-1:]:
        rows.append(["any", "any", "many fits (a grid search)",
                     "``freeze_encoder=True`` with ``cache_dir``",
                     f"{r['seconds']['uncached'] / r['seconds']['cached']:.2f}x faster, "
                     "identical results (:doc:`gpu`)"])
    header = ["task", "labelled data", "speed budget", "choose", "evidence"]
    note = ("Each recommendation with the records behind it; the tables below hold every "
            "figure.")
    return [("Which method", header, rows)], note


ENSEMBLE_METRICS = {"macro_f1": "macro-F1 (tuned on dev)", "micro_f1": "micro-F1 (tuned)",
                    "micro_f1_at_0.5": "micro-F1 @0.5", "jaccard_accuracy": "Jaccard accuracy",
                    "accuracy": "accuracy"}
ENSEMBLE_TARGETS = {
    "semeval2018_ec": (("ensemble-5", "macro_f1", 0.61, "ensemble of 5, macro-F1"),
                       ("distilled", "macro_f1", 0.60, "distilled MiniLM macro-F1"),
                       ("distilled", "jaccard_accuracy", 0.601,
                        "distilled MiniLM Jaccard accuracy (SpanEmo's)")),
    "goemotions": (("distilled", "macro_f1", 0.56, "distilled MiniLM macro-F1"),
                   ("distilled", "micro_f1_at_0.5", 0.61, "distilled MiniLM micro-F1 at 0.5")),
}


def ensemble_rows():
    """Members, ensembles and the distilled MiniLM on full data, means over seeds."""
    records = read("ensemble")
    tables = []
    for dataset, title in DATASET_NAMES.items():
        runs = [r for r in records if r["dataset"] == dataset]
        if not runs and dataset not in ENSEMBLE_TARGETS:
            continue
        latest = {(r["learner"], r["seed"]): r for r in runs}
        learners = list(dict.fromkeys(r["learner"] for r in runs))
        metrics = [k for k in ENSEMBLE_METRICS if any(k in r["metrics"] for r in runs)]
        rows, means = [], {}
        for learner in learners:
            seeds = [r for (name, _), r in latest.items() if name == learner]
            means[learner] = {k: np.mean([r["metrics"][k] for r in seeds]) for k in metrics}
            members = ", ".join(seeds[-1]["members"]) if learner.startswith("ensemble") else ""
            rows.append([learner + (f" ({members})" if members else ""),
                         *[cell([r["metrics"][k] for r in seeds]) for k in metrics],
                         f"{np.mean([r['predict_seconds'] for r in seeds]):.1f}",
                         str(len(seeds))])
        if rows:
            header = ["learner", *[ENSEMBLE_METRICS[k] for k in metrics],
                      f"predict_proba s ({runs[-1]['n_test']:,} test texts)", "seeds"]
            tables.append((f"{title}: members, ensembles, distilled", header, rows))
        target_rows = []
        for learner, key, goal, name in ENSEMBLE_TARGETS.get(dataset, ()):
            if learner in means and key in means[learner]:
                value = means[learner][key]
                seeds = sum(1 for (n, _) in latest if n == learner)
                target_rows.append([name, f">= {goal}", f"{value:.4f} ({seeds} seed"
                                    f"{'s' if seeds > 1 else ''})", status(value, goal)])
            else:
                target_rows.append([name, f">= {goal}", "--", "not measured"])
        tables.append((f"{title}: targets", ["target", "goal", "measured", "status"],
                       target_rows))
    devices = sorted({r["device"] + (", cores shared" if r["cores_shared"] else "")
                      for r in records})
    note = ("Each member at its defaults on the official train split; every learner's "
            "thresholds tuned on the dev split only; ensembles average the probabilities "
            "of the members with the best dev macro-F1; the distilled learner is one "
            "FineTunedEmotionClassifier (MiniLM) trained on the largest ensemble's "
            "probabilities and the gold labels. Test split, means over seeds (± half the "
            "range). " + (f"Measured on {'; '.join(devices)}." if devices
                          else "No measurements recorded yet."))
    return tables, note


def conformal_rows():
    """Measured coverage and mean set size of conformal label sets, per dataset and alpha."""
    records = read("conformal")
    latest = {(r["dataset"], r["alpha"]): r for r in records}
    rows = []
    for dataset, title in DATASET_NAMES.items():
        for alpha in sorted({a for d, a in latest if d == dataset}):
            r = latest[(dataset, alpha)]
            target = "recall" if "recall" in r["procedure"] else "coverage"
            m = r["metrics"]
            random_splits = (f"{m['random_splits_coverage_mean']:.4f} "
                             f"(sd {m['random_splits_coverage_sd']:.4f}, "
                             f"min {m['random_splits_coverage_min']:.4f})"
                             if "random_splits_coverage_mean" in m else "not measured")
            rows.append([title, f"{alpha:g}", f"{target} ≥ {1 - alpha:.2f}",
                         f"{m['coverage']:.4f}", random_splits,
                         f"{m['mean_set_size']:.2f}",
                         f"{r['n_calibration']:,} / {r['n_test']:,}", Path(r["model"]).name])
    header = ["dataset", "alpha", "guarantee", "measured on test",
              "mean over random dev+test splits", "mean set size",
              "calibration / test texts", "model"]
    devices = sorted({r["device"] for r in records})
    note = ("Label sets of skemo.conformal.ConformalEmotionSets calibrated on the dev "
            "split and measured on the full test split: single-label, the share of texts "
            "whose label is in the set; multi-label, the mean recall of the sets over the "
            "texts with a label. The guarantee is an average over calibration sets: the "
            "column of random splits pools the dev and test texts, calibrates on random "
            "subsets of the dev split's size and measures on the rest, and its mean is "
            "what must reach 1 - alpha; one split may land under it by chance. "
            + (f"Measured on {'; '.join(devices)}." if devices
                                      else "No measurements recorded yet."))
    return ([("Conformal label sets", header, rows)] if rows else []), note


def explain_rows():
    """ERASER comprehensiveness and sufficiency of each attribution method, and its cost."""
    records = read("explain")
    latest = {(r["dataset"], r["method"]): r for r in records}
    rows = []
    for dataset, title in DATASET_NAMES.items():
        for method in ("integrated_gradients", "occlusion", "shapley", "random"):
            r = latest.get((dataset, method))
            if r is None:
                continue
            seconds = r["metrics"]["seconds_per_text"]
            rows.append([title, method.replace("_", " "),
                         f"{r['metrics']['comprehensiveness']:.4f}",
                         f"{r['metrics']['sufficiency']:.4f}",
                         "--" if seconds is None else f"{seconds:.3f}",
                         f"{r['n_texts']} / {r['n_records']}"])
    header = ["dataset", "method", "comprehensiveness (higher is better)",
              "sufficiency (lower is better)", "seconds per text", "texts / (text, label)"]
    devices = sorted({r["device"] for r in records})
    note = ("Word attributions of the predicted labels of random test texts, ranked by "
            "each method (random: the same records' words in random order); ERASER's "
            "measures averaged over the top 1, 5, 10, 20 and 50% of the words. "
            + (f"Measured on {'; '.join(devices)}." if devices
               else "No measurements recorded yet."))
    return ([("Faithfulness of word attributions", header, rows)] if rows else []), note


def markdown(tables, note):
    out = [note, ""]
    for title, header, rows in tables:
        out += [f"**{title}**", "", "| " + " | ".join(header) + " |",
                "|" + "---|" * len(header)]
        out += ["| " + " | ".join(row) + " |" for row in rows]
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def rst(tables, note):
    out = [".. This file is generated by benchmarks/report.py from benchmarks/results/;",
           "   do not edit it by hand.", "", note, ""]
    for title, header, rows in tables:
        out += [f".. list-table:: {title}", "   :header-rows: 1", ""]
        for row in [header, *rows]:
            out.append(f"   * - {row[0]}")
            out += [f"     - {value}" for value in row[1:]]
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def learning_curve_plot(path):
    """Test macro-F1 against n, one panel per dataset, one line per learner."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    records = learning_curve_records()
    learners = sorted({learner_name(r) for r in records})
    colours = dict(zip(learners, plt.rcParams["axes.prop_cycle"].by_key()["color"]))
    fig, axes = plt.subplots(1, len(DATASET_NAMES), figsize=(12, 3.6))
    for ax, (dataset, title) in zip(axes, DATASET_NAMES.items()):
        runs = [r for r in records if r["dataset"] == dataset]
        for learner in sorted({learner_name(r) for r in runs}):
            points = defaultdict(list)
            for r in runs:
                if learner_name(r) == learner:
                    points[r["n_train"]].append(r["metrics"]["macro_f1"])
            n = sorted(points)
            ax.plot(n, [np.mean(points[k]) for k in n], marker="o", label=learner,
                    color=colours[learner])
        ax.set_xscale("log")
        ax.set_title(title.split(" (")[0], fontsize=10)
        ax.set_xlabel("labelled training texts")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("test macro-F1")
    handles = [plt.Line2D([], [], color=colours[name], marker="o", label=name)
               for name in learners]
    axes[-1].legend(handles=handles, fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


TABLES = {"learning_curve": learning_curve_rows,
          "threshold_shrinkage": threshold_shrinkage_rows,
          "methods": methods_rows,
          "claims": claims_rows,
          "targets": targets_rows,
          "open_vocabulary": open_vocabulary_rows,
          "few_shot": few_shot_rows,
          "speed": speed_rows,
          "precision_cost": precision_cost_rows,
          "batch_independence": batch_independence_rows,
          "serve_load": serve_load_rows,
          "pretrained": pretrained_rows,
          "choosing": choosing_rows,
          "ensemble": ensemble_rows,
          "conformal": conformal_rows,
          "explain": explain_rows}
#: Tables rendered into the docs only (their cells hold Sphinx cross-references).
DOCS_ONLY = {"choosing"}


def render():
    """{path: new text} for every generated file."""
    files = {}
    results = RESULTS_MD.read_text()
    for name, build in TABLES.items():
        tables, note = build()
        files[GENERATED / f"{name}.rst"] = rst(tables, note)
        if name in DOCS_ONLY:
            continue
        pattern = re.compile(rf"(<!-- table:{name} -->\n).*?(<!-- /table:{name} -->)", re.S)
        if not pattern.search(results):
            raise SystemExit(f"RESULTS.md has no <!-- table:{name} --> block.")
        results = pattern.sub(lambda m: m.group(1) + markdown(tables, note) + m.group(2),
                              results)
    files[RESULTS_MD] = results
    return files


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="exit 1 when a generated table differs from its records")
    args = parser.parse_args()
    stale = []
    for path, text in render().items():
        if not path.exists() or path.read_text() != text:
            stale.append(path)
            if not args.check:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
    if not args.check:
        learning_curve_plot(GENERATED / "learning_curve.png")
    if args.check and stale:
        print("out of date: " + ", ".join(str(p.relative_to(ROOT)) for p in stale))
        sys.exit(1)


if __name__ == "__main__":
    main()
