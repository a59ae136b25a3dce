"""DefinitionAuxiliaryClassifier: task sampling, definition pairs, MLM masking, real encoder."""

import numpy as np
import pytest
import torch
from numpy.testing import assert_array_equal
from transformers import BertForMaskedLM

from skemo import DefinitionAuxiliaryClassifier, FineTunedEmotionClassifier
from skemo.labels import label_descriptions
from skemo.methods.definition_auxiliary import definition_suffixes
from skemo.nn.encoder import load_tokenizer
from skemo.utils._text_data import PadCollator, tokenize_texts

from .conftest import tiny_bert, tiny_params

DEFINITIONS = label_descriptions()


def batch_of(est, texts, y):
    """A training batch as skorch hands it over: padded ids and a target tensor."""
    rows = tokenize_texts(est.tokenizer_, texts, est.max_length)
    return PadCollator(est.tokenizer_.pad_token_id)(list(zip(rows, y)))


def untrained(**params):
    """An initialised, untrained estimator (zero epochs) on four single-label texts."""
    texts = ["thanks a lot", "lol that is funny", "what a great player", "it is tuesday"]
    labels = ["gratitude", "amusement", "admiration", "neutral"]
    est = DefinitionAuxiliaryClassifier(**tiny_params(max_epochs=0, validation_fraction=None,
                                                      **params)).fit(texts, labels)
    est.task_rng_, est.pair_rng_ = np.random.default_rng(0), np.random.default_rng(1)
    return est


def batch_losses(est, key):
    return [b[key] for epoch in est.history for b in epoch["batches"] if key in b]


# ------------------------------------------------------------------ sampling
def test_aux_prob_zero_is_exactly_the_baseline(multilabel_data):
    X, Y, _ = multilabel_data
    est = DefinitionAuxiliaryClassifier(**tiny_params(aux_prob=0.0,
                                                      aux_tasks=("cdp", "mlm"))).fit(X, Y)
    baseline = FineTunedEmotionClassifier(**tiny_params()).fit(X, Y)
    assert_array_equal(est.predict_proba(X), baseline.predict_proba(X))
    assert not batch_losses(est, "train_cdp_loss") and not batch_losses(est, "train_mlm_loss")
    assert len(batch_losses(est, "train_primary_loss")) == len(batch_losses(est, "train_loss"))


