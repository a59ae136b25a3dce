"""skemo.utils.estimator_checks: the instance generator, the checks, and their failures."""

from numbers import Integral, Real

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.utils._param_validation import Interval, InvalidParameterError, StrOptions

import skemo
from skemo.utils import estimator_checks
from skemo.utils.estimator_checks import (
    CHECKS,
    LABELS,
    check_data,
    check_estimator,
    check_param_validation,
    estimator_checks_generator,
    init_params,
    instances,
    invalid_parameter_values,
    parametrize_with_checks,
    round_trip_params,
    tiny_params,
)


def test_instances_cover_the_parameter_sets():
    found = instances()
    classes = [cls for _, cls in skemo.all_estimators()]
    assert len(found) == sum(len(init_params(cls)) for cls in classes)
    dual = [est.score_from for est in instances(skemo.DualObjectiveClassifier)]
    assert set(dual) == {"head", "similarity", "mean"}
    tasks = {tuple(est.aux_tasks) for est in instances(skemo.DefinitionAuxiliaryClassifier)}
    assert tasks == {("cdp",), ("mlm",), ("cdp", "mlm")}
    assert any(est.gating for est in instances(skemo.MultiHeadValenceClassifier))
    for cls in classes:
        assert any(est.freeze_encoder for est in instances(cls)), cls.__name__
    assert any(est.lora_r for est in found)
    assert all(est.max_epochs == 2 and est.encoder.num_hidden_layers == 2 for est in found)


def test_instances_without_peft_leave_lora_out(monkeypatch):
    real = estimator_checks.importlib.util.find_spec
    monkeypatch.setattr(estimator_checks.importlib.util, "find_spec",
                        lambda name: None if name == "peft" else real(name))
    found = instances(skemo.FineTunedEmotionClassifier)
    assert len(found) == len(init_params(skemo.FineTunedEmotionClassifier)) - 1
    assert all(est.lora_r is None for est in found)


def test_instances_of_an_unlisted_class_and_module_params():
    class Unlisted(skemo.FineTunedEmotionClassifier):
        pass

    (est,) = instances(Unlisted)
    assert type(est) is Unlisted and est.lr == tiny_params()["lr"]
    (taco,) = instances(skemo.TACOClassifier, module_params=True)
    assert taco.get_params()["module__embedding_dim"] == 16
    assert round_trip_params(Unlisted) == {}
    for _, cls in skemo.all_estimators():
        assert "_estimator_check_module_params" in vars(cls), cls.__name__


def test_check_data_kinds_agree():
    X, Y = check_data()
    _, lists = check_data("label_lists")
    _, single = check_data("single_label")
    assert len(X) == len(lists) == len(single) == Y.shape[0] == 96
    assert Y.shape[1] == len(LABELS)
    for row, labels, label in zip(Y, lists, single):
        assert labels == [LABELS[j] for j in np.flatnonzero(row)]
        assert label == LABELS[int(np.argmax(row))]
    Y[0] = 1 - Y[0]  # callers get a copy
    assert_array_equal(check_data()[1][0], 1 - Y[0])
    with pytest.raises(ValueError, match="kind must be"):
        check_data("regression")


class _Constrained:
    _parameter_constraints = {
        "a": [Interval(Integral, 1, 10, closed="both")],
        "b": [StrOptions({"x"}), None],
        "c": "no_validation",
        "d": ["boolean"],
    }


def test_invalid_parameter_values_by_hand():
    pairs = invalid_parameter_values(_Constrained())
    assert [(param, repr(value)) for param, value in pairs] == [
        ("a", "BadType()"), ("a", "0"), ("a", "11"),
        ("b", "BadType()"), ("b", "'not x'"),
        ("d", "BadType()"),
    ]


