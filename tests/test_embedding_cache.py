"""freeze_encoder: frozen encoders, precomputed embeddings and their per-text cache."""

import warnings

import numpy as np
import pytest
import torch

from skemo import FineTunedEmotionClassifier, SimilarityEmotionClassifier, load
from skemo.nn.encoder import TextEncoder, load_backbone, load_tokenizer
from skemo.utils._embedding_cache import frozen_embeddings, pooled_embeddings
from skemo.utils._text_data import PadCollator, TextDataset, tokenize_texts

from .conftest import tiny_bert, tiny_params

ESTIMATORS = [FineTunedEmotionClassifier, SimilarityEmotionClassifier]


@pytest.fixture
def encoded_rows(monkeypatch):
    """The distinct token rows of each encoder pass, as tuples of real token ids.

    Distinct, because embedding passes fill short batches with repeats.
    """
    rows = []
    original = TextEncoder._encode

    def counting(self, input_ids, attention_mask):
        rows.extend(dict.fromkeys(tuple(ids[mask.bool()].tolist())
                                  for ids, mask in zip(input_ids, attention_mask)))
        return original(self, input_ids, attention_mask)

    monkeypatch.setattr(TextEncoder, "_encode", counting)
    return rows


@pytest.fixture
def frozen_encoder():
    torch.manual_seed(0)
    return TextEncoder(load_backbone(tiny_bert()), "mean", frozen=True)


def embed(encoder, input_ids, cache_dir, precision="fp32"):
    return frozen_embeddings(encoder, input_ids, pad_token_id=0, device="cpu",
                             precision=precision, cache_dir=cache_dir)


def frozen(cls, **overrides):
    return cls(**tiny_params(freeze_encoder=True, **overrides))


# --------------------------------------------------------------- the frozen encoder
def test_float_input_ids_are_precomputed_embeddings_that_pass_through(frozen_encoder):
    embeddings = torch.randn(3, 32)
    assert frozen_encoder(embeddings, None) is embeddings


def test_frozen_encoder_has_no_trainable_weights_and_stays_in_eval_mode(frozen_encoder):
    frozen_encoder.train()
    assert not frozen_encoder.training and not frozen_encoder.backbone.training
    assert not any(p.requires_grad for p in frozen_encoder.parameters())


def test_frozen_encoder_reuses_its_last_result_until_inputs_or_weights_change(
        frozen_encoder, encoded_rows):
    ids, mask = torch.tensor([[101, 2000, 102]]), torch.ones(1, 3, dtype=torch.long)
    first = frozen_encoder(ids, mask)
    assert frozen_encoder(ids, mask) is first and len(encoded_rows) == 1
    assert frozen_encoder(ids.clone(), mask) is not first          # other tensors
    with torch.no_grad():
        next(frozen_encoder.parameters()).add_(1.0)                 # weights changed
    assert not torch.equal(frozen_encoder(ids, mask), first)
    with torch.no_grad():                                           # evaluation: no memo
        frozen_encoder(ids, mask), frozen_encoder(ids, mask)
    assert len(encoded_rows) == 5


def test_fingerprint_follows_the_weights(frozen_encoder):
    before = frozen_encoder.fingerprint()
    assert frozen_encoder.fingerprint() == before
    with torch.no_grad():
        frozen_encoder.backbone.pooler.dense.bias[0] += 1e-3
    assert frozen_encoder.fingerprint() != before
    torch.manual_seed(0)
    same = TextEncoder(load_backbone(tiny_bert()), "mean")
    assert same.fingerprint() == before
    assert TextEncoder(same.backbone, "cls").fingerprint() != before


def test_datasets_and_batches_of_embeddings():
    dataset = TextDataset(np.arange(12, dtype=np.float32).reshape(3, 4), np.array([0, 1, 2]),
                          lengths=[5, 2, 9])
    part = dataset.subset([2, 0])
    assert part.holds_embeddings and part.lengths.tolist() == [9, 5]
    X, y = PadCollator(0)([part[0], part[1]])
    assert X["attention_mask"] is None and X["input_ids"].dtype == torch.float32
    assert X["input_ids"].tolist() == [[8, 9, 10, 11], [0, 1, 2, 3]] and y.tolist() == [2, 0]
    with pytest.raises(ValueError, match="token lengths"):
        TextDataset(np.zeros((2, 4), np.float32))


# ------------------------------------------------------------------- the cache
def test_embeddings_match_the_encoder_whatever_the_batching(frozen_encoder):
    ids = [[101, 7, 8, 9, 102], [101, 102], [101, 5, 102]]
    expected = torch.cat([frozen_encoder(torch.tensor([row]), torch.ones(1, len(row)))
                          for row in ids]).numpy()
    np.testing.assert_allclose(embed(frozen_encoder, ids, None), expected, atol=1e-5)


