"""Word attributions: words not pieces, completeness, the model-agnostic path, faithfulness."""

import io
import json
import warnings

import numpy as np
import pytest

import skemo
from skemo import (
    DualObjectiveClassifier,
    FineTunedEmotionClassifier,
    SimilarityEmotionClassifier,
    TACOClassifier,
)
from skemo.cli import main
from skemo.explain import Explanation, attribute_words, remove_words, word_spans
from tests.conftest import tiny_params

TEXT = "Unbelievably, I don't love this: thanks anyway!"


@pytest.fixture(scope="module")
def fitted(multilabel_data):
    X, Y, names = multilabel_data
    params = tiny_params(label_names=names, calibration="temperature")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return FineTunedEmotionClassifier(**params).fit(X, Y)


def completeness(record):
    total = sum(word["attribution"] for word in record["words"])
    return total, record["score"] - record["reference_score"]


def test_words_are_words_of_the_text_not_pieces(fitted):
    tokens = fitted.tokenizer_.tokenize("Unbelievably")
    assert len(tokens) > 1  # the word is split into sub-word pieces...
    explanation = fitted.explain([TEXT], labels=["gratitude", "neutral"])
    assert [record["label"] for record in explanation] == ["gratitude", "neutral"]
    for record in explanation:  # ...and attributed as one word
        assert [w["word"] for w in record["words"]] == [
            "Unbelievably", ",", "I", "don't", "love", "this", ":", "thanks", "anyway", "!"]
        assert all(TEXT[w["start"]:w["end"]] == w["word"] for w in record["words"])
        assert record["method"] == "integrated_gradients"