def test_invalid_values_skip_what_another_constraint_accepts():
    class Overlapping:
        _parameter_constraints = {"t": [Interval(Integral, 0, 1, closed="both"),
                                        Interval(Integral, 2, None, closed="left")]}

    # -1 is refused by both; 2 (above the first) and 1 (below the second) are not
    assert [value for _, value in invalid_parameter_values(Overlapping())][1:] == [-1]


def _finetuned(**overrides):
    return skemo.FineTunedEmotionClassifier(**tiny_params(**overrides))


class SkipsValidation(skemo.FineTunedEmotionClassifier):
    """A method that forgets to validate its parameters."""

    def _check_parameters(self):
        pass


class VagueMessage(skemo.FineTunedEmotionClassifier):
    """A method that refuses bad parameters without naming them."""

    def _check_parameters(self):
        try:
            super()._check_parameters()
        except InvalidParameterError:
            raise InvalidParameterError("a parameter is wrong") from None


def test_param_validation_passes_on_skemo_estimators():
    for _, cls in skemo.all_estimators():
        check_param_validation(cls.__name__, cls(**tiny_params()))


def test_param_validation_catches_missing_validation():
    with pytest.raises(AssertionError, match="instead of an InvalidParameterError|accepted"):
        check_param_validation("SkipsValidation", SkipsValidation(**tiny_params()))


def test_param_validation_catches_a_message_that_names_nothing():
    with pytest.raises(AssertionError, match="not naming the parameter"):
        check_param_validation("VagueMessage", VagueMessage(**tiny_params()))


def test_param_validation_catches_unknown_constrained_parameters():
    class Misdeclared(skemo.FineTunedEmotionClassifier):
        _parameter_constraints = {**skemo.FineTunedEmotionClassifier._parameter_constraints,
                                  "no_such_parameter": [int]}

    with pytest.raises(AssertionError, match="no_such_parameter"):
        check_param_validation("Misdeclared", Misdeclared(**tiny_params()))


def test_generator_and_check_estimator():
    est = _finetuned()
    pairs = list(estimator_checks_generator(est))
    assert [check.func for _, check in pairs] == list(CHECKS)
    assert all(e is est and check.args == ("FineTunedEmotionClassifier",) for e, check in pairs)
    assert check_estimator(est, checks=[check_param_validation]) == ["check_param_validation"]
    with pytest.raises(AssertionError):
        check_estimator(SkipsValidation(**tiny_params()), checks=[check_param_validation])


def test_parametrize_with_checks_names_estimators_and_checks():
    mark = parametrize_with_checks(
        [_finetuned(), _finetuned(freeze_encoder=True)],
        checks=[check_param_validation, estimator_checks.check_fit_predict_indicator])
    assert mark.args[0] == "estimator, check"
    assert len(mark.args[1]) == 4
    ids = [mark.kwargs["ids"](value) for pair in mark.args[1] for value in pair]
    assert ids == ["FineTunedEmotionClassifier()", "check_param_validation",
                   "FineTunedEmotionClassifier()", "check_fit_predict_indicator",
                   "FineTunedEmotionClassifier(freeze_encoder=True)", "check_param_validation",
                   "FineTunedEmotionClassifier(freeze_encoder=True)",
                   "check_fit_predict_indicator"]


class ThirdPartyMethod(skemo.FineTunedEmotionClassifier):
    """A method defined outside skemo, testing itself against skemo's contract."""

    def __init__(self, encoder=skemo.DEFAULT_ENCODER, *, label_smoothing=0.0, **kwargs):
        self.label_smoothing = label_smoothing
        super().__init__(encoder, **kwargs)

    _parameter_constraints = {
        **skemo.FineTunedEmotionClassifier._parameter_constraints,
        "label_smoothing": [Interval(Real, 0, 1, closed="left")],
    }


@parametrize_with_checks(instances(ThirdPartyMethod),
                         checks=[check_param_validation,
                                 estimator_checks.check_fit_predict_label_lists])
def test_a_third_party_method(estimator, check):
    check(estimator)
