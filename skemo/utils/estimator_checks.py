"""skemo's estimator contract, as checks any text emotion classifier can run.

scikit-learn's :func:`~sklearn.utils.estimator_checks.parametrize_with_checks`
feeds numeric arrays, which text estimators cannot take, so it tests little of
a skemo estimator. This module holds the checks skemo runs on its own
estimators, on text, so that a third-party method (a subclass of
:class:`~skemo.base.EmotionClassifierBase`, or any estimator that takes a
sequence of strings) can test itself against the same contract:

- fit and predict with each kind of ``y`` (indicator matrix, label lists,
  1-D labels), returning ``predict`` in the kind it was fitted on;
- ``clone`` gives an unfitted twin and ``get_params``/``set_params`` round
  trip; equal ``random_state`` gives bit-identical fits;
- every parameter declared in ``_parameter_constraints`` refuses a value of
  the wrong type, and a value of the right type outside its range, at
  ``fit``, with a message naming the parameter;
- pickling and :meth:`~skemo.base.EmotionClassifierBase.save` /
  :func:`skemo.load` reproduce the fitted estimator, ``module__*``
  parameters included.

The checks fit tiny random-weight encoders built from a config
(:func:`tiny_encoder`), so each takes about a second on a CPU. Each method
declares the parameter sets it is checked with beside its code, in the
class attributes ``_estimator_check_params`` (several sets, as
imbalanced-learn's ``INIT_PARAMS``) and ``_estimator_check_module_params``
(``module__*`` values for the save/load round trip); :func:`init_params`
and :func:`round_trip_params` read them and :func:`instances` builds the
estimators, for every registered method
(:func:`skemo.utils.discovery.all_estimators`) when given none.

Examples
--------
Test a method in a pytest module:

>>> from skemo import FineTunedEmotionClassifier
>>> from skemo.utils.estimator_checks import instances, parametrize_with_checks
>>> @parametrize_with_checks(instances(FineTunedEmotionClassifier))
... def test_skemo_contract(estimator, check):
...     check(estimator)

Or run every check at once:

>>> from skemo.utils.estimator_checks import check_estimator, tiny_params
>>> check_estimator(FineTunedEmotionClassifier(**tiny_params()))  # doctest: +SKIP
"""

import importlib.util
import io
import re
import tempfile
from functools import lru_cache, partial
from pathlib import Path

import joblib
import numpy as np
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.utils._param_validation import (
    Interval,
    InvalidParameterError,
    generate_invalid_param_val,
    make_constraint,
)

from skemo.datasets import load_goemotions_sample
from skemo.hub import load
from skemo.utils.discovery import all_estimators

#: The labels of the check data: four frequent labels of the GoEmotions sample.
LABELS = ("admiration", "amusement", "gratitude", "neutral")

#: Number of texts the checks fit on.
N_TEXTS = 96

#: Training settings of the checks (on top of :func:`tiny_encoder`).
TINY_PARAMS = {"max_epochs": 2, "batch_size": 16, "lr": 2e-3, "max_length": 64,
               "random_state": 0, "precision": "fp32"}

def init_params(cls):
    """The parameter sets ``cls`` is checked with, each on top of :func:`tiny_params`.

    A method declares them in its class attribute ``_estimator_check_params``
    (a sequence of dicts: e.g. every ``score_from`` view, ``gating``, each
    ``aux_tasks``, ``freeze_encoder`` and LoRA); a class that declares none
    of its own is checked with :func:`tiny_params` alone.

    Examples
    --------
    >>> from skemo import TACOClassifier
    >>> from skemo.utils.estimator_checks import init_params
    >>> init_params(TACOClassifier)
    [{}, {'freeze_encoder': True}]
    """
    return [dict(params) for params in vars(cls).get("_estimator_check_params", ({},))]


def round_trip_params(cls):
    """Non-default ``module__*`` values of ``cls`` for the save/load round trip.

    Declared in the class attribute ``_estimator_check_module_params`` (a
    dict); none of its own gives ``{}``.

    Examples
    --------
    >>> from skemo import TACOClassifier
    >>> from skemo.utils.estimator_checks import round_trip_params
    >>> round_trip_params(TACOClassifier)
    {'module__embedding_dim': 16}
    """
    return dict(vars(cls).get("_estimator_check_module_params", {}))


