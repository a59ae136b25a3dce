"""Embeddings of a frozen encoder, computed once per text and cached on disk.

With ``freeze_encoder=True`` an estimator trains only its heads and
projections: the encoder's pooled embedding of a text never changes, so it
is computed once -- under :func:`torch.inference_mode` and the estimator's
``precision`` -- and the training batches carry embeddings instead of token
ids (a float ``input_ids`` that :class:`~skemo.nn.encoder.TextEncoder` passes
through). Without ``cache_dir`` that happens once per ``fit`` (and once per
``predict_proba`` call), instead of once per epoch.

**Batch-invariant embeddings.** A text's embedding must not depend on the
other texts it was computed with, or a cached embedding would differ from a
freshly computed one: the padded width and the row count of a batch change
the kernels a matrix product runs, and with them the last bits of its
result (by up to 4e-3 under bf16). :func:`pooled_embeddings` therefore pads
each text to the next multiple of :data:`PAD_MULTIPLE` tokens -- a width
that depends on the text alone -- and runs texts of one width together in
passes of exactly ``batch_size`` rows (a short pass is filled up with
repeats of its last text, whose results are dropped). So a text's embedding
is the same bits in any call, on the same device and precision; the price is
at most ``PAD_MULTIPLE - 1`` padding tokens per text and ``batch_size - 1``
filler rows per width.

**The cache.** With ``cache_dir``, each text's embedding is stored under a
key of its token ids (which also capture the tokenizer and ``max_length``:
texts truncated differently are different keys), in a namespace for

- a fingerprint of the encoder's weights and pooling
  (:meth:`~skemo.nn.encoder.TextEncoder.fingerprint`): new weights, new
  namespace;
- the autocast dtype of ``precision`` and the device type (CPU and CUDA
  kernels round differently), and ``batch_size``, :data:`PAD_MULTIPLE` and
  the padding token (the shape and contents of the passes).

A call encodes only the texts it does not find, and stores them as one
*shard* (two ``.npy`` files, written to temporary names and then renamed, so
readers never see half a shard and concurrent writers -- the workers of a
Dask cluster on a shared file system (see :mod:`skemo.scale_out`) -- never
clash). Fits that share texts read them instead of encoding again: the
parameter points of a :class:`~sklearn.model_selection.GridSearchCV` over
head parameters, *and its folds* (fold ``k`` trains on texts that other
folds already encoded), or a re-run of a script. :class:`joblib.Memory`
memoises whole calls, which would miss across folds (every fold passes a
different set of texts); this store is keyed per text instead. It never
expires: delete the directory to reclaim the space. A shard that cannot be
read (a truncated or corrupted file, e.g. from a full disk) is deleted with a
warning, and its texts are encoded again and stored in a new shard.

Examples
--------
>>> from sklearn.model_selection import GridSearchCV  # doctest: +SKIP
>>> from skemo import FineTunedEmotionClassifier  # doctest: +SKIP
>>> clf = FineTunedEmotionClassifier(freeze_encoder=True, cache_dir="emb-cache",
...                                  max_epochs=10)  # doctest: +SKIP
>>> grid = GridSearchCV(clf, {"head_lr": [3e-4, 1e-3, 3e-3], "module__dropout": [0.0, 0.1]},
...                     cv=5)  # doctest: +SKIP
>>> grid.fit(texts, y)  # encodes each text once, not 30 times  # doctest: +SKIP
"""

import hashlib
import os
import uuid
import warnings
from collections import defaultdict
from pathlib import Path

import numpy as np
import torch

from skemo.utils._precision import autocast, autocast_dtype

#: Rows of every forward pass when computing embeddings (part of the cache key).
EMBEDDING_BATCH_SIZE = 64
#: Texts are padded to the next multiple of this many tokens (part of the cache key).
PAD_MULTIPLE = 8
_KEY_BYTES = 16


