"""Encoding of the three kinds of ``y`` skemo accepts, and back.

- ``"indicator"``: a 2-D binary indicator matrix (numpy array, scipy sparse
  matrix or pandas DataFrame) -- multi-label;
- ``"label_lists"``: a sequence of label sequences, e.g. ``[["joy"], [],
  ["anger", "fear"]]`` -- multi-label;
- ``"single"``: a 1-D sequence of labels -- single-label.

A Python list of lists is always read as label lists (as scikit-learn reads
neither); pass a numpy array for an indicator matrix. A list of equal-length
0/1 rows -- what ``Y.tolist()`` gives -- is still read as label lists, with a
warning that it looks like an indicator matrix.

Labels must be of one type (all strings, or all integers), finite, and
categorical: a float ``y`` whose values are not whole numbers is a regression
target and is refused. A single-label ``y`` needs two classes at least. The
columns of a pandas DataFrame ``y`` are matched by name, at fit and after it.

``label_names`` means one of two things, by the type of the labels:

- integer labels (an indicator's columns, class ids): ``label_names[i]`` is
  the name of column or id ``i``;
- string labels: ``label_names`` is the label set, in the order of the
  columns (``classes_``). Every label of ``y`` must be in it; a name that
  no text of ``y`` carries is a label all the same, with a warning (the
  folds of a cross-validation then share their columns).
"""

import numbers
import warnings
from collections.abc import Iterable

import numpy as np
from sklearn.preprocessing import MultiLabelBinarizer

from skemo.utils._warnings import warn_once_per_message

TARGET_KINDS = ("indicator", "label_lists", "single")


def target_kind(y):
    """Which kind of ``y`` this is: ``"indicator"``, ``"label_lists"`` or ``"single"``.

    Examples
    --------
    >>> import numpy as np
    >>> from skemo.utils._targets import target_kind
    >>> target_kind(np.eye(3)), target_kind([["joy"], []]), target_kind(["joy", "fear"])
    ('indicator', 'label_lists', 'single')
    """
    y = as_targets(y)
    if hasattr(y, "toarray") or (hasattr(y, "ndim") and y.ndim == 2):
        return "indicator"
    if hasattr(y, "ndim") and y.ndim != 1:
        raise ValueError(f"y must be 1-D or 2-D; got {y.ndim} dimensions.")
    items = list(y)
    nested = [isinstance(v, (list, tuple, set, frozenset, np.ndarray)) for v in items]
    if all(nested):
        return "label_lists"
    if any(nested):
        raise ValueError("y mixes label lists and single labels; give either one "
                         "label per text or a list of labels for every text.")
    return "single"


def as_targets(y):
    """``y`` itself, or as a numpy array when it offers only ``__array__``."""
    if isinstance(y, (str, bytes)):
        raise TypeError("y must be a sequence of labels or an indicator matrix, "
                        "not a single string.")
    if hasattr(y, "toarray") or hasattr(y, "ndim") or isinstance(y, Iterable):
        return y
    if hasattr(y, "__array__"):
        return np.asarray(y)
    raise TypeError(f"y must be a sequence of labels or an indicator matrix; got "
                    f"{type(y).__name__}.")


def _label_type(v):
    """The family of a label value: "str", "int" or "float" (bools count as int)."""
    if isinstance(v, str):
        return "str"
    if isinstance(v, numbers.Integral):
        return "int"
    if isinstance(v, numbers.Real):
        return "float"
    return type(v).__name__


