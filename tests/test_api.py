"""What a user sees of the API: signatures, docstrings, repr, text embeddings, import cost.

Every estimator's signature and numpydoc ``Parameters`` list the parameters
it inherits (composed by :mod:`skemo.utils._docstring`), its ``repr`` shows
only the non-default parameters, ``transform`` returns the pooled text
embeddings, and ``import skemo`` loads no torch.
"""

import inspect
import pydoc
import re
import subprocess
import sys

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

import skemo
from skemo import EmotionClassifierBase, FineTunedEmotionClassifier, TACOClassifier
from skemo.utils._docstring import inherit_parameters, split_sections
from skemo.utils._repr import REPR_WIDTH

from .conftest import tiny_params

ESTIMATORS = skemo.all_estimators()
IDS = [name for name, _ in ESTIMATORS]

BASE_PARAMETERS = [name for name, p in inspect.signature(EmotionClassifierBase).parameters.items()
                   if p.kind is not p.VAR_KEYWORD]


def own_parameters(cls):
    """Parameters named by the ``__init__`` of ``cls`` or of its bases, not composed."""
    names = []
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is not None and issubclass(klass, EmotionClassifierBase):
            code = init.__code__
            names += [n for n in code.co_varnames[1:code.co_argcount + code.co_kwonlyargcount]
                      if n not in names]
    return names


# ---------------------------------------------------------------- signatures
@pytest.mark.parametrize("name, cls", ESTIMATORS, ids=IDS)
def test_signature_lists_the_inherited_parameters(name, cls):
    params = inspect.signature(cls).parameters
    assert set(BASE_PARAMETERS) <= set(params)
    assert set(own_parameters(cls)) <= set(params)
    assert list(params)[0] == "encoder"
    assert list(params.values())[-1].kind is inspect.Parameter.VAR_KEYWORD


@pytest.mark.parametrize("name, cls", ESTIMATORS, ids=IDS)
def test_signature_defaults_are_what_the_estimator_stores(name, cls):
    stored = cls().get_params(deep=False)
    for param, p in inspect.signature(cls).parameters.items():
        if p.kind is not p.VAR_KEYWORD:
            assert repr(stored[param]) == repr(p.default), param


def test_a_subclass_default_wins_over_the_base_default():
    assert inspect.signature(TACOClassifier).parameters["batch_size"].default == 64
    assert inspect.signature(FineTunedEmotionClassifier).parameters["batch_size"].default == 32


def test_inherited_parameters_work_through_the_composed_signature():
    est = TACOClassifier(alpha=0.2, max_epochs=7, lr=1e-4, module__embedding_dim=8)
    twin = clone(est)
    assert (twin.alpha, twin.max_epochs, twin.lr) == (0.2, 7, 1e-4)
    assert twin.get_params()["module__embedding_dim"] == 8
    twin.set_params(max_epochs=2, optimizer__betas=(0.8, 0.9))
    assert twin.max_epochs == 2 and twin.get_params()["optimizer__betas"] == (0.8, 0.9)
    with pytest.raises(TypeError):
        TACOClassifier("all-MiniLM-L6-v2", 0.2)  # inherited parameters are keyword-only


# ---------------------------------------------------------------- docstrings
def documented_parameters(cls):
    _, sections = split_sections(cls.__doc__)
    return [line.split(" : ")[0] for line in sections["Parameters"]
            if line and not line.startswith(" ")]


@pytest.mark.parametrize("name, cls", ESTIMATORS, ids=IDS)
def test_parameters_section_lists_the_signature_in_order(name, cls):
    signature = [("**" + n if p.kind is p.VAR_KEYWORD else n)
                 for n, p in inspect.signature(cls).parameters.items()]
    assert documented_parameters(cls) == signature


@pytest.mark.parametrize("name, cls", ESTIMATORS, ids=IDS)
def test_numpydoc_reads_every_parameter_and_the_base_attributes(name, cls):
    numpydoc = pytest.importorskip("numpydoc.docscrape")
    doc = numpydoc.ClassDoc(cls)
    names = [p.name for p in doc["Parameters"]]
    assert set(BASE_PARAMETERS) <= set(names)
    lr = next(p for p in doc["Parameters"] if p.name == "lr")
    assert "learning rate" in " ".join(lr.desc)
    assert {"classes_", "thresholds_", "history_"} <= {a.name for a in doc["Attributes"]}


@pytest.mark.parametrize("name, cls", ESTIMATORS, ids=IDS)
def test_every_parameter_has_a_description(name, cls):
    numpydoc = pytest.importorskip("numpydoc.docscrape")
    described = {p.name: " ".join(p.desc).strip()
                 for p in numpydoc.ClassDoc(cls)["Parameters"]}
    parameters = [n for n, p in inspect.signature(cls).parameters.items()
                  if p.kind is not p.VAR_KEYWORD]
    assert [n for n in parameters if not described.get(n)] == []


