"""Shared fixtures: tiny random encoders, small text data sets, per-estimator settings."""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never wait on a hub that cannot be reached
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from transformers import LlamaConfig  # noqa: E402

from skemo.datasets import load_goemotions_sample  # noqa: E402

N_TEXTS = 96


@pytest.fixture(autouse=True)
def epoch_selection_on_tiny_splits(request, monkeypatch):
    """Let the suite's tiny validation splits (about 10 texts) select epochs.

    By default a split under 100 texts selects none (the fit keeps its last
    epoch); the tests of early stopping, best-epoch restoring and checkpoint
    selection need selection on splits of a few texts. Tests marked
    ``real_selection`` keep the default.
    """
    if "real_selection" not in request.keywords:
        from skemo._estimator import training

        monkeypatch.setattr(training, "MIN_SELECTION_TEXTS", 0)
LABELS = ["admiration", "amusement", "gratitude", "neutral"]


def tiny_bert():
    """A 2-layer, 32-wide random BERT sharing MiniLM's vocabulary and tokenizer."""
    from skemo.utils.estimator_checks import tiny_encoder

    return tiny_encoder()


def tiny_llama():
    """A 2-layer, 32-wide random Llama-style decoder (MiniLM's tokenizer)."""
    return LlamaConfig(vocab_size=30522, hidden_size=32, intermediate_size=64,
                       num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=2,
                       max_position_embeddings=128)


def tiny_params(**overrides):
    """Constructor arguments that make any skemo estimator fit in about a second."""
    from skemo.utils import estimator_checks

    return estimator_checks.tiny_params(**overrides)


@pytest.fixture(scope="session")
def tiny_encoder(tmp_path_factory):
    """A directory holding a tiny random BERT and MiniLM's tokenizer, as --encoder takes."""
    from transformers import AutoModel

    from skemo.nn.encoder import DEFAULT_ENCODER, load_tokenizer

    path = tmp_path_factory.mktemp("tiny-encoder")
    AutoModel.from_config(tiny_bert()).save_pretrained(path)
    load_tokenizer(DEFAULT_ENCODER).save_pretrained(path)
    return str(path)


@pytest.fixture(scope="module")
def saved(tmp_path_factory, label_lists):
    """A tiny fitted FineTunedEmotionClassifier saved once per module: (est, path, X)."""
    from skemo import FineTunedEmotionClassifier

    X, y = label_lists
    est = FineTunedEmotionClassifier(**tiny_params(max_epochs=1)).fit(X, y)
    path = tmp_path_factory.mktemp("saved") / "model"
    est.save(path)
    return est, path, X


@pytest.fixture(scope="session")
def sample():
    return load_goemotions_sample()


@pytest.fixture(scope="session")
def multilabel_data():
    """96 sample texts whose labels include one of 4 frequent labels; (X, Y, names)."""
    X, Y = load_goemotions_sample(return_X_y=True, labels=LABELS)
    return X[:N_TEXTS], Y[:N_TEXTS].astype(np.int64), list(LABELS)


@pytest.fixture(scope="session")
def label_lists(multilabel_data):
    X, Y, names = multilabel_data
    return X, [[names[j] for j in np.flatnonzero(row)] for row in Y]


@pytest.fixture(scope="session")
def single_labels(multilabel_data):
    X, Y, names = multilabel_data
    return X, np.array([names[int(np.argmax(row))] for row in Y])