def tiny_encoder():
    """A random 2-layer, 32-wide BERT config sharing MiniLM's vocabulary and tokenizer.

    Returns
    -------
    transformers.BertConfig

    Examples
    --------
    >>> from skemo.utils.estimator_checks import tiny_encoder
    >>> tiny_encoder().hidden_size
    32
    """
    from transformers import BertConfig

    return BertConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                      intermediate_size=64, max_position_embeddings=128)


def tiny_params(**overrides):
    """Constructor arguments with which a skemo estimator fits in about a second.

    Parameters
    ----------
    **overrides
        Arguments that replace or add to the defaults.

    Returns
    -------
    dict

    Examples
    --------
    >>> from skemo.utils.estimator_checks import tiny_params
    >>> params = tiny_params(max_epochs=1)
    >>> params["max_epochs"], params["encoder"].num_hidden_layers
    (1, 2)
    """
    return {"encoder": tiny_encoder(), **TINY_PARAMS, **overrides}


def instances(*classes, module_params=False):
    """Estimators to check: one per parameter set of :func:`init_params`.

    Parameters
    ----------
    *classes : type
        Estimator classes; a class that declares no parameter sets gives one
        instance with :func:`tiny_params`. None given: every registered
        estimator (:func:`~skemo.utils.discovery.all_estimators`).
    module_params : bool, default=False
        Give one instance per class with its :func:`round_trip_params` instead.

    Returns
    -------
    list of estimator
        Unfitted estimators; sets with ``lora_r`` are left out when ``peft``
        is not installed.

    Examples
    --------
    >>> from skemo import DualObjectiveClassifier
    >>> from skemo.utils.estimator_checks import instances
    >>> [est.score_from for est in instances(DualObjectiveClassifier)]
    ['head', 'similarity', 'mean', 'head']
    """
    has_peft = importlib.util.find_spec("peft") is not None
    found = []
    for cls in classes or [cls for _, cls in all_estimators()]:
        param_sets = [round_trip_params(cls)] if module_params else init_params(cls)
        found += [cls(**tiny_params(**params)) for params in param_sets
                  if has_peft or "lora_r" not in params]
    return found


@lru_cache(maxsize=1)
def _sample():
    X, Y = load_goemotions_sample(return_X_y=True, labels=list(LABELS))
    return tuple(X[:N_TEXTS]), Y[:N_TEXTS].astype(np.int64)


def check_data(kind="indicator"):
    """The texts and targets the checks fit on (GoEmotions sample, 4 labels).

    Parameters
    ----------
    kind : {"indicator", "label_lists", "single_label"}, default="indicator"
        The kind of ``y``: an indicator matrix, a list of label lists, or a
        1-D array with each text's first label.

    Returns
    -------
    X : list of str
    y : ndarray or list of lists

    Examples
    --------
    >>> from skemo.utils.estimator_checks import check_data
    >>> X, y = check_data("single_label")
    >>> len(X), y.shape, sorted(set(y.tolist()))[:2]
    (96, (96,), ['admiration', 'amusement'])
    """
    X, Y = _sample()
    if kind == "indicator":
        return list(X), Y.copy()
    if kind == "label_lists":
        return list(X), [[LABELS[j] for j in np.flatnonzero(row)] for row in Y]
    if kind == "single_label":
        return list(X), np.array([LABELS[int(np.argmax(row))] for row in Y])
    raise ValueError(f"kind must be 'indicator', 'label_lists' or 'single_label'; "
                     f"got {kind!r}.")


def check_fit_predict_indicator(name, estimator):
    """An indicator ``y`` gives probabilities in [0, 1] and a 0/1 ``predict`` of its shape.

    Parameters
    ----------
    name : str
        The estimator's name, for messages.
    estimator : estimator
        An unfitted estimator (it is cloned).
    """
    X, Y = check_data("indicator")
    est = clone(estimator).set_params(label_names=list(LABELS)).fit(X, Y)
    proba, pred = est.predict_proba(X[:10]), est.predict(X[:10])
    assert proba.shape == (10, len(LABELS)), f"{name}: predict_proba shape {proba.shape}"
    assert np.all((proba >= 0) & (proba <= 1)), f"{name}: probabilities outside [0, 1]"
    assert pred.shape == (10, len(LABELS)) and set(np.unique(pred)) <= {0, 1}, name
    assert_array_equal(est.classes_, LABELS)
    assert est.multilabel_ and len(est.thresholds_) == len(LABELS), name
    assert 0.0 <= est.score(X, Y) <= 1.0