def test_help_shows_the_inherited_parameters():
    text = pydoc.render_doc(TACOClassifier, renderer=pydoc.plaintext)
    signature = text.split("\n")[3]
    assert "max_epochs: 'int | str' = 'auto'" in signature
    assert "threshold: 'float | str' = 'auto'" in signature
    assert "lr : float" in text and "Peak learning rate of AdamW" in text  # Parameters
    assert "alpha : float, default=0.45" in text  # its own


def test_a_class_without_parameters_section_gets_one_before_its_examples():
    _, sections = split_sections(FineTunedEmotionClassifier.__doc__)
    titles = list(sections)
    assert titles.index("Parameters") < titles.index("Examples")
    assert documented_parameters(FineTunedEmotionClassifier)[:3] == [
        "encoder", "tokenizer", "pooling"]


class _Base:
    """Base.

    Parameters
    ----------
    lr : float, default=0.1
        Learning rate.
    threshold : float, default=0.5
        Decision threshold.
    **kwargs
        Passed on to the optimiser.

    Attributes
    ----------
    classes_ : ndarray
        The labels.
    """

    def __init__(self, *, lr=0.1, threshold=0.5, **kwargs):
        self.lr, self.threshold = lr, threshold


def test_composition_by_hand():
    @inherit_parameters
    class Child(_Base):
        """Child.

        Parameters
        ----------
        alpha : float, default=1.0
            Weight.
        threshold : float
        **kwargs
            See the base.

        Examples
        --------
        >>> Child()
        """

        def __init__(self, alpha=1.0, *, threshold=0.3, **kwargs):
            self.alpha = alpha
            super().__init__(threshold=threshold, **kwargs)

    assert str(inspect.signature(Child)) == "(alpha=1.0, *, threshold=0.3, lr=0.1, **kwargs)"
    assert Child.__doc__ == inspect.cleandoc('''
        Child.

        Parameters
        ----------
        alpha : float, default=1.0
            Weight.
        threshold : float
            Decision threshold.
        lr : float, default=0.1
            Learning rate.
        **kwargs
            Passed on to the optimiser.

            See the base.

        Attributes
        ----------
        classes_ : ndarray
            The labels.

        Examples
        --------
        >>> Child()
        ''') + "\n"


def test_an_inherited_default_the_subclass_changed_is_rewritten():
    @inherit_parameters
    class Child(_Base):
        """Child."""

        def __init__(self, *, lr=0.5, **kwargs):
            super().__init__(lr=lr, **kwargs)

    @inherit_parameters
    class Grandchild(Child):
        """Grandchild."""

        def __init__(self, *, threshold="tuned", **kwargs):
            super().__init__(threshold=threshold, **kwargs)

    assert documented_parameters(Grandchild) == ["threshold", "lr", "**kwargs"]
    assert 'threshold : float, default="tuned"' in Grandchild.__doc__
    assert "lr : float, default=0.5" in Grandchild.__doc__  # Child's, which documents none
    assert "lr : float, default=0.1" in _Base.__doc__
    assert str(inspect.signature(Grandchild)) == "(*, threshold='tuned', lr=0.5, **kwargs)"


# ---------------------------------------------------------------------- repr
@pytest.mark.parametrize("name, cls", ESTIMATORS, ids=IDS)
def test_default_repr_is_the_bare_class(name, cls):
    assert repr(cls()) == f"{name}()"


def test_repr_shows_the_non_default_parameters_in_signature_order():
    est = TACOClassifier(max_epochs=1, alpha=0.3, lr=1e-4, module__embedding_dim=8)
    assert repr(est) == ("TACOClassifier(alpha=0.3, lr=0.0001, max_epochs=1, "
                         "module__embedding_dim=8)")
    twin = eval(repr(est), {"TACOClassifier": TACOClassifier})
    assert twin.get_params(deep=False) == est.get_params(deep=False)


def test_repr_names_classes_and_configs_and_stays_after_fit(multilabel_data):
    X, Y, names = multilabel_data
    est = FineTunedEmotionClassifier(**tiny_params(max_epochs=1, label_names=names))
    before = repr(est)
    assert before.startswith("FineTunedEmotionClassifier(encoder=BertConfig(...),")
    assert "[uninitialized]" not in before and "module=" not in before
    est.fit(X, Y)
    assert repr(est) == before


def test_long_reprs_wrap_like_scikit_learn():
    labels = [f"emotion_number_{i}" for i in range(12)]
    text = repr(FineTunedEmotionClassifier(label_names=labels, batch_size=8))
    lines = text.split("\n")
    assert len(lines) > 2 and max(map(len, lines)) <= REPR_WIDTH
    assert all(line.startswith(" " * len("FineTunedEmotionClassifier(")) for line in lines[1:])
    assert eval(text, {"FineTunedEmotionClassifier": FineTunedEmotionClassifier}).label_names \
        == labels