def pooled_embeddings(encoder, input_ids, *, pad_token_id, device, precision,
                      batch_size=EMBEDDING_BATCH_SIZE):
    """Pooled embeddings of tokenised texts, each independent of the others.

    Every forward pass has the same rows and a width that depends only on
    the lengths of its texts (see the module docstring), so a text's
    embedding is the same whatever the other texts of the call.

    Parameters
    ----------
    encoder : skemo.nn.encoder.TextEncoder
        On ``device``; it is put in evaluation mode.
    input_ids : list of list of int
    pad_token_id : int
    device : str
    precision : {"auto", "fp32", "bf16", "fp16"}
    batch_size : int, default=64
        Rows of every forward pass.

    Returns
    -------
    ndarray of shape (n_texts, hidden_size), float32
        One row per text, in the order of ``input_ids``.

    Examples
    --------
    >>> from transformers import BertConfig
    >>> from skemo.nn.encoder import TextEncoder, load_backbone
    >>> from skemo.utils._embedding_cache import pooled_embeddings
    >>> tiny = BertConfig(hidden_size=16, num_hidden_layers=1,
    ...                   num_attention_heads=2, intermediate_size=32)
    >>> enc = TextEncoder(load_backbone(tiny), "mean", frozen=True)
    >>> pooled_embeddings(enc, [[101, 7, 102], [101, 102]], pad_token_id=0,
    ...                   device="cpu", precision="fp32").shape
    (2, 16)
    """
    encoder.eval()
    out = np.empty((len(input_ids), encoder.hidden_size), dtype=np.float32)
    by_width = defaultdict(list)
    for i, row in enumerate(input_ids):
        by_width[-(-len(row) // PAD_MULTIPLE) * PAD_MULTIPLE].append(i)
    with torch.inference_mode(), autocast(precision, device):
        for width, rows in sorted(by_width.items()):
            for start in range(0, len(rows), batch_size):
                chunk = rows[start:start + batch_size]
                ids = torch.full((batch_size, width), pad_token_id, dtype=torch.long)
                mask = torch.zeros((batch_size, width), dtype=torch.long)
                for r, i in enumerate(chunk + chunk[-1:] * (batch_size - len(chunk))):
                    ids[r, :len(input_ids[i])] = torch.as_tensor(input_ids[i])
                    mask[r, :len(input_ids[i])] = 1
                pooled = encoder(ids.to(device), mask.to(device))
                out[chunk] = pooled[:len(chunk)].float().cpu().numpy()
    return out


def frozen_embeddings(encoder, input_ids, *, pad_token_id, device, precision,
                      cache_dir=None, batch_size=EMBEDDING_BATCH_SIZE):
    """Pooled embeddings of a frozen encoder, read from ``cache_dir`` for texts seen before.

    Parameters
    ----------
    encoder : skemo.nn.encoder.TextEncoder
    input_ids : list of list of int
    pad_token_id : int
    device : str
    precision : {"auto", "fp32", "bf16", "fp16"}
    cache_dir : str, path-like or None, default=None
        None computes the embeddings; otherwise each text's embedding is
        cached there (see the module docstring for the key).
    batch_size : int, default=64

    Returns
    -------
    ndarray of shape (n_texts, hidden_size), float32
        Identical to :func:`pooled_embeddings` of the same texts.

    Examples
    --------
    >>> import tempfile
    >>> from transformers import BertConfig
    >>> from skemo.nn.encoder import TextEncoder, load_backbone
    >>> from skemo.utils._embedding_cache import frozen_embeddings
    >>> tiny = BertConfig(hidden_size=16, num_hidden_layers=1,
    ...                   num_attention_heads=2, intermediate_size=32)
    >>> enc = TextEncoder(load_backbone(tiny), "mean", frozen=True)
    >>> with tempfile.TemporaryDirectory() as cache:
    ...     first = frozen_embeddings(enc, [[101, 7, 102]], pad_token_id=0, device="cpu",
    ...                               precision="fp32", cache_dir=cache)
    ...     both = frozen_embeddings(enc, [[101, 8, 102], [101, 7, 102]], pad_token_id=0,
    ...                              device="cpu", precision="fp32", cache_dir=cache)
    >>> bool((both[1] == first[0]).all())
    True
    """
    if cache_dir is None:
        return pooled_embeddings(encoder, input_ids, pad_token_id=pad_token_id, device=device,
                                 precision=precision, batch_size=batch_size)
    dtype = autocast_dtype(precision, device)
    space = "|".join(map(str, (encoder.fingerprint(), "fp32" if dtype is None else dtype,
                               torch.device(device).type, batch_size, PAD_MULTIPLE,
                               pad_token_id)))
    namespace = Path(cache_dir) / hashlib.sha256(space.encode()).hexdigest()[:32]
    keys = [hashlib.blake2b(np.asarray(row, dtype=np.int64).tobytes(),
                            digest_size=_KEY_BYTES).digest() for row in input_ids]
    stored = _read_shards(namespace, set(keys), encoder.hidden_size)
    missing = {}  # key -> first row with it
    for i, key in enumerate(keys):
        if key not in stored:
            missing.setdefault(key, i)
    if missing:
        computed = pooled_embeddings(encoder, [input_ids[i] for i in missing.values()],
                                     pad_token_id=pad_token_id, device=device,
                                     precision=precision, batch_size=batch_size)
        _write_shard(namespace, list(missing), computed)
        stored.update(zip(missing, computed))
    out = np.empty((len(keys), encoder.hidden_size), dtype=np.float32)
    for i, key in enumerate(keys):
        out[i] = stored[key]
    return out


def _read_shards(namespace, wanted, width):
    """The stored embeddings of the keys in ``wanted``: a dict key -> row.

    A shard that cannot be read, or whose embeddings do not match its keys
    (``width`` columns, a row per key), is deleted with a warning.
    """
    found = {}
    for keys_file in sorted(namespace.glob("*.keys.npy")):
        shard = keys_file.name[:-len(".keys.npy")]
        try:
            keys = np.load(keys_file).tobytes()
            embeddings = np.load(namespace / f"{shard}.npy", mmap_mode="r")
            if embeddings.shape != (len(keys) // _KEY_BYTES, width):
                raise ValueError(f"{len(keys) // _KEY_BYTES} keys but embeddings of "
                                 f"shape {embeddings.shape}")
        except (OSError, ValueError, EOFError) as error:
            warnings.warn(f"The embedding cache shard {namespace / shard} is unreadable "
                          f"({error}); deleting it and encoding its texts again.",
                          UserWarning, stacklevel=3)
            for suffix in (".keys.npy", ".npy"):
                (namespace / f"{shard}{suffix}").unlink(missing_ok=True)
            continue
        rows = {}
        for j in range(len(keys) // _KEY_BYTES):
            key = keys[j * _KEY_BYTES:(j + 1) * _KEY_BYTES]
            if key in wanted and key not in found:
                rows[key] = j
        if rows:
            found.update(zip(rows, embeddings[list(rows.values())]))
    return found


def _write_shard(namespace, keys, embeddings):
    """Store one shard; its keys file, renamed into place last, publishes it."""
    namespace.mkdir(parents=True, exist_ok=True)
    shard = uuid.uuid4().hex
    key_array = np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(-1, _KEY_BYTES)
    for suffix, array in ((".npy", embeddings), (".keys.npy", key_array)):
        partial = namespace / f".{shard}{suffix}.partial"
        with open(partial, "wb") as file:
            np.save(file, array)
        os.replace(partial, namespace / f"{shard}{suffix}")


__all__ = ["EMBEDDING_BATCH_SIZE", "PAD_MULTIPLE", "frozen_embeddings", "pooled_embeddings"]