def check_fit_predict_label_lists(name, estimator):
    """Label lists in give label lists out, drawn from ``classes_``.

    Parameters
    ----------
    name : str
        The estimator's class name, for the messages.
    estimator : estimator
        An unfitted estimator (each check clones it).
    """
    X, y = check_data("label_lists")
    est = clone(estimator).fit(X, y)
    pred = est.predict(X[:10])
    assert isinstance(pred, list) and len(pred) == 10, f"{name}: predict gave {type(pred)}"
    assert all(set(row) <= set(est.classes_) for row in pred), name
    assert est.predict_proba(X[:10]).shape == (10, len(est.classes_)), name


def check_fit_predict_single_label(name, estimator):
    """1-D labels give a softmax ``predict_proba`` and 1-D labels out.

    Parameters
    ----------
    name : str
        The estimator's class name, for the messages.
    estimator : estimator
        An unfitted estimator (each check clones it).
    """
    X, y = check_data("single_label")
    est = clone(estimator).fit(X, y)
    assert_allclose(est.predict_proba(X[:10]).sum(axis=1), 1.0, rtol=1e-5,
                    err_msg=f"{name}: single-label rows do not sum to 1")
    pred = est.predict(X[:10])
    assert pred.shape == (10,) and set(pred) <= set(y), name
    assert not est.multilabel_, name


def check_clone_is_unfitted(name, estimator):
    """``clone`` of a fitted estimator is unfitted; ``set_params`` changes the twin only.

    Parameters
    ----------
    name : str
        The estimator's class name, for the messages.
    estimator : estimator
        An unfitted estimator (each check clones it).
    """
    X, Y = check_data("indicator")
    est = clone(estimator).set_params(label_names=list(LABELS)).fit(X, Y)
    twin = clone(est)
    assert not hasattr(twin, "classes_") and not hasattr(twin, "module_"), name
    assert set(twin.get_params(deep=False)) == set(est.get_params(deep=False)), name
    lr = est.lr
    twin.set_params(lr=0.123, threshold=0.25)
    assert twin.get_params()["lr"] == 0.123 and twin.threshold == 0.25, name
    assert est.lr == lr, f"{name}: set_params on a clone changed the original"


def check_random_state_repeatable(name, estimator):
    """Equal ``random_state`` gives bit-identical probabilities; another seed differs.

    Parameters
    ----------
    name : str
        The estimator's class name, for the messages.
    estimator : estimator
        An unfitted estimator (each check clones it).
    """
    X, Y = check_data("indicator")
    named = clone(estimator).set_params(label_names=list(LABELS))
    first = clone(named).set_params(random_state=3).fit(X, Y).predict_proba(X)
    again = clone(named).set_params(random_state=3).fit(X, Y).predict_proba(X)
    assert_array_equal(first, again, err_msg=f"{name}: equal seeds, different fits")
    other = clone(named).set_params(random_state=4).fit(X, Y).predict_proba(X)
    assert not np.array_equal(first, other), f"{name}: random_state changes nothing"


class _BadType:
    """A value no parameter constraint accepts."""

    def __repr__(self):
        return "BadType()"


def invalid_parameter_values(estimator):
    """``(parameter, value)`` pairs that ``_parameter_constraints`` must refuse.

    For each constrained parameter: a value of no accepted type, then, per
    constraint, values of an accepted type outside the accepted values
    (scikit-learn's ``generate_invalid_param_val``, and one above an
    interval's upper bound) that no other constraint of the parameter accepts.

    Parameters
    ----------
    estimator : estimator
        An estimator with a ``_parameter_constraints`` dict.

    Returns
    -------
    list of (str, object)

    Examples
    --------
    >>> from skemo import FineTunedEmotionClassifier
    >>> from skemo.utils.estimator_checks import invalid_parameter_values
    >>> pairs = invalid_parameter_values(FineTunedEmotionClassifier())
    >>> [value for param, value in pairs if param == "warmup_ratio"]
    [BadType(), -1e-06, 2]
    """
    pairs = []
    for param, constraints in estimator._parameter_constraints.items():
        if constraints == "no_validation":
            continue
        pairs.append((param, _BadType()))
        constraints = [make_constraint(constraint) for constraint in constraints]
        for constraint in constraints:
            values = []
            try:
                values.append(generate_invalid_param_val(constraint))
            except NotImplementedError:  # scikit-learn knows no invalid value for it
                pass
            if isinstance(constraint, Interval) and constraint.right is not None:
                values.append(constraint.right + 1)
            pairs += [(param, value) for value in values
                      if not any(other.is_satisfied_by(value) for other in constraints)]
    return pairs