# ----------------------------------------------------------------- transform
def test_transform_returns_the_pooled_embeddings(multilabel_data):
    X, Y, names = multilabel_data
    est = FineTunedEmotionClassifier(**tiny_params(label_names=names, pooling="mean"))
    with pytest.raises(NotFittedError):
        est.transform(X[:2])
    est.fit(X, Y)
    embeddings = est.transform(X[:12])
    assert embeddings.shape == (12, 32) and embeddings.dtype == np.float32
    # rows do not depend on the batch they were encoded in (length-sorted batches)
    np.testing.assert_allclose(est.transform([X[5]])[0], embeddings[5], atol=1e-5)
    # they are what the fitted module's encoder makes of the tokens
    import torch

    tok = est.tokenizer_(X[:3], padding=True, return_tensors="pt")
    with torch.no_grad():
        expected = est.module_.encoder(tok["input_ids"], tok["attention_mask"]).numpy()
    np.testing.assert_allclose(embeddings[:3], expected, atol=1e-5)


@pytest.mark.parametrize("name, cls", ESTIMATORS, ids=IDS)
def test_every_estimator_transforms(name, cls, multilabel_data):
    X, Y, names = multilabel_data
    est = cls(**tiny_params(label_names=names, max_epochs=1)).fit(X, Y)
    embeddings = est.transform(X[:5])
    assert embeddings.shape == (5, 32) and np.isfinite(embeddings).all()
    assert not np.allclose(embeddings[0], embeddings[1])


def test_transform_of_a_frozen_encoder_equals_the_unfrozen_one_before_training(
        multilabel_data):
    X, Y, names = multilabel_data
    params = tiny_params(label_names=names, max_epochs=0, validation_fraction=None)
    frozen = FineTunedEmotionClassifier(**params, freeze_encoder=True).fit(X, Y)
    plain = FineTunedEmotionClassifier(**params).fit(X, Y)
    np.testing.assert_allclose(frozen.transform(X[:8]), plain.transform(X[:8]), atol=1e-5)


def test_feature_names_name_the_columns_of_transform(multilabel_data):
    pd = pytest.importorskip("pandas")
    X, Y, names = multilabel_data
    est = FineTunedEmotionClassifier(**tiny_params(label_names=names, max_epochs=1))
    with pytest.raises(NotFittedError):
        est.get_feature_names_out()
    est.fit(X, Y)
    columns = [f"embedding{i}" for i in range(32)]
    assert est.get_feature_names_out().tolist() == columns
    assert est.get_feature_names_out(["comment"]).tolist() == columns
    with pytest.raises(ValueError, match=re.escape(
            "input_features must name the one column of texts; got ['a', 'b'].")):
        est.get_feature_names_out(["a", "b"])
    embeddings = est.transform(X[:3])
    frame = est.set_output(transform="pandas").transform(pd.Series(X[:3], index=[7, 8, 9]))
    assert list(frame.columns) == columns and list(frame.index) == [7, 8, 9]
    np.testing.assert_allclose(frame.to_numpy(), embeddings, atol=1e-6)
    assert isinstance(est.set_output(transform="default").transform(X[:3]), np.ndarray)


def test_embeddings_as_named_columns_of_a_column_transformer(multilabel_data):
    pd = pytest.importorskip("pandas")
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, Y, names = multilabel_data
    frame = pd.DataFrame({"comment": X, "length": [len(t) for t in X]})
    columns = ColumnTransformer(
        [("emb", FineTunedEmotionClassifier(**tiny_params(label_names=names, max_epochs=1)),
          "comment"),
         ("n", StandardScaler(), ["length"])]).set_output(transform="pandas")
    y = Y.argmax(axis=1)
    pipe = make_pipeline(columns, LogisticRegression()).fit(frame, y)
    features = pipe[0].transform(frame.iloc[:4])
    assert list(features.columns) == [*(f"emb__embedding{i}" for i in range(32)), "n__length"]
    np.testing.assert_allclose(features.iloc[:, :32].to_numpy(),
                               pipe[0].named_transformers_["emb"].transform(X[:4]),
                               atol=1e-6)
    assert pipe.predict(frame.iloc[:4]).shape == (4,)


# ------------------------------------------------------------------- imports
def test_import_skemo_and_the_command_line_help_load_no_torch():
    code = ("import sys, skemo, skemo.cli\n"
            "try:\n    skemo.cli.main(['--help'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('torch', 'transformers', 'skorch', 'sklearn')"
            " if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
    assert "fit" in out.stdout  # the help was printed


def test_package_is_typed():
    from importlib.resources import files

    assert files("skemo").joinpath("py.typed").is_file()


def test_a_third_party_subclass_with_a_required_parameter():
    class Mine(FineTunedEmotionClassifier):
        """A method of someone else's."""

        def __init__(self, encoder, *, gamma=2.0, **kwargs):
            self.gamma = gamma
            super().__init__(encoder, **kwargs)

    assert list(inspect.signature(Mine).parameters)[:3] == ["encoder", "gamma", "tokenizer"]
    assert "encoder : str, path-like or transformers.PretrainedConfig\n" in Mine.__doc__
    assert repr(Mine("x")) == "Mine(encoder='x')"
    assert repr(Mine("x", gamma=3.0, lr=1e-4)) == "Mine(encoder='x', gamma=3.0, lr=0.0001)"
