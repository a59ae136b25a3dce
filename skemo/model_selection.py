"""Train/test splitting that keeps every emotion represented on both sides.

Multi-label targets (a binary indicator matrix, one column per emotion) are
split with iterative stratification (Sechidis et al., 2011) from the
`iterative-stratification` package; single-label targets use scikit-learn's
:class:`~sklearn.model_selection.StratifiedShuffleSplit`.
"""

import numbers
import warnings
from itertools import chain

import numpy as np
from iterstrat.ml_stratifiers import (
    MultilabelStratifiedKFold,
    MultilabelStratifiedShuffleSplit,
    RepeatedMultilabelStratifiedKFold,
)
from sklearn.model_selection import train_test_split
from sklearn.utils import _safe_indexing, check_array, check_random_state, indexable
from sklearn.utils.multiclass import type_of_target

__all__ = [
    "MultilabelStratifiedKFold",
    "MultilabelStratifiedShuffleSplit",
    "RepeatedMultilabelStratifiedKFold",
    "multilabel_train_test_split",
    "validation_split",
]


def multilabel_train_test_split(
    *arrays, test_size=None, train_size=None, random_state=None, stratify=None
):
    """Split arrays into random train and test subsets, stratified per label.

    Same contract and return layout as
    :func:`sklearn.model_selection.train_test_split` (lists stay lists, arrays
    stay arrays, sparse matrices stay sparse), except that a 2-D binary
    indicator ``stratify`` is stratified label by label with
    :class:`MultilabelStratifiedShuffleSplit`. Any other ``stratify`` (1-D
    class labels) or ``None`` is handed to ``train_test_split`` unchanged.

    Parameters
    ----------
    *arrays : sequence of indexables with the same length
        Lists, numpy arrays, scipy-sparse matrices or pandas dataframes.
    test_size : float or int, default=None
        Fraction (float in (0, 1)) or absolute number (int) of test samples.
        If both ``test_size`` and ``train_size`` are None, it is 0.25; if only
        ``test_size`` is None, it is the complement of ``train_size``.
    train_size : float or int, default=None
        Fraction or absolute number of train samples. None means the
        complement of ``test_size``.
    random_state : int, RandomState instance or None, default=None
        Controls the shuffling; pass an int for reproducible output.
    stratify : array-like of shape (n_samples,) or (n_samples, n_labels), \
default=None
        Labels to stratify on: a binary indicator matrix for multi-label
        data, class labels for single-label data, None for no stratification.

    Returns
    -------
    splitting : list of length 2 * len(arrays)
        ``[a_train, a_test, b_train, b_test, ...]``.

    See Also
    --------
    validation_split : Index-only variant used by the estimators.

    Notes
    -----
    When ``train_size + test_size`` covers fewer than all samples, the test
    set is drawn first from all samples and the train set is then drawn from
    the remainder; both draws are stratified. The sides have exactly the
    requested sizes: where iterative stratification misses a size (it may,
    with many labels and a small side), random samples are moved across.

    Examples
    --------
    >>> import numpy as np
    >>> from skemo.model_selection import multilabel_train_test_split
    >>> texts = [f"text {i}" for i in range(8)]
    >>> Y = np.array([[1, 0], [0, 1], [1, 1], [0, 0]] * 2)
    >>> texts_train, texts_test, Y_train, Y_test = multilabel_train_test_split(
    ...     texts, Y, test_size=0.5, random_state=0, stratify=Y)
    >>> len(texts_train), len(texts_test)
    (4, 4)
    >>> Y_train.sum(axis=0), Y_test.sum(axis=0)
    (array([2, 2]), array([2, 2]))
    """
    if stratify is None or type_of_target(stratify) != "multilabel-indicator":
        return train_test_split(
            *arrays,
            test_size=test_size,
            train_size=train_size,
            random_state=random_state,
            stratify=stratify,
        )
    if not arrays:
        raise ValueError("At least one array required as input")
    *arrays, stratify = indexable(*arrays, check_array(stratify, input_name="stratify"))
    indices = np.arange(stratify.shape[0])
    # An unshuffled split of the indices applies train_test_split's own size
    # rules (defaults, int/float handling, error messages) without copying them.
    n_train, n_test = map(
        len,
        train_test_split(
            indices, test_size=test_size, train_size=train_size, shuffle=False
        ),
    )
    rng = check_random_state(random_state)
    test_splitter = MultilabelStratifiedShuffleSplit(
        n_splits=1, test_size=n_test, random_state=rng
    )
    train, test = _exact_size(*next(test_splitter.split(indices, stratify)), n_test, rng)
    if len(train) > n_train:
        train_splitter = MultilabelStratifiedShuffleSplit(
            n_splits=1,
            train_size=n_train,
            test_size=len(train) - n_train,
            random_state=rng,
        )
        kept, dropped = next(train_splitter.split(train, stratify[train]))
        train = train[_exact_size(dropped, kept, n_train, rng)[1]]
    return list(
        chain.from_iterable(
            (_safe_indexing(a, train), _safe_indexing(a, test)) for a in arrays
        )
    )


