"""The peer predictors of the prediction-throughput tables, and how they are timed.

Shared by ``speed.py`` table (b) and ``peers_onnx.py``. It imports nothing of
skemo, so that ``peers_onnx.py`` runs in an environment without it (one whose
transformers is older than skemo's).
"""

import time

import torch


def interleaved_rates(peers, texts, rounds=3):
    """``(name, precision, texts/s)`` of each ``(name, precision, make predictor)``: the
    best of ``rounds`` passes, one pass of every predictor per round, so that a slow
    spell of the shared vCPUs falls on all of them; a predictor that does not build
    reads "not run: ..." instead."""
    built, rates = [], {}
    for name, precision, make in peers:
        try:
            predict = make()
            predict(texts[:64])  # warm up (and build int8 copies, sessions)
            built.append((name, predict))
        except Exception as error:  # an optional peer that does not install or export
            rates[name] = (f"not run: {type(error).__name__}: "
                           f"{str(error).splitlines()[0][:120]}")
    for _ in range(rounds):
        for name, predict in built:
            start = time.perf_counter()
            predict(texts)
            rates[name] = max(rates.get(name, 0.0), len(texts) / (time.perf_counter() - start))
    return [(name, precision, rates[name]) for name, precision, _ in peers]


def pipeline_predictor(model, tokenizer, batch_size, max_length):
    """The transformers text-classification pipeline at its fp32 defaults, sigmoid scores."""
    from transformers import pipeline

    pipe = pipeline("text-classification", model=model, tokenizer=tokenizer, device="cpu",
                    top_k=None, function_to_apply="sigmoid", batch_size=batch_size)
    return lambda texts: pipe(texts, truncation=True, max_length=max_length)


def sentence_transformers_predictor(model_dir, n_labels, backend, batch_size, max_length,
                                    file_name=None):
    """``SentenceTransformer.encode`` on ``backend`` plus a linear head (sigmoid);
    ``file_name`` picks an ONNX file of the model (its int8 one)."""
    from sentence_transformers import SentenceTransformer

    kwargs = {"model_kwargs": {"file_name": file_name}} if file_name else {}
    model = SentenceTransformer(str(model_dir), device="cpu", backend=backend, **kwargs)
    model.max_seq_length = max_length
    head = torch.nn.Linear(model.get_embedding_dimension(), n_labels)

    def predict(texts):
        embeddings = model.encode(list(texts), batch_size=batch_size, convert_to_tensor=True)
        with torch.inference_mode():
            return torch.sigmoid(head(embeddings)).numpy()
    return predict