def check_param_validation(name, estimator):
    """Every invalid value of a constrained parameter fails ``fit``, naming the parameter.

    The error must be scikit-learn's ``InvalidParameterError`` (a
    ``ValueError`` and ``TypeError``) raised before any training, with the
    message "The '<parameter>' parameter of <estimator> must be ... Got ...
    instead.".

    Parameters
    ----------
    name : str
        The estimator's class name, for the messages.
    estimator : estimator
        An estimator with a ``_parameter_constraints`` dict covering only
        parameters that ``get_params`` returns.
    """
    params = estimator.get_params(deep=False)
    unknown = set(estimator._parameter_constraints) - set(params)
    assert not unknown, f"{name}._parameter_constraints names unknown parameters {unknown}"
    X, Y = check_data("indicator")
    X, Y = X[:8], Y[:8]
    cls = type(estimator).__name__
    for param, value in invalid_parameter_values(estimator):
        est = clone(estimator).set_params(**{param: value})
        match = rf"The '{re.escape(param)}' parameter of {cls} must be .* Got .* instead\."
        try:
            est.fit(X, Y)
        except InvalidParameterError as error:
            assert re.search(match, str(error)), (
                f"{name}: {param}={value!r} raised {error!r}, not naming the parameter")
        except Exception as error:
            raise AssertionError(f"{name}: {param}={value!r} raised {error!r} instead of an "
                                 "InvalidParameterError") from error
        else:
            raise AssertionError(f"{name}: fit accepted the invalid {param}={value!r}")


def check_pickle_round_trip(name, estimator):
    """A pickled (joblib) fitted estimator predicts exactly as the original.

    Parameters
    ----------
    name : str
        The estimator's class name, for the messages.
    estimator : estimator
        An unfitted estimator (each check clones it).
    """
    X, Y = check_data("indicator")
    est = clone(estimator).set_params(label_names=list(LABELS)).fit(X, Y)
    buffer = io.BytesIO()
    joblib.dump(est, buffer)
    buffer.seek(0)
    assert_array_equal(joblib.load(buffer).predict_proba(X), est.predict_proba(X),
                       err_msg=f"{name}: unpickled estimator predicts differently")


def check_save_load_round_trip(name, estimator):
    """``save`` then :func:`skemo.load` gives the same class, parameters and predictions.

    Fitted with ``threshold="tuned"``; every parameter the estimator was
    given, ``module__*`` ones included, must come back.

    Parameters
    ----------
    name : str
        The estimator's class name, for the messages.
    estimator : estimator
        An unfitted estimator (each check clones it).
    """
    X, Y = check_data("indicator")
    est = clone(estimator).set_params(label_names=list(LABELS), threshold="tuned")
    est.fit(X, Y)
    with tempfile.TemporaryDirectory() as tmp:
        est.save(Path(tmp) / "model")
        loaded = load(Path(tmp) / "model")
    assert type(loaded) is type(est), f"{name}: loaded a {type(loaded).__name__}"
    expected = {key: value for key, value in est.get_params(deep=False).items()
                if key.startswith(("module__", "criterion__", "optimizer__"))}
    got = loaded.get_params(deep=False)
    assert {key: got.get(key) for key in expected} == expected, (
        f"{name}: prefixed parameters lost on save")
    assert_allclose(loaded.predict_proba(X), est.predict_proba(X), rtol=1e-6, atol=1e-7,
                    err_msg=f"{name}: loaded estimator predicts differently")
    assert_array_equal(loaded.predict(X), est.predict(X))
    assert_array_equal(loaded.thresholds_, est.thresholds_)
    assert_array_equal(loaded.classes_, est.classes_)


