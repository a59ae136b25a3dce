import iterstrat.ml_stratifiers as ml_stratifiers
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.model_selection import train_test_split

import skemo.model_selection as model_selection
from skemo.model_selection import multilabel_train_test_split, validation_split


def make_multilabel(n_samples=120, n_labels=6, seed=0):
    rng = np.random.RandomState(seed)
    rates = np.linspace(0.05, 0.5, n_labels)
    Y = (rng.rand(n_samples, n_labels) < rates).astype(int)
    Y[: 2 * n_labels : 2, :] = np.eye(n_labels, dtype=int)  # >= 4 positives/label
    Y[1 : 2 * n_labels : 2, :] = np.eye(n_labels, dtype=int)
    return Y


@pytest.mark.parametrize(
    "name",
    [
        "MultilabelStratifiedKFold",
        "MultilabelStratifiedShuffleSplit",
        "RepeatedMultilabelStratifiedKFold",
    ],
)
def test_iterstrat_splitters_are_reexported(name):
    assert getattr(model_selection, name) is getattr(ml_stratifiers, name)
    assert name in model_selection.__all__


def test_multilabel_split_sizes_alignment_and_coverage():
    Y = make_multilabel()
    X = np.arange(len(Y))
    texts = [f"text {i}" for i in X]
    X_train, X_test, t_train, t_test, Y_train, Y_test = multilabel_train_test_split(
        X, texts, Y, test_size=0.25, random_state=0, stratify=Y
    )
    assert (len(X_train), len(X_test)) == (90, 30)
    assert set(X_train).isdisjoint(X_test) and len(set(X_train) | set(X_test)) == 120
    assert isinstance(t_train, list) and isinstance(t_test, list)
    assert isinstance(Y_train, np.ndarray)
    assert t_test == [f"text {i}" for i in X_test]
    np.testing.assert_array_equal(Y_test, Y[X_test])
    assert np.all(Y_train.sum(axis=0) > 0) and np.all(Y_test.sum(axis=0) > 0)
    # Each label's test share stays close to 25 %.
    share = Y_test.sum(axis=0) / Y.sum(axis=0)
    assert np.all(np.abs(share - 0.25) <= 0.1)


def test_multilabel_split_default_test_size_and_determinism():
    Y = make_multilabel(n_samples=50)
    first = multilabel_train_test_split(np.arange(50), random_state=3, stratify=Y)
    again = multilabel_train_test_split(np.arange(50), random_state=3, stratify=Y)
    other = multilabel_train_test_split(np.arange(50), random_state=4, stratify=Y)
    assert len(first[1]) == 13  # ceil(0.25 * 50), as in train_test_split
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[1], other[1])


def test_multilabel_split_honours_train_size_below_the_complement():
    Y = make_multilabel()
    train, test = multilabel_train_test_split(
        np.arange(120), train_size=60, test_size=30, random_state=0, stratify=Y
    )
    assert (len(train), len(test)) == (60, 30)
    assert set(train).isdisjoint(test)
    assert np.all(Y[train].sum(axis=0) > 0) and np.all(Y[test].sum(axis=0) > 0)


@pytest.mark.parametrize("stratify", [None, "one_d"])
def test_other_stratify_is_sklearn_train_test_split(stratify):
    X = np.arange(40).reshape(20, 2)
    labels = np.array([0, 1] * 10)
    stratify = labels if stratify == "one_d" else None
    ours = multilabel_train_test_split(
        X, list(labels), test_size=0.3, random_state=1, stratify=stratify
    )
    theirs = train_test_split(
        X, list(labels), test_size=0.3, random_state=1, stratify=stratify
    )
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a, b)
    assert isinstance(ours[2], list)


def test_multilabel_split_errors():
    Y = make_multilabel(n_samples=20)
    with pytest.raises(ValueError, match="At least one array"):
        multilabel_train_test_split(stratify=Y)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        multilabel_train_test_split(np.arange(19), stratify=Y)
    with pytest.raises(ValueError, match="test_size"):
        multilabel_train_test_split(np.arange(20), test_size=25, stratify=Y)


def test_validation_split_multilabel():
    Y = make_multilabel()
    train, valid = validation_split(Y, 0.2, random_state=0)
    assert train.dtype == np.int64 and valid.dtype == np.int64
    assert np.all(np.diff(train) > 0) and np.all(np.diff(valid) > 0)
    assert len(valid) == 24 and len(train) == 96
    np.testing.assert_array_equal(np.union1d(train, valid), np.arange(120))
    assert np.all(Y[train].sum(axis=0) > 0) and np.all(Y[valid].sum(axis=0) > 0)
    again = validation_split(Y, 0.2, random_state=0)
    np.testing.assert_array_equal(again[1], valid)


