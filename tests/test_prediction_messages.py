"""What prediction and loading tell the user: unknown-token warnings and progress bars."""

import re
import warnings

import pytest
from transformers.utils import logging as hf_logging

from skemo import FineTunedEmotionClassifier, load
from skemo.cli import main
from skemo.nn.encoder import load_backbone, load_tokenizer
from skemo.utils._text_data import tokenize_texts, unknown_characters

from .conftest import tiny_params

UNKNOWN = ["😂😂😂", "😡", "❤️", "I am happy"]
#: The start of a progress bar: its count still at 0 ("predict:   0%|", "predict: 0text").
BAR_START = re.compile(r"predict:\s+0(?!\d)")


@pytest.fixture(scope="module")
def fitted(multilabel_data, tiny_encoder):
    X, Y, _ = multilabel_data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tiny validation split's
        return FineTunedEmotionClassifier(**tiny_params(encoder=tiny_encoder)).fit(X, Y)


def test_texts_of_unknown_tokens_get_one_warning_naming_their_cause():
    tokenizer = load_tokenizer("all-MiniLM-L6-v2")
    message = (r"^3 of 4 texts are mostly unknown tokens \(\[UNK\]\) for this encoder's "
               r"tokenizer, whose vocabulary lacks their characters \(emoji\): .*"
               r"e\.g\. encoder='cardiffnlp/twitter-xlm-roberta-base'\.$")
    with pytest.warns(UserWarning, match=message) as record:
        ids = tokenize_texts(tokenizer, UNKNOWN, 64)
    assert len(record) == 1
    assert ids[0] == ids[1] == ids[2] == [tokenizer.cls_token_id, tokenizer.unk_token_id,
                                         tokenizer.sep_token_id]
    assert unknown_characters("我 😂 ❤️ 1, ok") == {"Han", "emoji", "Latin"}


def test_plain_english_and_a_few_unknown_pieces_are_not_warned_about():
    tokenizer = load_tokenizer("all-MiniLM-L6-v2")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tokenize_texts(tokenizer, ["I am happy", "so glad 😂", "thanks!!"], 64)


def test_predict_warns_once_per_call_not_per_batch(fitted):
    fitted.set_params(batch_size=2)
    try:
        with pytest.warns(UserWarning, match="^9 of 12 texts are mostly unknown") as record:
            fitted.predict_proba(UNKNOWN * 3)  # six batches
    finally:
        fitted.set_params(batch_size=tiny_params()["batch_size"])
    assert len([w for w in record if "unknown tokens" in str(w.message)]) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fitted.predict_proba(["I am happy", "what a day"])


def test_loading_and_predicting_quietly_prints_no_loading_bar(
        fitted, multilabel_data, tiny_encoder, tmp_path, capfd):
    X, _, _ = multilabel_data
    assert hf_logging.is_progress_bar_enabled()
    load_backbone(tiny_encoder)                       # transformers' own bar, by default
    assert "Loading weights" in capfd.readouterr().err
    fitted.save(tmp_path / "model")
    load(tmp_path / "model").predict(X[:4])
    FineTunedEmotionClassifier(**tiny_params(encoder=tiny_encoder, max_epochs=0)).fit(
        X[:32], multilabel_data[1][:32])
    assert "Loading weights" not in capfd.readouterr().err
    assert hf_logging.is_progress_bar_enabled()       # the setting is put back


def test_one_progress_bar_over_all_texts(fitted, tmp_path, capfd):
    texts = [f"text number {i}" for i in range(3000)]
    fitted.set_params(verbose=1)
    try:
        fitted.predict_proba(texts)
    finally:
        fitted.set_params(verbose=0)
    assert len(BAR_START.findall(capfd.readouterr().err)) == 1
    fitted.save(tmp_path / "model")
    (tmp_path / "texts.txt").write_text("\n".join(texts) + "\n", encoding="utf-8")
    assert main(["predict", str(tmp_path / "model"), "--input", str(tmp_path / "texts.txt"),
                 "--output", str(tmp_path / "out.jsonl"), "-v"]) == 0  # 3 chunks of texts
    err = capfd.readouterr().err
    assert len(BAR_START.findall(err)) == 1
    assert "3000" in err.replace("\r", "\n").splitlines()[-1]