def test_cache_hit_returns_identical_arrays_without_encoding(frozen_encoder, tmp_path,
                                                            encoded_rows):
    ids = [[101, 7, 8, 102], [101, 102], [101, 5, 102]]
    first = embed(frozen_encoder, ids, tmp_path)
    assert len(encoded_rows) == 3
    torch.manual_seed(0)  # a new encoder object with the same weights
    twin = TextEncoder(load_backbone(tiny_bert()), "mean", frozen=True)
    again = embed(twin, ids, str(tmp_path))
    assert len(encoded_rows) == 3
    assert again.dtype == np.float32 and np.array_equal(first, again)


def test_cache_misses_on_other_weights_texts_or_precision(frozen_encoder, tmp_path,
                                                          encoded_rows):
    ids = [[101, 7, 8, 102], [101, 102]]
    first = embed(frozen_encoder, ids, tmp_path)
    embed(frozen_encoder, [[101, 7, 8, 102], [101, 9, 102]], tmp_path)   # one new text
    assert encoded_rows[2:] == [(101, 9, 102)]
    embed(frozen_encoder, ids, tmp_path, precision="bf16")               # other precision
    assert len(encoded_rows) == 5
    with torch.no_grad():
        frozen_encoder.backbone.embeddings.word_embeddings.weight[7] += 1.0
    changed = embed(frozen_encoder, ids, tmp_path)                        # other weights
    assert len(encoded_rows) == 7
    assert not np.array_equal(changed[0], first[0])
    np.testing.assert_array_equal(changed[1], first[1])


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_a_texts_embedding_does_not_depend_on_the_other_texts(frozen_encoder, precision):
    text = [101, 7, 8, 9, 102]
    alone = pooled_embeddings(frozen_encoder, [text], pad_token_id=0, device="cpu",
                              precision=precision)
    others = [[101] + list(range(i, i + 2 + i % 5)) + [102] for i in range(10, 80)]
    mixed = pooled_embeddings(frozen_encoder, others[:40] + [text] + others[40:] + [[101, 102]],
                              pad_token_id=0, device="cpu", precision=precision)
    assert np.array_equal(mixed[40], alone[0])


def test_texts_are_read_across_calls_and_duplicates_encoded_once(frozen_encoder, tmp_path,
                                                                 encoded_rows):
    fold_a = [[101, 7, 102], [101, 8, 102], [101, 9, 9, 102]]
    fold_b = [[101, 9, 9, 102], [101, 6, 102], [101, 6, 102], [101, 7, 102]]
    a = embed(frozen_encoder, fold_a, tmp_path)
    b = embed(frozen_encoder, fold_b, tmp_path)
    assert encoded_rows[3:] == [(101, 6, 102)]
    np.testing.assert_array_equal(b, embed(frozen_encoder, fold_b, None))
    assert len(encoded_rows) == 7  # fold_b again, without the cache: its 3 distinct texts
    np.testing.assert_array_equal(b[[0, 3]], a[[2, 0]])
    np.testing.assert_array_equal(b[1], b[2])


def test_half_written_shards_are_ignored(frozen_encoder, tmp_path, encoded_rows):
    ids = [[101, 7, 102]]
    first = embed(frozen_encoder, ids, tmp_path)
    (namespace,) = tmp_path.iterdir()
    for keys in namespace.glob("*.keys.npy"):
        keys.rename(namespace / f".{keys.name}.partial")  # as if the writer had died
    np.testing.assert_array_equal(embed(frozen_encoder, ids, tmp_path), first)
    assert len(encoded_rows) == 2
    assert embed(frozen_encoder, [], tmp_path).shape == (0, 32)


def test_cache_misses_when_max_length_truncates_differently(multilabel_data, tmp_path,
                                                            encoded_rows):
    X, Y, names = multilabel_data
    texts, Y = X[:24], Y[:24]
    tokenizer = load_tokenizer(tiny_bert())
    long = max(len(row) for row in tokenize_texts(tokenizer, texts, 512))
    params = dict(cache_dir=tmp_path, max_epochs=1, validation_fraction=None,
                  label_names=names)
    frozen(FineTunedEmotionClassifier, **params).fit(texts, Y)
    n_first = len(encoded_rows)
    frozen(FineTunedEmotionClassifier, **params).fit(texts, Y)
    assert len(encoded_rows) == n_first
    with pytest.warns(UserWarning, match="truncated"):
        frozen(FineTunedEmotionClassifier, **params, max_length=long - 1).fit(texts, Y)
    truncated = encoded_rows[n_first:]  # only the texts that lost tokens are new
    assert truncated and all(len(row) == long - 1 for row in truncated)