#: skemo's checks, in the order :func:`estimator_checks_generator` yields them.
CHECKS = (
    check_param_validation,
    check_fit_predict_indicator,
    check_fit_predict_label_lists,
    check_fit_predict_single_label,
    check_clone_is_unfitted,
    check_random_state_repeatable,
    check_pickle_round_trip,
    check_save_load_round_trip,
)


def estimator_checks_generator(estimator, checks=CHECKS):
    """Yield ``(estimator, check)`` pairs, each check taking the estimator alone.

    Parameters
    ----------
    estimator : estimator
        An unfitted estimator (each check clones it).
    checks : sequence of callable, default=CHECKS
        Checks called as ``check(name, estimator)``.

    Yields
    ------
    (estimator, callable)

    Examples
    --------
    >>> from skemo import TACOClassifier
    >>> from skemo.utils.estimator_checks import estimator_checks_generator
    >>> pairs = list(estimator_checks_generator(TACOClassifier()))
    >>> pairs[0][1].func.__name__
    'check_param_validation'
    """
    name = type(estimator).__name__
    for check in checks:
        yield estimator, partial(check, name)


def _check_id(value):
    """pytest ids: the check's name, or the estimator's class and non-default parameters."""
    if isinstance(value, partial):
        return value.func.__name__
    own = {key: val for key, val in value.get_params(deep=False).items()
           if key in _distinct_params(value)}
    return f"{type(value).__name__}({', '.join(f'{k}={v!r}' for k, v in own.items())})"


def _distinct_params(estimator):
    """The parameters an instance sets beyond :func:`tiny_params` and its class defaults."""
    defaults = type(estimator)().get_params(deep=False)
    params = estimator.get_params(deep=False)
    return [key for key, value in params.items()
            if key not in TINY_PARAMS and key != "encoder"
            and (key not in defaults or _differs(defaults[key], value))]


def _differs(a, b):
    try:
        return bool(a != b)
    except (TypeError, ValueError):
        return a is not b


def parametrize_with_checks(estimators, checks=CHECKS):
    """A pytest decorator running skemo's checks on each estimator (as scikit-learn's).

    Parameters
    ----------
    estimators : sequence of estimator
        Unfitted estimators, e.g. from :func:`instances`.
    checks : sequence of callable, default=CHECKS
        Checks called as ``check(name, estimator)``.

    Returns
    -------
    decorator
        ``pytest.mark.parametrize("estimator, check", ...)``: the test is
        called with each estimator and each check, and should call
        ``check(estimator)``.

    Examples
    --------
    >>> from skemo import FineTunedEmotionClassifier
    >>> from skemo.utils.estimator_checks import parametrize_with_checks, tiny_params
    >>> @parametrize_with_checks([FineTunedEmotionClassifier(**tiny_params())])
    ... def test_contract(estimator, check):
    ...     check(estimator)
    """
    import pytest

    pairs = [pair for est in estimators for pair in estimator_checks_generator(est, checks)]
    return pytest.mark.parametrize("estimator, check", pairs, ids=_check_id)


def check_estimator(estimator, checks=CHECKS):
    """Run skemo's checks on ``estimator``; the first failing check raises.

    Parameters
    ----------
    estimator : estimator
        An unfitted estimator (each check clones it).
    checks : sequence of callable, default=CHECKS
        The checks to run, each called as ``check(name, estimator)``.

    Returns
    -------
    list of str
        The names of the checks that passed (all of them).
    """
    passed = []
    for est, check in estimator_checks_generator(estimator, checks):
        check(est)
        passed.append(check.func.__name__)
    return passed


__all__ = [
    "CHECKS",
    "LABELS",
    "check_clone_is_unfitted",
    "check_data",
    "check_estimator",
    "check_fit_predict_indicator",
    "check_fit_predict_label_lists",
    "check_fit_predict_single_label",
    "check_param_validation",
    "check_pickle_round_trip",
    "check_random_state_repeatable",
    "check_save_load_round_trip",
    "estimator_checks_generator",
    "init_params",
    "instances",
    "invalid_parameter_values",
    "parametrize_with_checks",
    "round_trip_params",
    "tiny_encoder",
    "tiny_params",
]