def _check_labels(values, what):
    """Refuse missing, non-finite, continuous or mixed-type labels, naming one."""
    types = {}
    for i, v in enumerate(values):
        if v is None or (isinstance(v, numbers.Real) and np.isnan(v)):
            raise ValueError(f"{what}[{i}] is {v!r}; labels must not be None or NaN.")
        if isinstance(v, numbers.Real) and not np.isfinite(v):
            raise ValueError(f"{what}[{i}] is {v!r}; labels must be finite.")
        if isinstance(v, numbers.Real) and not float(v).is_integer():
            raise ValueError(f"{what}[{i}] is {v!r}, a continuous value; skemo "
                             "classifies, so labels must be strings or whole numbers.")
        types.setdefault(_label_type(v), i)
    if {"int", "float"} <= set(types):
        types.pop("float")  # 1 and 2.0 are both whole numbers
    if len(types) > 1:
        first = sorted(types.items(), key=lambda item: item[1])
        raise ValueError(f"{what} mixes label types {[t for t, _ in first]} (e.g. "
                         f"{what}[{first[0][1]}] and {what}[{first[1][1]}]); give every "
                         "label as a string, or every label as an integer.")


def _check_label_names(label_names):
    """Refuse a single string or duplicated names; return them as a list or None."""
    if label_names is None:
        return None
    if isinstance(label_names, (str, bytes)):
        raise TypeError(f"label_names must be a sequence of names, not the single "
                        f"string {label_names!r}; wrap it in a list: [{label_names!r}].")
    names = list(label_names)
    seen = {}
    for i, name in enumerate(names):
        if str(name) in seen:
            raise ValueError(f"label_names has the name {str(name)!r} twice (at "
                             f"{seen[str(name)]} and {i}); label names must be unique.")
        seen[str(name)] = i
    return names


def _name_ordered_labels(classes, label_names):
    """The label set ``label_names`` gives string labels ``classes``, in its order.

    Refuses labels of ``y`` that ``label_names`` does not list: they would
    otherwise be learnt under columns the caller does not expect.
    """
    names = [str(name) for name in label_names]
    unlisted = sorted({str(c) for c in classes.tolist()} - set(names))
    if unlisted:
        raise ValueError(f"y has the labels {unlisted}, which label_names {names} does not "
                         "list; label_names must name every label of y (it sets the "
                         "columns of predict_proba). Add them, or leave label_names out.")
    return np.asarray(names)


def _named_columns(y):
    """The column names of a DataFrame ``y``, or None for positional columns."""
    if not hasattr(y, "columns"):
        return None
    columns = list(y.columns)
    if columns == list(range(len(columns))):  # pandas' default RangeIndex
        return None
    return [str(c) for c in columns]


def _warn_if_indicator_rows(rows):
    """Warn when label lists look like the rows of an indicator matrix (``Y.tolist()``)."""
    if len(rows) < 2 or len({len(row) for row in rows}) != 1 or len(rows[0]) < 2:
        return
    if all(isinstance(v, (numbers.Integral, np.integer)) and v in (0, 1)
           for row in rows for v in row):
        warnings.warn(
            f"y is a list of {len(rows)} rows of {len(rows[0])} zeros and ones: it is "
            "read as label lists (labels 0 and 1), which is probably not meant. For "
            "an indicator matrix pass np.asarray(y).", UserWarning, stacklevel=4)