def _exact_size(rest, chosen, n_chosen, rng):
    """Move random indices between ``rest`` and ``chosen`` until ``chosen`` has ``n_chosen``.

    Iterative stratification meets the requested sizes only approximately
    (with many labels it may return a fraction of a small side); this
    tops a side up with -- or trims it by -- indices drawn at random.
    """
    rest, chosen = np.asarray(rest), np.asarray(chosen)
    if len(chosen) > n_chosen:
        moved = rng.choice(len(chosen), len(chosen) - n_chosen, replace=False)
        keep = np.ones(len(chosen), dtype=bool)
        keep[moved] = False
        rest, chosen = np.concatenate([rest, chosen[moved]]), chosen[keep]
    elif len(chosen) < n_chosen:
        moved = rng.choice(len(rest), n_chosen - len(chosen), replace=False)
        keep = np.ones(len(rest), dtype=bool)
        keep[moved] = False
        rest, chosen = rest[keep], np.concatenate([chosen, rest[moved]])
    return rest, chosen


def validation_split(y, validation_fraction, random_state=None):
    """Hold out a stratified validation split from the training targets.

    A 2-D binary indicator ``y`` is split with
    :class:`MultilabelStratifiedShuffleSplit`, 1-D class labels with
    :class:`~sklearn.model_selection.StratifiedShuffleSplit`. When 1-D labels
    cannot be stratified (a class with fewer than 2 members, or a side smaller
    than the number of classes), a :class:`UserWarning` says why and an
    unstratified :class:`~sklearn.model_selection.ShuffleSplit` is used.

    Parameters
    ----------
    y : array-like of shape (n_samples,) or (n_samples, n_labels)
        Class labels or binary label-indicator matrix.
    validation_fraction : float
        Fraction of the samples to hold out, in the open interval (0, 1).
        The validation split has ``ceil(validation_fraction * n_samples)``
        samples, as with ``train_test_split``.
    random_state : int, RandomState instance or None, default=None
        Controls the shuffling; pass an int for a deterministic split.

    Returns
    -------
    train_indices : ndarray of shape (n_train,), dtype int64
        Sorted positions of the samples to train on.
    valid_indices : ndarray of shape (n_valid,), dtype int64
        Sorted positions of the held-out samples.

    Raises
    ------
    ValueError
        If ``validation_fraction`` is not in (0, 1), if it leaves either side
        empty, or if ``y`` is neither class labels nor an indicator matrix.

    Examples
    --------
    >>> import numpy as np
    >>> from skemo.model_selection import validation_split
    >>> y = np.array(["joy", "anger", "fear", "joy", "anger", "fear"] * 2)
    >>> train_indices, valid_indices = validation_split(y, 0.5, random_state=0)
    >>> valid_indices.dtype, len(train_indices), len(valid_indices)
    (dtype('int64'), 6, 6)
    >>> np.unique(y[valid_indices], return_counts=True)
    (array(['anger', 'fear', 'joy'], dtype='<U5'), array([2, 2, 2]))
    """
    if (
        isinstance(validation_fraction, bool)
        or not isinstance(validation_fraction, numbers.Real)
        or not 0 < validation_fraction < 1
    ):
        raise ValueError(
            "validation_fraction must be a float in the open interval (0, 1), "
            f"got {validation_fraction!r}."
        )
    y = np.asarray(y)
    target_type = type_of_target(y)
    n_samples = y.shape[0]
    n_valid = int(np.ceil(validation_fraction * n_samples))
    n_train = n_samples - n_valid
    if n_train == 0 or n_valid == 0:
        raise ValueError(
            f"validation_fraction={validation_fraction} splits {n_samples} "
            f"samples into {n_train} for training and {n_valid} for "
            "validation; both sides need at least one sample."
        )
    if target_type == "multilabel-indicator":
        stratify = y
    elif target_type in ("binary", "multiclass"):
        stratify = _stratifiable_or_none(y, n_train, n_valid)
    else:
        raise ValueError(
            "y must be 1-D class labels or a 2-D binary indicator matrix, "
            f"got a target of type {target_type!r}."
        )
    train_indices, valid_indices = multilabel_train_test_split(
        np.arange(n_samples),
        test_size=n_valid,
        random_state=random_state,
        stratify=stratify,
    )
    return tuple(
        np.sort(indices).astype(np.int64) for indices in (train_indices, valid_indices)
    )


def _stratifiable_or_none(y, n_train, n_valid):
    """Return ``y`` if StratifiedShuffleSplit can split it, else warn, None."""
    classes, counts = np.unique(y, return_counts=True)
    if counts.min() < 2:
        reason = f"class {classes[counts.argmin()].item()!r} has a single member"
    elif min(n_train, n_valid) < len(classes):
        reason = (
            f"a split of {min(n_train, n_valid)} samples cannot hold all "
            f"{len(classes)} classes"
        )
    else:
        return y
    warnings.warn(
        f"Cannot stratify the validation split because {reason}; "
        "falling back to an unstratified ShuffleSplit.",
        UserWarning,
        stacklevel=3,
    )
    return None
