"""Tokenisation, dynamic padding and length-bucketed batching."""

import numpy as np
import pytest

from skemo.nn.encoder import load_tokenizer
from skemo.utils._text_data import (
    LengthBucketBatchSampler,
    PadCollator,
    TextDataset,
    tokenize_texts,
)


@pytest.fixture(scope="module")
def tokenizer():
    return load_tokenizer("all-MiniLM-L6-v2")


def test_long_texts_are_truncated_with_one_warning(tokenizer):
    texts = ["word " * 50, "short", "more " * 40]
    with pytest.warns(UserWarning, match="2 of 3 texts are longer than max_length=8"):
        ids = tokenize_texts(tokenizer, texts, 8)
    assert [len(row) for row in ids] == [8, 3, 8]
    assert ids[0][-1] == tokenizer.sep_token_id  # the end token survives truncation


def test_collator_pads_to_the_longest_in_the_batch():
    X, y = PadCollator(0)([([1, 2], [1.0, 0.0]), ([1, 2, 3, 4], [0.0, 1.0])])
    assert X["input_ids"].shape == (2, 4)
    assert X["input_ids"][0].tolist() == [1, 2, 0, 0]
    assert X["attention_mask"].sum(dim=1).tolist() == [2, 4]
    assert y.tolist() == [[1.0, 0.0], [0.0, 1.0]]


def test_bucket_sampler_yields_every_index_once_in_similar_lengths():
    rng = np.random.RandomState(0)
    lengths = rng.randint(1, 100, size=1000)
    sampler = LengthBucketBatchSampler(lengths, batch_size=10, bucket_size=20, seed=1)
    batches = list(sampler)
    assert len(batches) == len(sampler) == 100
    assert sorted(i for b in batches for i in b) == list(range(1000))
    spread = np.mean([np.ptp(lengths[b]) for b in batches])
    assert spread < 10  # random batches would spread over ~85 tokens


def test_bucket_sampler_is_seeded_and_reshuffles_each_epoch():
    lengths = np.arange(100)
    first = list(LengthBucketBatchSampler(lengths, 10, seed=5))
    assert first == list(LengthBucketBatchSampler(lengths, 10, seed=5))
    sampler = LengthBucketBatchSampler(lengths, 10, seed=5)
    assert list(sampler) != list(sampler)


def test_dataset_subset_keeps_targets_aligned():
    ds = TextDataset([[1], [1, 2], [1, 2, 3]], np.array([0, 1, 2]))
    sub = ds.subset(np.array([2, 0]))
    assert sub.lengths.tolist() == [3, 1]
    assert sub[0] == ([1, 2, 3], 2)


def test_bucket_sampler_epochs_depend_on_seed_and_epoch_number_only():
    """A resumed fit's sampler, started at epoch e, draws what the uninterrupted one drew."""
    lengths = np.random.RandomState(0).randint(1, 40, 200)
    uninterrupted = LengthBucketBatchSampler(lengths, batch_size=8, bucket_size=3, seed=7)
    epochs = [list(uninterrupted) for _ in range(4)]
    resumed = LengthBucketBatchSampler(lengths, batch_size=8, bucket_size=3, seed=7, epoch=2)
    assert [list(resumed), list(resumed)] == epochs[2:]
    assert epochs[0] != epochs[1]
