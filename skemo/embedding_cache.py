"""Embeddings of a frozen encoder, computed once and cached on disk.

With ``freeze_encoder=True`` an estimator trains only its heads and
projections: the encoder's pooled embedding of a text never changes, so it
is computed once -- in length-sorted batches, under
:func:`torch.inference_mode` and the estimator's ``precision`` -- and the
training batches carry embeddings instead of token ids (a float
``input_ids`` that :class:`~skemo.encoders.TextEncoder` passes through).
Without ``cache_dir`` that happens once per ``fit`` (and once per
``predict_proba`` call), instead of once per epoch.

With ``cache_dir`` the embeddings go through :class:`joblib.Memory`, keyed on

- a fingerprint of the encoder's weights and pooling
  (:meth:`~skemo.encoders.TextEncoder.fingerprint`): new weights, new entries;
- the token ids of the texts, which also capture the tokenizer and
  ``max_length`` (texts truncated differently are different keys);
- the autocast dtype of ``precision`` and the device type (CPU and CUDA
  kernels round differently), and the batch size and padding token, which
  decide how texts are batched.

Fits that share those -- the folds and parameter points of a
:class:`~sklearn.model_selection.GridSearchCV` over head parameters, or a
re-run of a script -- read the embeddings instead of encoding again. A
``cache_dir`` on a shared file system serves every worker of a Dask cluster
(see :mod:`skemo.scale_out`). The cache never expires: delete the directory
(or call ``joblib.Memory(cache_dir).clear()``) to reclaim the space.

Examples
--------
>>> from sklearn.model_selection import GridSearchCV  # doctest: +SKIP
>>> from skemo import FineTunedEmotionClassifier  # doctest: +SKIP
>>> clf = FineTunedEmotionClassifier(freeze_encoder=True, cache_dir="emb-cache",
...                                  max_epochs=10)  # doctest: +SKIP
>>> grid = GridSearchCV(clf, {"head_lr": [3e-4, 1e-3, 3e-3], "module__dropout": [0.0, 0.1]},
...                     cv=5)  # doctest: +SKIP
>>> grid.fit(texts, y)  # encodes each fold's texts once, not six times  # doctest: +SKIP
"""

import itertools
import os

import numpy as np
import torch
from joblib import Memory

from .precision import autocast, autocast_dtype
from .text_data import PadCollator

#: Texts per forward pass when computing embeddings (part of the cache key).
EMBEDDING_BATCH_SIZE = 64


def pooled_embeddings(encoder, input_ids, *, pad_token_id, device, precision,
                      batch_size=EMBEDDING_BATCH_SIZE):
    """Pooled embeddings of tokenised texts, computed in length-sorted batches.

    Parameters
    ----------
    encoder : skemo.encoders.TextEncoder
        On ``device``; it is put in evaluation mode.
    input_ids : list of list of int
    pad_token_id : int
    device : str
    precision : {"auto", "fp32", "bf16", "fp16"}
    batch_size : int, default=64

    Returns
    -------
    ndarray of shape (n_texts, hidden_size), float32
        One row per text, in the order of ``input_ids``.

    Examples
    --------
    >>> from transformers import BertConfig
    >>> from skemo.encoders import TextEncoder, load_backbone
    >>> from skemo.embedding_cache import pooled_embeddings
    >>> tiny = BertConfig(hidden_size=16, num_hidden_layers=1,
    ...                   num_attention_heads=2, intermediate_size=32)
    >>> enc = TextEncoder(load_backbone(tiny), "mean", frozen=True)
    >>> pooled_embeddings(enc, [[101, 7, 102], [101, 102]], pad_token_id=0,
    ...                   device="cpu", precision="fp32").shape
    (2, 16)
    """
    encoder.eval()
    collate = PadCollator(pad_token_id)
    order = np.argsort([len(row) for row in input_ids], kind="stable")
    out = np.empty((len(input_ids), encoder.hidden_size), dtype=np.float32)
    with torch.inference_mode(), autocast(precision, device):
        for start in range(0, len(order), batch_size):
            rows = order[start:start + batch_size]
            X, _ = collate([(input_ids[i], 0) for i in rows])
            pooled = encoder(X["input_ids"].to(device), X["attention_mask"].to(device))
            out[rows] = pooled.float().cpu().numpy()
    return out


def _cached_pooled_embeddings(fingerprint, precision_dtype, device_type, batch_size,
                              pad_token_id, token_ids, lengths, *, encoder, device, precision):
    """The function :class:`joblib.Memory` caches: the arguments but the last three are the key.

    The texts come as one flat array of token ids and their lengths, which
    joblib hashes much faster than lists of lists.
    """
    input_ids = np.split(token_ids, np.cumsum(lengths)[:-1]) if len(lengths) else []
    return pooled_embeddings(encoder, input_ids, pad_token_id=pad_token_id, device=device,
                             precision=precision, batch_size=batch_size)


def frozen_embeddings(encoder, input_ids, *, pad_token_id, device, precision,
                      cache_dir=None, batch_size=EMBEDDING_BATCH_SIZE):
    """Pooled embeddings of a frozen encoder, read from ``cache_dir`` when computed before.

    Parameters
    ----------
    encoder : skemo.encoders.TextEncoder
    input_ids : list of list of int
    pad_token_id : int
    device : str
    precision : {"auto", "fp32", "bf16", "fp16"}
    cache_dir : str, path-like, joblib.Memory or None, default=None
        None computes the embeddings; otherwise they are cached there (see the
        module docstring for the key).
    batch_size : int, default=64

    Returns
    -------
    ndarray of shape (n_texts, hidden_size), float32

    Examples
    --------
    >>> import tempfile
    >>> from transformers import BertConfig
    >>> from skemo.encoders import TextEncoder, load_backbone
    >>> from skemo.embedding_cache import frozen_embeddings
    >>> tiny = BertConfig(hidden_size=16, num_hidden_layers=1,
    ...                   num_attention_heads=2, intermediate_size=32)
    >>> enc = TextEncoder(load_backbone(tiny), "mean", frozen=True)
    >>> with tempfile.TemporaryDirectory() as cache:
    ...     first = frozen_embeddings(enc, [[101, 7, 102]], pad_token_id=0, device="cpu",
    ...                               precision="fp32", cache_dir=cache)
    ...     again = frozen_embeddings(enc, [[101, 7, 102]], pad_token_id=0, device="cpu",
    ...                               precision="fp32", cache_dir=cache)
    >>> bool((first == again).all())
    True
    """
    if cache_dir is None:
        return pooled_embeddings(encoder, input_ids, pad_token_id=pad_token_id,
                                 device=device, precision=precision, batch_size=batch_size)
    memory = (cache_dir if isinstance(cache_dir, Memory)
              else Memory(os.fspath(cache_dir), verbose=0))
    cached = memory.cache(_cached_pooled_embeddings,
                          ignore=["encoder", "device", "precision"])
    dtype = autocast_dtype(precision, device)
    lengths = np.fromiter(map(len, input_ids), dtype=np.int64, count=len(input_ids))
    token_ids = np.fromiter(itertools.chain.from_iterable(input_ids), dtype=np.int64,
                            count=int(lengths.sum()))
    return cached(encoder.fingerprint(), "fp32" if dtype is None else str(dtype),
                  torch.device(device).type, batch_size, pad_token_id, token_ids, lengths,
                  encoder=encoder, device=device, precision=precision)


__all__ = ["EMBEDDING_BATCH_SIZE", "frozen_embeddings", "pooled_embeddings"]