# ------------------------------------------------------------------ estimators
def test_freeze_encoder_cannot_train_lora(multilabel_data):
    X, Y, _ = multilabel_data
    with pytest.raises(ValueError, match="lora_r"):
        frozen(FineTunedEmotionClassifier, lora_r=4).fit(X, Y)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_frozen_fit_changes_only_head_parameters(cls, multilabel_data):
    X, Y, names = multilabel_data
    start = frozen(cls, max_epochs=0, label_names=names).fit(X, Y).module_.state_dict()
    trained = frozen(cls, label_names=names).fit(X, Y)
    assert all(not p.requires_grad for p in trained.module_.encoder.parameters())
    changed = {name for name, value in trained.module_.state_dict().items()
               if not torch.equal(value, start[name])}
    assert changed and not any(name.startswith("encoder.") for name in changed)
    head = "head." if cls is FineTunedEmotionClassifier else "projection."
    assert any(name.startswith(head) for name in changed)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_texts_are_encoded_once_per_fit_not_per_epoch(cls, multilabel_data, encoded_rows):
    X, Y, names = multilabel_data
    clf = frozen(cls, max_epochs=3, validation_fraction=None, threshold=0.5,
                 label_names=names).fit(X, Y)
    tokenized = set(map(tuple, tokenize_texts(clf.tokenizer_, X, clf.max_length)))
    text_rows = [row for row in encoded_rows if row in tokenized]
    assert len(text_rows) == len(X)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_results_identical_with_and_without_cache_and_texts_not_encoded_again(
        cls, multilabel_data, tmp_path, encoded_rows):
    X, Y, names = multilabel_data
    plain = frozen(cls, label_names=names).fit(X, Y)
    cold = frozen(cls, label_names=names, cache_dir=tmp_path).fit(X, Y)
    n_cold = len(encoded_rows)
    warm = frozen(cls, label_names=names, cache_dir=str(tmp_path)).fit(X, Y)
    tokenized = set(map(tuple, tokenize_texts(plain.tokenizer_, X, plain.max_length)))
    assert not any(row in tokenized for row in encoded_rows[n_cold:])
    expected = plain.predict_proba(X)
    for clf in (cold, warm):
        np.testing.assert_array_equal(clf.predict_proba(X), expected)
        assert clf.history[:, "train_loss"] == plain.history[:, "train_loss"]


def test_frozen_estimator_saves_and_loads(multilabel_data, tmp_path):
    X, Y, names = multilabel_data
    clf = frozen(FineTunedEmotionClassifier, max_epochs=1, label_names=names).fit(X, Y)
    clf.save(tmp_path / "model")
    loaded = load(tmp_path / "model")
    assert loaded.freeze_encoder and loaded.module_.encoder.frozen
    np.testing.assert_allclose(loaded.predict_proba(X), clf.predict_proba(X), atol=1e-6)


class _TokenBatchClassifier(FineTunedEmotionClassifier):
    """A method whose training steps read token ids (``needs_token_ids``)."""

    needs_token_ids = True


def test_methods_that_need_token_ids_train_the_frozen_encoder_on_token_batches(
        multilabel_data, encoded_rows):
    X, Y, names = multilabel_data
    params = dict(max_epochs=2, validation_fraction=None, label_names=names)
    tokens = frozen(_TokenBatchClassifier, **params).fit(X, Y)
    assert len(encoded_rows) >= 2 * len(X)  # every epoch, every text
    embeddings = frozen(FineTunedEmotionClassifier, **params).fit(X, Y)
    np.testing.assert_allclose(tokens.predict_proba(X), embeddings.predict_proba(X),
                               atol=1e-5)


@pytest.mark.parametrize("damage", ["truncate", "drop_rows", "garbage_keys"])
def test_a_corrupted_shard_is_rebuilt(tmp_path, damage):
    """Item 18: an unreadable shard is deleted with a warning and its texts encoded again."""
    encoder = TextEncoder(load_backbone(tiny_bert()), "mean", frozen=True)
    rows = [[101, 7, 102], [101, 8, 9, 102], [101, 102]]
    expected = frozen_embeddings(encoder, rows, pad_token_id=0, device="cpu",
                                 precision="fp32", cache_dir=tmp_path)
    [shard] = list(tmp_path.glob("*/*.keys.npy"))
    embeddings = shard.with_name(shard.name.replace(".keys.npy", ".npy"))
    if damage == "truncate":
        embeddings.write_bytes(embeddings.read_bytes()[:200])
    elif damage == "drop_rows":
        np.save(embeddings, np.load(embeddings)[:2])
    else:
        shard.write_bytes(b"not a numpy file")
    with pytest.warns(UserWarning, match=r"is unreadable \(.*\); deleting it"):
        again = frozen_embeddings(encoder, rows, pad_token_id=0, device="cpu",
                                  precision="fp32", cache_dir=tmp_path)
    np.testing.assert_array_equal(again, expected)
    assert not shard.exists()
    assert len(list(tmp_path.glob("*/*.keys.npy"))) == 1  # the rebuilt shard
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # read back without complaint
        frozen_embeddings(encoder, rows, pad_token_id=0, device="cpu", precision="fp32",
                          cache_dir=tmp_path)