def test_primary_head_gets_every_batch_of_the_baseline(multilabel_data):
    # The primary task never gives way: as many primary steps as the baseline takes,
    # with auxiliary losses added on top of about half of them.
    X, Y, _ = multilabel_data
    est = DefinitionAuxiliaryClassifier(**tiny_params(aux_prob=0.5, max_epochs=3)).fit(X, Y)
    baseline = FineTunedEmotionClassifier(**tiny_params(max_epochs=3)).fit(X, Y)
    baseline_steps = len(batch_losses(baseline, "train_loss"))
    assert baseline_steps == 3 * -(-len(X) // 16)
    assert len(batch_losses(est, "train_primary_loss")) == baseline_steps
    assert 0 < len(batch_losses(est, "train_cdp_loss")) < baseline_steps


def test_aux_prob_one_adds_the_auxiliary_tasks_to_every_step(single_labels):
    X, y = single_labels
    params = tiny_params(aux_prob=1.0, aux_tasks=("cdp", "mlm"), max_epochs=1,
                         validation_fraction=None)
    est = DefinitionAuxiliaryClassifier(**params).fit(X, y)
    n_batches = len(est.history[-1, "batches"])
    assert len(batch_losses(est, "train_cdp_loss")) == n_batches
    assert len(batch_losses(est, "train_mlm_loss")) == n_batches
    assert len(batch_losses(est, "train_primary_loss")) == n_batches
    assert "train_cdp_loss" in est.history[-1] and "train_mlm_loss" in est.history[-1]


def test_auxiliary_terms_are_weighted_and_divided_by_n_labels(multilabel_data):
    X, Y, names = multilabel_data
    est = DefinitionAuxiliaryClassifier(**tiny_params(max_epochs=0, label_names=names,
                                                       aux_weight=1.0))
    est.fit(X, Y)
    batch = batch_of(est, X[:8], Y[:8])
    est.module_.eval()  # no dropout: the same pairs give the same losses
    est.pair_rng_ = np.random.default_rng(0)
    unit = est.auxiliary_loss_terms(*batch)["cdp"].item()
    est.set_params(aux_weight=3.0)
    est.pair_rng_ = np.random.default_rng(0)
    assert est.auxiliary_loss_terms(*batch)["cdp"].item() == pytest.approx(3 * unit, rel=1e-5)
    est.pair_rng_ = np.random.default_rng(0)
    pairs = est._definition_pairs(*batch, ("cdp",))  # the same draw again
    with torch.no_grad():
        raw = est.module_.auxiliary_losses(**pairs)["cdp"].item()
    assert unit == pytest.approx(raw / len(names), rel=1e-4)


def test_task_draws_follow_aux_prob():
    est = untrained(aux_prob=0.3, aux_tasks=("mlm", "cdp"))
    draws = [est._draw_step_tasks() for _ in range(4000)]
    assert set(draws) == {(), ("mlm", "cdp")}
    assert np.mean([d != () for d in draws]) == pytest.approx(0.3, abs=0.03)


def auxiliary_steps(est, epochs=slice(None)):
    """Per training batch, whether it added an auxiliary task."""
    return [("train_cdp_loss" in batch or "train_mlm_loss" in batch)
            for epoch in est.history[epochs] for batch in epoch["batches"]
            if "train_loss" in batch]


def test_task_draws_depend_only_on_random_state(multilabel_data):
    X, Y, _ = multilabel_data

    def fit(random_state, aux_tasks):
        return DefinitionAuxiliaryClassifier(**tiny_params(
            random_state=random_state, aux_tasks=aux_tasks, max_epochs=3)).fit(X, Y)

    first = auxiliary_steps(fit(1, ("cdp",)))
    assert set(first) == {True, False}
    assert auxiliary_steps(fit(1, ("mlm",))) == first
    assert auxiliary_steps(fit(2, ("cdp",))) != first


def test_resumed_fit_draws_the_tasks_of_an_uninterrupted_one(multilabel_data, tmp_path,
                                                             monkeypatch):
    X, Y, _ = multilabel_data
    params = tiny_params(max_epochs=3, validation_fraction=None)
    whole = DefinitionAuxiliaryClassifier(**params).fit(X, Y)
    on_epoch_begin = DefinitionAuxiliaryClassifier.on_epoch_begin

    def interrupt_second_epoch(self, net, **kwargs):
        if len(net.history) == 1:  # one epoch done
            raise KeyboardInterrupt
        on_epoch_begin(self, net, **kwargs)

    with monkeypatch.context() as patch:  # a checkpoint of the same fit, after one epoch
        patch.setattr(DefinitionAuxiliaryClassifier, "on_epoch_begin", interrupt_second_epoch)
        with pytest.raises(KeyboardInterrupt):
            DefinitionAuxiliaryClassifier(**params, checkpoint_dir=tmp_path).fit(X, Y)
    resumed = DefinitionAuxiliaryClassifier(**params, checkpoint_dir=tmp_path).fit(X, Y)
    assert resumed.resumed_epochs_ == 1
    assert auxiliary_steps(resumed, slice(1, None)) == auxiliary_steps(whole, slice(1, None))


@pytest.mark.parametrize("aux_tasks", [(), ("nsp",), ("cdp", "cdp"), "cdp"])
def test_bad_aux_tasks_fail_at_fit(aux_tasks, single_labels):
    X, y = single_labels
    with pytest.raises(ValueError, match="aux_tasks"):
        DefinitionAuxiliaryClassifier(**tiny_params(aux_tasks=aux_tasks)).fit(X, y)


# -------------------------------------------------------------- CDP pairs
def test_definition_suffix_is_what_the_pair_encoding_appends():
    tok = load_tokenizer("all-MiniLM-L6-v2")
    suffix = definition_suffixes(tok, ["A feeling of thankfulness."], 64)[0]
    assert tok("hello", "A feeling of thankfulness.")["input_ids"] == (
        tok("hello")["input_ids"] + suffix)
    long = definition_suffixes(tok, ["joy " * 40], 16)[0]
    assert len(long) == 8 and long[-1] == tok.sep_token_id


def test_cdp_pairs_by_hand_single_label():
    est = untrained()
    texts = ["thanks a lot", "lol that is funny", "it is tuesday"]
    y = np.array([2, 1, 3])  # classes_ sorted: admiration, amusement, gratitude, neutral
    assert list(est.classes_) == ["admiration", "amusement", "gratitude", "neutral"]
    X, target = batch_of(est, texts, y)
    pairs = est._definition_pairs(X, target, ("cdp",))
    assert pairs["is_definition"].tolist() == [1, 1, 1, 0, 0, 0]
    tok = est.tokenizer_
    for row, (text, label) in enumerate(zip(texts * 2, [*y, None, None, None])):
        ids = pairs["input_ids"][row][pairs["attention_mask"][row].bool()].tolist()
        matches = [j for j, name in enumerate(est.classes_)
                   if ids == tok(text, DEFINITIONS[name])["input_ids"]]
        assert len(matches) == 1  # [CLS] text [SEP] definition [SEP], as the tokenizer pairs
        if label is not None:
            assert matches == [label]  # the positive is the true class's definition
        else:
            assert matches[0] != y[row - 3]  # the negative is another class's
        expected_types = tok(text, DEFINITIONS[est.classes_[matches[0]]])["token_type_ids"]
        assert pairs["token_type_ids"][row, :len(ids)].tolist() == expected_types
    assert pairs["token_type_ids"][~pairs["attention_mask"].bool()].eq(0).all()


def test_cdp_pairs_multilabel_and_max_length(label_lists):
    # one epoch: the base's fit with max_epochs=0 cannot finish on multi-label y
    est = DefinitionAuxiliaryClassifier(**tiny_params(max_epochs=1, max_length=16,
                                                      validation_fraction=None))
    est.fit(*label_lists)
    long_text = "thank you so much for all of this, you are the best of the best " * 3
    texts = [long_text, "wow", "nothing here"]
    Y = np.array([[1, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 0]], dtype=np.float32)
    X, target = batch_of(est, texts, Y)
    for seed in range(20):
        est.pair_rng_ = np.random.default_rng(seed)
        pairs = est._definition_pairs(X, target, ("cdp",))
        # text 3 has no label: a negative pair only; the others one of each
        assert pairs["is_definition"].tolist() == [1, 1, 0, 0, 0]
        assert pairs["input_ids"].shape[1] <= 16
        lengths = pairs["attention_mask"].sum(dim=1)
        for row, owner in enumerate([0, 1, 0, 1, 2]):
            ids = pairs["input_ids"][row, :lengths[row]].tolist()
            label = next(j for j, suffix in enumerate(est.definition_ids_)
                         if ids[-len(suffix):] == suffix)
            assert (Y[owner, label] == 1) == bool(pairs["is_definition"][row])
            text = ids[:len(ids) - len(est.definition_ids_[label])]
            assert text[0] == est.tokenizer_.cls_token_id
            assert text[-1] == est.tokenizer_.sep_token_id
            assert text[:-1] == X["input_ids"][owner, :len(text) - 1].tolist()


# ---------------------------------------------------------------------- MLM
def test_mlm_masks_fifteen_percent_bert_style(single_labels):
    texts, y = single_labels
    est = untrained(aux_tasks=("mlm",))
    codes = np.searchsorted(est.classes_, y)
    X, target = batch_of(est, texts, codes)
    torch.manual_seed(0)
    pairs = est._definition_pairs(X, target, ("mlm",))
    assert "is_definition" not in pairs and len(pairs["input_ids"]) == len(texts)
    ids, labels, mask = pairs["input_ids"], pairs["mlm_labels"], pairs["attention_mask"]
    masked = labels != -100
    original = torch.where(masked, labels, ids)
    tok = est.tokenizer_
    special = torch.isin(original, torch.tensor(tok.all_special_ids))
    for row, (text, code) in enumerate(zip(texts, codes)):
        expected = tok(text, DEFINITIONS[est.classes_[code]])["input_ids"]
        assert original[row, :mask[row].sum()].tolist() == expected
    assert not masked[special].any()  # never [CLS], [SEP] or padding
    assert masked.sum() / (~special).sum() == pytest.approx(0.15, abs=0.02)
    assert_array_equal(ids[~masked], original[~masked])
    replaced = ids[masked] == tok.mask_token_id
    assert replaced.float().mean() == pytest.approx(0.8, abs=0.05)
    kept = ids[masked] == original[masked]
    assert kept.float().mean() == pytest.approx(0.1, abs=0.04)


def test_mlm_head_is_tied_to_the_input_embeddings():
    est = untrained(aux_tasks=("mlm",))
    embeddings = est.module_.encoder.backbone.get_input_embeddings().weight
    decoder = est.module_.mlm_head.decoder.weight
    assert decoder is embeddings and decoder.data_ptr() == embeddings.data_ptr()
    assert est.module_.definition_head is None
    assert est.module_.mlm_head.decoder.bias.abs().sum() == 0


def test_checkpoint_mlm_head_is_reused(tmp_path):
    torch.manual_seed(0)
    checkpoint = BertForMaskedLM(tiny_bert())
    checkpoint.save_pretrained(tmp_path)
    load_tokenizer("all-MiniLM-L6-v2").save_pretrained(tmp_path)
    est = untrained(encoder=str(tmp_path), aux_tasks=("mlm",))
    head, theirs = est.module_.mlm_head, checkpoint.cls.predictions
    torch.testing.assert_close(head.dense.weight, theirs.transform.dense.weight)
    torch.testing.assert_close(head.layer_norm.bias, theirs.transform.LayerNorm.bias)
    torch.testing.assert_close(head.decoder.bias, theirs.bias)
    assert head.decoder.weight is est.module_.encoder.backbone.get_input_embeddings().weight


# ---------------------------------------------------------- training, inference
def test_inference_uses_only_the_primary_head(label_lists):
    X, y = label_lists
    est = DefinitionAuxiliaryClassifier(**tiny_params(aux_tasks=("cdp", "mlm"))).fit(X, y)
    assert batch_losses(est, "train_cdp_loss") and batch_losses(est, "train_primary_loss")
    expected = est.predict_proba(X)
    head = est.module_.mlm_head
    with torch.no_grad():
        for module in (est.module_.definition_head, head.dense, head.layer_norm):
            for p in module.parameters():
                p.zero_()
        head.decoder.bias.zero_()  # its weight is the word embeddings
    assert_array_equal(est.predict_proba(X), expected)
    assert est.threshold == "auto"


def test_real_minilm_losses_go_down(sample):
    # single-label texts, so that the untrained estimator can be fitted for zero epochs
    rows = np.flatnonzero(sample.target.sum(axis=1) == 1)[:64]
    X = [sample.data[i] for i in rows]
    y = np.array(sample.target_names)[sample.target[rows].argmax(axis=1)]
    est = DefinitionAuxiliaryClassifier(aux_tasks=("cdp", "mlm"), max_epochs=0, lr=2e-4,
                                        batch_size=16, max_length=32, precision="fp32",
                                        validation_fraction=None, random_state=0).fit(X, y)
    X_batch, target = batch_of(est, X, np.searchsorted(est.classes_, y))

    def losses():
        est.pair_rng_ = np.random.default_rng(0)
        torch.manual_seed(0)
        pairs = est._definition_pairs(X_batch, target, ("cdp", "mlm"))
        est.module_.eval()
        with torch.no_grad():
            values = {task: loss.item()
                      for task, loss in est.module_.auxiliary_losses(**pairs).items()}
        proba = est.predict_proba(X)[np.arange(len(X)), target.numpy()]
        return {**values, "primary": -np.log(proba).mean()}

    before = losses()
    est.set_params(max_epochs=3, warm_start=True).fit(X, y)
    after = losses()
    assert set(after) == {"primary", "cdp", "mlm"}
    assert all(after[task] < before[task] for task in after), (before, after)
    assert est.module_.encoder.pooling == "mean"
