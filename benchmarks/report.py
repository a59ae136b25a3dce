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
import re
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
from _records import read

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


def learning_curve_rows():
    """Per dataset: header, rows (learner, cells...) of mean macro-F1, and the provenance."""
    records = read("learning_curve")
    by_key = defaultdict(list)
    devices, shared = set(), False
    for r in records:
        by_key[(r["dataset"], r["learner"], r["size"])].append(r)
        devices.add(r["device"])
        shared |= r["cores_shared"]
    tables = []
    for dataset in DATASET_NAMES:
        sizes = [s for s in SIZE_ORDER if any(k[0] == dataset and k[2] == s for k in by_key)]
        learners = sorted({k[1] for k in by_key if k[0] == dataset},
                          key=lambda name: (name in ("logreg", "setfit"), name))
        if not sizes:
            continue
        rows = []
        for learner in learners:
            cells, worst = [], 0.0
            for size in sizes:
                runs = by_key.get((dataset, learner, size), [])
                cells.append(cell([r["metrics"]["macro_f1"] for r in runs]))
                worst = max([worst] + [r["metrics"]["max_rate_over_prevalence"] for r in runs])
            rows.append([learner, *cells, f"{worst:.1f}"])
        header = ["learner", *[f"n = {s}" for s in sizes], "max rate / prevalence"]
        tables.append((DATASET_NAMES[dataset], header, rows))
    note = (f"Test macro-F1, mean ± half the range over seeds. Measured on "
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


def conformal_rows():
    """Measured coverage and mean set size of conformal label sets, per dataset and alpha."""
    records = read("conformal")
    latest = {(r["dataset"], r["alpha"]): r for r in records}
    rows = []
    for dataset, title in DATASET_NAMES.items():
        for alpha in sorted({a for d, a in latest if d == dataset}):
            r = latest[(dataset, alpha)]
            target = "recall" if "recall" in r["procedure"] else "coverage"
            rows.append([title, f"{alpha:g}", f"{target} ≥ {1 - alpha:.2f}",
                         f"{r['metrics']['coverage']:.4f}",
                         f"{r['metrics']['mean_set_size']:.2f}",
                         f"{r['n_calibration']:,} / {r['n_test']:,}", r["model"]])
    header = ["dataset", "alpha", "guarantee", "measured on test", "mean set size",
              "calibration / test texts", "model"]
    devices = sorted({r["device"] for r in records})
    note = ("Label sets of skemo.conformal.ConformalEmotionSets calibrated on the dev "
            "split and measured on the full test split: single-label, the share of texts "
            "whose label is in the set; multi-label, the mean recall of the sets over the "
            "texts with a label. " + (f"Measured on {'; '.join(devices)}." if devices
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

    records = read("learning_curve")
    learners = sorted({r["learner"] for r in records})
    colours = dict(zip(learners, plt.rcParams["axes.prop_cycle"].by_key()["color"]))
    fig, axes = plt.subplots(1, len(DATASET_NAMES), figsize=(12, 3.6))
    for ax, (dataset, title) in zip(axes, DATASET_NAMES.items()):
        runs = [r for r in records if r["dataset"] == dataset]
        for learner in sorted({r["learner"] for r in runs}):
            points = defaultdict(list)
            for r in runs:
                if r["learner"] == learner:
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
          "conformal": conformal_rows,
          "explain": explain_rows}


def render():
    """{path: new text} for every generated file."""
    files = {}
    results = RESULTS_MD.read_text()
    for name, build in TABLES.items():
        tables, note = build()
        files[GENERATED / f"{name}.rst"] = rst(tables, note)
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