class TargetConverter:
    """Turns any accepted ``y`` into what the loss needs, and predictions back.

    Parameters
    ----------
    label_names : sequence of str or None
        Human-readable label names: the columns of an indicator matrix, or
        the names of integer class ids (``label_names[id]``); for string
        labels, every label, in column order (see the module docstring).

    Attributes
    ----------
    kind : str
        One of :data:`TARGET_KINDS`.
    classes_ : ndarray
        The label values, in column order.
    label_names_ : list of str
        A readable name per column (used to look up label descriptions).

    Examples
    --------
    >>> from skemo.utils._targets import TargetConverter
    >>> enc = TargetConverter().fit([["joy"], ["anger", "joy"]])
    >>> enc.transform([["anger"]]).tolist()
    [[1.0, 0.0]]
    >>> enc.inverse_transform([[1, 1]])
    [['anger', 'joy']]
    """

    def __init__(self, label_names=None):
        self.label_names = label_names

    @property
    def multilabel(self):
        """Whether the targets are multi-label."""
        return self.kind != "single"

    def fit(self, y):
        y = as_targets(y)
        label_names = _check_label_names(self.label_names)
        self.kind = target_kind(y)
        if self.kind == "indicator":
            Y = self._indicator(y)
            columns = _named_columns(y)
            if label_names is not None:
                self.classes_ = np.asarray([str(name) for name in label_names])
            elif columns is not None:
                self.classes_ = np.asarray(columns)
            else:
                self.classes_ = np.arange(Y.shape[1])
            if len(self.classes_) != Y.shape[1]:
                raise ValueError(f"label_names has {len(self.classes_)} names but y has "
                                 f"{Y.shape[1]} columns.")
            self.label_names_ = [str(c) for c in self.classes_]
            self._align_columns(y)  # DataFrame columns that contradict label_names
            return self
        if self.kind == "label_lists":
            rows = [list(row) for row in y]
            _check_labels([v for row in rows for v in row], "the labels of y")
            if not any(rows):
                raise ValueError("every label list of y is empty: there is no label to "
                                 "learn. Give each text the labels it carries.")
            _warn_if_indicator_rows(rows)
            classes = MultiLabelBinarizer().fit(rows).classes_
        else:
            values = np.asarray(list(y), dtype=object)
            _check_labels(values, "y")
            classes = np.unique(np.asarray(values.tolist()))
            if len(classes) < 2:
                raise ValueError(
                    "y needs samples of at least 2 classes in the data, but the data "
                    f"contains only one class: {classes.tolist()[0]!r}. To detect one "
                    "emotion, give label lists instead (e.g. [['joy'], []]).")
        numeric = _label_type(classes.tolist()[0]) != "str"
        if label_names is not None and not numeric:
            classes = _name_ordered_labels(classes, label_names)
        if self.kind == "label_lists":
            self._mlb = MultiLabelBinarizer(classes=list(classes)).fit([])
            classes = self._mlb.classes_
        self.classes_ = classes
        if label_names is not None and numeric:
            ids = self.classes_.astype(np.int64)
            if ids.min() < 0 or ids.max() >= len(label_names):
                raise ValueError(f"y holds the class ids {sorted(set(ids.tolist()))} but "
                                 f"label_names has {len(label_names)} names (ids 0 to "
                                 f"{len(label_names) - 1}); give a name per class id.")
            self.label_names_ = [str(label_names[c]) for c in ids]
        else:
            self.label_names_ = [str(c) for c in self.classes_]
        return self

    @classmethod
    def from_state(cls, kind, classes, label_names):
        """Rebuild a fitted encoder from its saved kind, classes and names."""
        enc = cls()
        enc.kind = kind
        enc.classes_ = np.asarray(classes)
        enc.label_names_ = list(label_names)
        if kind == "label_lists":
            enc._mlb = MultiLabelBinarizer(classes=enc.classes_).fit([])
        return enc

    def _indicator(self, y):
        Y = y.toarray() if hasattr(y, "toarray") else np.asarray(y)
        if Y.ndim != 2 or Y.shape[1] == 0:
            raise ValueError(f"An indicator y must be 2-D with at least one column; "
                             f"got shape {Y.shape}.")
        if Y.dtype.kind == "f" and np.isnan(Y).any():
            raise ValueError("y contains NaN; an indicator matrix holds only 0 and 1.")
        if not np.isin(Y, (0, 1)).all():
            raise ValueError("An indicator y may hold only 0 and 1 (or True/False); "
                             f"found values {np.unique(Y)[:10].tolist()}.")
        return Y.astype(np.float32)

    def _align_columns(self, y):
        """Column positions of DataFrame ``y`` in ``classes_`` order (None: positional).

        Raises when the DataFrame's column names are not the fitted label names.
        """
        columns = _named_columns(y)
        if columns is None:
            return None
        if sorted(columns) != sorted(self.label_names_):
            raise ValueError(f"the columns of y {columns} are not the labels the "
                             f"estimator knows {self.label_names_}; rename them, or pass "
                             "a numpy array to match columns by position.")
        return [columns.index(name) for name in self.label_names_]

    def transform(self, y):
        """Encode ``y``: float32 (n, L) indicator, or int64 (n,) class ids.

        A DataFrame indicator's columns are taken by name, in ``classes_`` order.
        """
        y = as_targets(y)
        kind = target_kind(y)
        if kind != self.kind:
            raise ValueError(f"y is of kind {kind!r} but the estimator was fitted on "
                             f"{self.kind!r} targets.")
        if kind == "indicator":
            Y = self._indicator(y)
            if Y.shape[1] != len(self.classes_):
                raise ValueError(f"y has {Y.shape[1]} columns; the estimator was fitted "
                                 f"on {len(self.classes_)} labels.")
            order = self._align_columns(y)
            return Y if order is None else Y[:, order]
        if kind == "label_lists":
            rows = [list(row) for row in y]
            self._refuse_unseen([v for row in rows for v in row])
            return self._mlb.transform(rows).astype(np.float32)
        values = list(y)
        _check_labels(values, "y")
        self._refuse_unseen(values)
        column = {c: j for j, c in enumerate(self.classes_.tolist())}
        return np.array([column[v] for v in values], dtype=np.int64)

    def _refuse_unseen(self, values):
        """Raise naming the labels in ``values`` that are not ``classes_``."""
        known = self.classes_.tolist()
        unseen = set(values) - set(known)
        if not unseen:
            return
        unseen = sorted((v.item() if isinstance(v, np.generic) else v for v in unseen), key=str)
        hint = ("" if _label_type(known[0]) != "str" else " To know labels that the y of "
                "fit lacks (a fold of a cross-validation), fit with label_names listing "
                "every label.")
        raise ValueError(f"y has labels not seen during fit: {unseen}; the estimator knows "
                         f"{known} and can only be scored on those.{hint}")

    def inverse_transform(self, Y):
        """Turn encoded predictions back into the kind of ``y`` seen at fit."""
        if self.kind == "indicator":
            return np.asarray(Y, dtype=np.int64)
        if self.kind == "label_lists":
            return [list(row) for row in self._mlb.inverse_transform(np.asarray(Y))]
        return self.classes_[np.asarray(Y, dtype=np.int64)]

    def check_label_support(self, Y, *, require_positives):
        """Warn or raise about labels that never or always occur in encoded ``Y``.

        Single-label, a class never occurs when ``label_names`` names it and
        ``y`` has no text of it. Each warning shows once per message
        (``skemo.utils._warnings``), not once per fold of a cross-validation.

        Parameters
        ----------
        Y : ndarray
            Encoded targets from :meth:`transform`.
        require_positives : bool
            Raise (instead of warning) for a label with no positive example
            (multi-label); its class weight needs at least one.
        """
        if self.multilabel:
            counts = Y.sum(axis=0)
            always = [self.label_names_[j] for j in np.flatnonzero(counts == len(Y))]
        else:  # classes named by label_names that y lacks
            counts = np.bincount(Y, minlength=len(self.classes_))
            always = []
        never = [self.label_names_[j] for j in np.flatnonzero(counts == 0)]
        # stacklevel 4: the caller of fit (fit -> _prepare_fit_data -> this method)
        if never:
            msg = f"label(s) {never} have no positive example in y"
            if require_positives and self.multilabel:
                raise ValueError(msg + "; class_weight='balanced' needs at least one "
                                 "positive per label. Drop those columns or use "
                                 "class_weight=None.")
            warn_once_per_message(msg + "; the model can only learn to never predict "
                                  "them.", stacklevel=4)
        if always:
            warn_once_per_message(f"label(s) {always} are positive for every text in y; "
                                  "the model can only learn to always predict them.",
                                  stacklevel=4)