def test_integrated_gradients_are_complete_and_score_what_predict_proba_says(fitted):
    texts = [TEXT, "wow, what a great idea", "a"]
    explanation = fitted.explain(texts, labels=["admiration", "neutral"], n_steps=64)
    proba = fitted.predict_proba(texts)
    for i, record in enumerate(explanation):
        column = fitted.label_names_.index(record["label"])
        assert record["score"] == pytest.approx(proba[i // 2, column], abs=1e-5)
        total, gap = completeness(record)
        assert total == pytest.approx(gap, abs=2e-3 + 0.02 * abs(gap))


def test_default_labels_are_the_predicted_ones(fitted):
    texts = ["thank you so much", "haha that was funny", "ok"]
    explanation = fitted.explain(texts, method="occlusion")
    predicted = fitted.predict(texts)
    proba = fitted.predict_proba(texts)
    expected = [[fitted.label_names_[j] for j in np.flatnonzero(row)]
                or [fitted.label_names_[int(p.argmax())]] for row, p in zip(predicted, proba)]
    got = [[r["label"] for r in explanation if r["text"] == t] for t in texts]
    assert got == expected


def test_occlusion_is_the_drop_without_each_word(fitted):
    record = fitted.explain([TEXT], labels=["gratitude"], method="occlusion")[0]
    spans = word_spans(TEXT)
    without = [remove_words(TEXT, spans, [k != j for k in range(len(spans))])
               for j in range(len(spans))]
    column = fitted.label_names_.index("gratitude")
    proba = fitted.predict_proba([TEXT, *without, ""])[:, column]
    np.testing.assert_allclose([w["attribution"] for w in record["words"]],
                               proba[0] - proba[1:-1], atol=1e-6)
    assert record["reference_score"] == pytest.approx(proba[-1], abs=1e-6)


def test_shapley_sampling_sums_to_the_gap_to_the_empty_text(fitted):
    first = fitted.explain([TEXT], labels=["neutral"], method="shapley", n_samples=5)[0]
    total, gap = completeness(first)
    assert total == pytest.approx(gap, abs=1e-5)
    again = fitted.explain([TEXT], labels=["neutral"], method="shapley", n_samples=5)[0]
    assert again == first  # seeded by random_state


def test_int8_and_onnx_models_are_explained_through_predict_proba(fitted, tmp_path):
    import copy

    from skemo.export import ONNXEmotionClassifier, export_onnx

    int8 = copy.deepcopy(fitted).set_params(precision="int8")
    record = int8.explain([TEXT], labels=["gratitude"])[0]
    assert record["method"] == "occlusion"
    column = fitted.label_names_.index("gratitude")
    assert record["score"] == pytest.approx(int8.predict_proba([TEXT])[0, column], abs=1e-6)

    onnx = ONNXEmotionClassifier(export_onnx(fitted, tmp_path / "onnx"))
    from_onnx = onnx.explain([TEXT], labels=["gratitude"])[0]
    from_torch = fitted.explain([TEXT], labels=["gratitude"], method="occlusion")[0]
    assert from_onnx["method"] == "occlusion"
    np.testing.assert_allclose([w["attribution"] for w in from_onnx["words"]],
                               [w["attribution"] for w in from_torch["words"]], atol=1e-4)
    with pytest.raises(ValueError, match="needs the gradients of a torch network; this "
                                         "ONNXEmotionClassifier has none"):
        onnx.explain([TEXT], method="integrated_gradients")
    with pytest.raises(ValueError, match=r"ONNXEmotionClassifier scores only the labels it was "
                                         r"fitted on .*labels \['nostalgia'\] cannot be"):
        onnx.explain([TEXT], labels=["nostalgia"])


@pytest.mark.parametrize("cls, params", [
    (SimilarityEmotionClassifier, {}),
    (TACOClassifier, {}),
    (DualObjectiveClassifier, {"score_from": "mean"}),
])
def test_label_text_methods_explain_fitted_and_open_labels(cls, params, multilabel_data):
    X, Y, names = multilabel_data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = cls(**tiny_params(label_names=names, max_epochs=1, calibration="temperature",
                                **params)).fit(X[:48], Y[:48])
    fitted_record = est.explain([TEXT], labels=["gratitude"])[0]
    column = names.index("gratitude")
    assert fitted_record["score"] == pytest.approx(est.predict_proba([TEXT])[0, column],
                                                   abs=1e-5)
    total, gap = completeness(fitted_record)
    assert total == pytest.approx(gap, abs=2e-3 + 0.02 * abs(gap))
    new = {"nostalgia": "a sentimental longing for the past"}
    if cls is DualObjectiveClassifier:
        with pytest.raises(ValueError, match="labels=... needs score_from='similarity'"):
            est.explain([TEXT], labels=new)
        est.set_params(score_from="similarity")
    record = est.explain([TEXT], labels=new)[0]
    assert record["label"] == "nostalgia"
    assert record["score"] == pytest.approx(est.predict_proba([TEXT], labels=new)[0, 0],
                                            abs=1e-5)
    total, gap = completeness(record)
    assert total == pytest.approx(gap, abs=2e-3 + 0.02 * abs(gap))


@pytest.mark.parametrize("name, cls", skemo.all_estimators(),
                         ids=[name for name, _ in skemo.all_estimators()])
def test_every_estimator_explains_its_own_probabilities(name, cls, multilabel_data):
    X, Y, names = multilabel_data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = cls(**tiny_params(label_names=names, max_epochs=1)).fit(X[:48], Y[:48])
    proba = est.predict_proba([TEXT])[0]
    for method in ("integrated_gradients", "occlusion"):
        for record in est.explain([TEXT], labels=names, method=method):
            assert record["score"] == pytest.approx(proba[names.index(record["label"])],
                                                    abs=1e-5)
            assert [w["word"] for w in record["words"]][:2] == ["Unbelievably", ","]
            if method == "integrated_gradients":
                total, gap = completeness(record)
                assert total == pytest.approx(gap, abs=2e-3 + 0.02 * abs(gap))


def test_refusals(fitted, multilabel_data):
    with pytest.raises(ValueError, match=r"FineTunedEmotionClassifier scores only the labels "
                                         r"it was fitted on \(admiration, amusement, "
                                         r"gratitude, neutral\); labels \['nostalgia'\]"):
        fitted.explain([TEXT], labels=["gratitude", "nostalgia"])
    with pytest.raises(ValueError, match="new label descriptions cannot be explained"):
        fitted.explain([TEXT], labels={"gratitude": "being thankful"})
    with pytest.raises(ValueError, match="method must be one of auto, integrated_gradients, "
                                         "occlusion, shapley; got 'lime'"):
        fitted.explain([TEXT], method="lime")
    with pytest.raises(ValueError, match="n_steps must be a positive int; got 0"):
        fitted.explain([TEXT], n_steps=0)
    with pytest.raises(TypeError):
        fitted.explain(TEXT)
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError, match="This FineTunedEmotionClassifier is not fitted "
                                             "yet: call fit before explain"):
        FineTunedEmotionClassifier().explain([TEXT])
    X, Y, names = multilabel_data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frozen = FineTunedEmotionClassifier(**tiny_params(
            label_names=names, freeze_encoder=True, max_epochs=1)).fit(X[:32], Y[:32])
    assert frozen.explain([TEXT], labels=["neutral"])[0]["method"] == "occlusion"
    with pytest.raises(ValueError, match="needs the gradients of a torch network; this "
                                         "FineTunedEmotionClassifier has none"):
        frozen.explain([TEXT], method="integrated_gradients")


def test_a_text_without_words_has_a_record_without_words(fitted):
    record = fitted.explain(["  "], labels=["neutral"], method="occlusion")[0]
    assert record["words"] == [] and record["score"] == record["reference_score"]


LOVE_HATE_FILLER = ("the a my this that movie day song food weather book game city "
                    "trip car show idea team plan work dinner").split()


def love_hate_data(n, rng):
    texts, labels = [], []
    for i in range(n):
        words = list(rng.choice(LOVE_HATE_FILLER, size=6))
        cue = "love" if i % 2 == 0 else "hate"
        words.insert(int(rng.integers(0, 7)), cue)
        texts.append(" ".join(words))
        labels.append(cue)
    return texts, labels


def test_top_attributed_words_matter_more_than_random_words():
    """Removing the top-3 attributed words lowers the label more than removing 3 random ones."""
    rng = np.random.default_rng(0)
    X, y = love_hate_data(96, rng)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = FineTunedEmotionClassifier(**tiny_params(
            max_epochs=15, validation_fraction=None, lr=3e-3)).fit(X, y)
    texts, labels = love_hate_data(12, np.random.default_rng(1))
    assert np.mean(np.array(est.predict(texts)) == np.array(labels)) == 1.0  # it learned
    explanation = est.explain(texts)  # the predicted label of each text
    top_drops, random_drops = [], []
    for record in explanation:
        column = list(est.classes_).index(record["label"])
        spans = [(w["start"], w["end"]) for w in record["words"]]
        order = np.argsort([-w["attribution"] for w in record["words"]])
        top = remove_words(record["text"], spans, [j not in order[:3] for j in range(len(spans))])
        randoms = [remove_words(record["text"], spans,
                                [j not in rng.choice(len(spans), 3, replace=False)
                                 for j in range(len(spans))]) for _ in range(5)]
        proba = est.predict_proba([top, *randoms])[:, column]
        top_drops.append(record["score"] - proba[0])
        random_drops.append(record["score"] - proba[1:].mean())
    assert np.mean(top_drops) > np.mean(random_drops) + 0.1


def test_html_and_records(fitted):
    explanation = fitted.explain(["<b>thanks</b> & love"], labels=["gratitude"],
                                 method="occlusion")
    page = explanation._repr_html_()
    assert "&lt;" in page and "<b>thanks" not in page  # the text is escaped
    assert page.count("<span") == len(explanation[0]["words"])
    records = explanation.to_records()
    assert json.loads(json.dumps(records)) == records
    records[0]["words"].clear()  # a copy
    assert explanation[0]["words"]


def test_attribute_words_by_hand():
    def proba(texts):
        return np.array([[0.2 + 0.5 * ("love" in t) + 0.1 * ("not" in t)] for t in texts])

    explanation = attribute_words(["not love"], [[0]], ["joy"], proba, method="occlusion")
    assert [(w["word"], round(w["attribution"], 6)) for w in explanation[0]["words"]] == [
        ("not", 0.1), ("love", 0.5)]
    assert isinstance(explanation, Explanation) and explanation.top_words(0, 1) == ["love"]


def test_plot_explanation(fitted):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    from skemo.plot import plot_explanation

    explanation = fitted.explain([TEXT], labels=["gratitude", "neutral"], method="occlusion")
    ax = plot_explanation(explanation, 1)
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        w["word"] for w in explanation[1]["words"]]
    assert [p.get_width() for p in ax.patches] == pytest.approx(
        [w["attribution"] for w in explanation[1]["words"]])
    assert ax.get_title().startswith("neutral: p = ")
    with pytest.raises(ValueError, match=r"index must be an int in \[0, 2\); got 2"):
        plot_explanation(explanation, 2)


def test_cli_explain_writes_json_lines(fitted, tmp_path, monkeypatch, capsys):
    fitted.save(tmp_path / "model")
    monkeypatch.setattr("sys.stdin", io.StringIO("thanks a lot\n<3 so good\n"))
    assert main(["explain", str(tmp_path / "model"), "--labels", "gratitude,neutral",
                 "--method", "occlusion"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["text"], r["label"]) for r in lines] == [
        ("thanks a lot", "gratitude"), ("thanks a lot", "neutral"),
        ("<3 so good", "gratitude"), ("<3 so good", "neutral")]
    expected = fitted.explain(["thanks a lot"], labels=["gratitude"], method="occlusion")
    assert [w["word"] for w in lines[0]["words"]] == ["thanks", "a", "lot"]
    np.testing.assert_allclose([w["attribution"] for w in lines[0]["words"]],
                               [w["attribution"] for w in expected[0]["words"]], atol=1e-5)
    monkeypatch.setattr("sys.stdin", io.StringIO("hi\n"))
    assert main(["explain", str(tmp_path / "model"), "--labels", "nostalgia"]) == 2
    assert "scores only the labels it was fitted on" in capsys.readouterr().err