def test_validation_split_single_label_is_stratified():
    y = np.repeat(["joy", "anger", "fear", "sadness"], [40, 20, 10, 10])
    train, valid = validation_split(y, 0.1, random_state=0)
    classes, counts = np.unique(y[valid], return_counts=True)
    assert dict(zip(classes, counts)) == {"anger": 2, "fear": 1, "joy": 4, "sadness": 1}
    assert len(train) == 72
    np.testing.assert_array_equal(validation_split(y, 0.1, random_state=0)[0], train)


def test_validation_split_warns_on_singleton_class():
    y = np.array([0] * 10 + [1] * 9 + [2])
    with pytest.warns(UserWarning, match="class 2 has a single member.*ShuffleSplit"):
        train, valid = validation_split(y, 0.25, random_state=0)
    assert len(valid) == 5 and len(train) == 15
    np.testing.assert_array_equal(np.union1d(train, valid), np.arange(20))


def test_validation_split_warns_when_split_cannot_hold_every_class():
    y = np.repeat(np.arange(5), 4)
    match = "split of 2 samples cannot hold all 5 classes"
    with pytest.warns(UserWarning, match=match):
        train, valid = validation_split(y, 0.1, random_state=0)
    assert len(valid) == 2


@pytest.mark.parametrize("fraction", [0, 1, -0.1, 1.5, True, "0.2", None])
def test_validation_split_rejects_bad_fraction(fraction):
    with pytest.raises(ValueError, match="validation_fraction"):
        validation_split(np.array([0, 1] * 5), fraction)


def test_validation_split_rejects_empty_side_and_bad_targets():
    with pytest.raises(ValueError, match="validation_fraction=0.5 splits 1 samples"):
        validation_split(np.array([0]), 0.5)
    with pytest.raises(ValueError, match="continuous"):
        validation_split(np.linspace(0, 1, 10), 0.2)


@settings(max_examples=40, deadline=None)
@given(n_samples=st.integers(20, 300), n_labels=st.integers(2, 30),
       train=st.integers(1, 10**6), test=st.floats(0.05, 0.5), seed=st.integers(0, 10**6))
def test_split_sides_have_exactly_the_requested_sizes(n_samples, n_labels, train, test, seed):
    """Item 10: iterative stratification's sizes are corrected (1 -> 0, 5 -> 2 before)."""
    rng = np.random.RandomState(seed)
    Y = (rng.rand(n_samples, n_labels) < rng.uniform(0.02, 0.4, n_labels)).astype(int)
    X = np.arange(n_samples)
    n_test = int(np.ceil(test * n_samples))
    n_train = 1 + train % (n_samples - n_test)
    X_train, X_test = multilabel_train_test_split(X, train_size=n_train, test_size=n_test,
                                                  random_state=seed, stratify=Y)[:2]
    assert (len(X_train), len(X_test)) == (n_train, n_test)
    assert not set(X_train) & set(X_test)


def test_many_labels_small_train_side_is_exact():
    from skemo.datasets import load_goemotions_sample

    X, Y = load_goemotions_sample(return_X_y=True)
    for n_train in (1, 5, 100):
        X_train, X_test = multilabel_train_test_split(X, train_size=n_train, test_size=0.2,
                                                      random_state=0, stratify=Y)[:2]
        assert (len(X_train), len(X_test)) == (n_train, 201)


# ------------------------------------ a warning about the data, once per cross-validation
def test_a_grid_search_warns_about_a_label_without_positives_once():
    import uuid
    import warnings

    from sklearn.model_selection import GridSearchCV, KFold

    from skemo import FineTunedEmotionClassifier

    from .conftest import tiny_params

    never = f"never-{uuid.uuid4().hex[:8]}"  # a message no other test has shown
    X = [f"text number {i}" for i in range(24)]
    Y = np.zeros((24, 3), dtype=int)
    Y[::2, 0] = Y[1::2, 1] = 1
    est = FineTunedEmotionClassifier(**tiny_params(max_epochs=1, validation_fraction=None),
                                     label_names=["joy", "fear", never])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")  # Python's own action for a UserWarning
        GridSearchCV(est, {"lr": [1e-3, 2e-3]}, cv=KFold(3)).fit(X, Y)  # 6 fits and a refit
    shown = [str(w.message) for w in caught if never in str(w.message)]
    assert shown == [f"label(s) ['{never}'] have no positive example in y; the model can "
                     "only learn to never predict them."]


def test_a_warning_shown_once_still_follows_the_caller_s_filters():
    import uuid
    import warnings

    from skemo.utils._warnings import warn_once_per_message

    message = f"the data set is small ({uuid.uuid4().hex})"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(3):
            warn_once_per_message(message)
    assert len(caught) == 3
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(UserWarning, match="the data set is small"):
            warn_once_per_message(message)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        for _ in range(3):
            with warnings.catch_warnings():  # filters change between them, as in each fold
                warn_once_per_message(message)
    assert len(caught) == 1 and caught[0].filename == __file__
