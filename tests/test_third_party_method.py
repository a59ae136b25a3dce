"""A method defined in another package: registered, checked, saved and loaded without editing skemo.

The package is written to a temporary directory and put on ``sys.path``, as
a user's package would be installed; the registry is restored afterwards so
that the other tests see skemo's methods only.
"""

import json
import sys
import textwrap

import numpy as np
import pytest

import skemo
from skemo.utils import discovery
from skemo.utils.estimator_checks import check_estimator, init_params, instances

from .conftest import tiny_params

PACKAGE = "skemo_toy_method"

TOY_METHOD = '''
"""A toy method: the baseline's network and loss under a key of its own."""

from numbers import Real

from sklearn.utils._param_validation import Interval

from skemo.base import EmotionClassifierBase
from skemo.losses import ClassificationLoss
from skemo.nn import ClassifierHeadModel


class ToyClassifier(EmotionClassifierBase):
    """A toy method with one parameter of its own."""

    method_key = "toy"
    module = ClassifierHeadModel
    criterion = ClassificationLoss
    _estimator_check_params = ({}, {"freeze_encoder": True})
    _estimator_check_module_params = {"module__dropout": 0.2}

    _parameter_constraints = {
        **EmotionClassifierBase._parameter_constraints,
        "toy_weight": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(self, encoder="all-MiniLM-L6-v2", *, toy_weight=1.0, **kwargs):
        self.toy_weight = toy_weight
        super().__init__(encoder, **kwargs)
'''


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    """The toy method's class, imported from a package that skemo knows nothing of."""
    root = tmp_path_factory.mktemp("site-packages")
    (root / PACKAGE).mkdir()
    (root / PACKAGE / "__init__.py").write_text("")
    (root / PACKAGE / "method.py").write_text(textwrap.dedent(TOY_METHOD))
    registry = dict(discovery._REGISTRY)
    sys.path.insert(0, str(root))
    try:
        from skemo_toy_method.method import ToyClassifier

        yield ToyClassifier
    finally:
        sys.path.remove(str(root))
        for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
            del sys.modules[name]
        discovery._REGISTRY.clear()
        discovery._REGISTRY.update(registry)


def test_it_is_registered(toy):
    assert discovery.method_registry()["toy"] is toy
    assert ("ToyClassifier", toy) in skemo.all_estimators()
    assert skemo.methods.METHODS["toy"] is toy
    # skemo's own names and keys stay skemo's
    assert "toy" not in skemo.methods.METHOD_KEYS
    assert "ToyClassifier" not in skemo.__all__


def test_the_estimator_checks_take_its_parameter_sets(toy):
    assert init_params(toy) == [{}, {"freeze_encoder": True}]
    assert [type(est) for est in instances() if type(est) is toy] == [toy, toy]


def test_it_is_listed_in_the_documentation(toy):
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parents[1] / "docs" / "_ext"))
    try:
        from skemo_docs import method_key_lines
    finally:
        sys.path.pop(0)
    assert f"- ``toy``: :class:`~{PACKAGE}.method.ToyClassifier`" in method_key_lines()


def test_it_saves_and_loads(toy, multilabel_data, tmp_path):
    X, Y, names = multilabel_data
    est = toy(**tiny_params(max_epochs=1, toy_weight=0.5, label_names=names)).fit(X, Y)
    est.save(tmp_path / "model")
    meta = json.loads((tmp_path / "model" / "skemo.json").read_text())
    assert meta["class"] == f"{PACKAGE}.method:ToyClassifier"
    loaded = skemo.load(tmp_path / "model")
    assert type(loaded) is toy and loaded.toy_weight == 0.5
    np.testing.assert_allclose(loaded.predict_proba(X), est.predict_proba(X), atol=1e-6)
    assert type(toy.from_pretrained(tmp_path / "model")) is toy
    with pytest.raises(TypeError, match="holds a ToyClassifier, not a TACOClassifier"):
        skemo.TACOClassifier.from_pretrained(tmp_path / "model")


def test_it_passes_the_public_estimator_checks(toy):
    passed = check_estimator(instances(toy)[0])
    assert "check_save_load_round_trip" in passed and "check_param_validation" in passed
