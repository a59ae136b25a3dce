"""Encoding of the three kinds of ``y`` skemo accepts, and back.

- ``"indicator"``: a 2-D binary indicator matrix (numpy array, scipy sparse
  matrix or pandas DataFrame) -- multi-label;
- ``"label_lists"``: a sequence of label sequences, e.g. ``[["joy"], [],
  ["anger", "fear"]]`` -- multi-label;
- ``"single"``: a 1-D sequence of labels -- single-label.

A Python list of lists is always read as label lists (as scikit-learn reads
neither); pass a numpy array for an indicator matrix.
"""

import warnings

import numpy as np
from sklearn.preprocessing import LabelEncoder, MultiLabelBinarizer

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


def _check_labels(values, what):
    for i, v in enumerate(values):
        if v is None or (isinstance(v, float) and np.isnan(v)):
            raise ValueError(f"{what}[{i}] is {v!r}; labels must not be None or NaN.")


class TargetConverter:
    """Turns any accepted ``y`` into what the loss needs, and predictions back.

    Parameters
    ----------
    label_names : sequence of str or None
        Human-readable label names: the columns of an indicator matrix, or
        the names of integer class ids (``label_names[id]``).

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
        self.kind = target_kind(y)
        if self.kind == "indicator":
            Y = self._indicator(y)
            if self.label_names is not None:
                self.classes_ = np.asarray(self.label_names)
            elif hasattr(y, "columns"):
                self.classes_ = np.asarray(y.columns)
            else:
                self.classes_ = np.arange(Y.shape[1])
            if len(self.classes_) != Y.shape[1]:
                raise ValueError(f"label_names has {len(self.classes_)} names but y has "
                                 f"{Y.shape[1]} columns.")
            self.label_names_ = [str(c) for c in self.classes_]
            return self
        if self.kind == "label_lists":
            rows = [list(row) for row in y]
            for row in rows:
                _check_labels(row, "a label list of y")
            self._mlb = MultiLabelBinarizer().fit(rows)
            self.classes_ = self._mlb.classes_
        else:
            values = np.asarray(list(y), dtype=object)
            _check_labels(values, "y")
            self._le = LabelEncoder().fit(values.tolist())
            self.classes_ = self._le.classes_
        if self.label_names is not None and self.classes_.dtype.kind in "iu":
            self.label_names_ = [str(self.label_names[c]) for c in self.classes_]
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
        elif kind == "single":
            enc._le = LabelEncoder().fit(enc.classes_)
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

    def transform(self, y):
        """Encode ``y``: float32 (n, L) indicator, or int64 (n,) class ids."""
        kind = target_kind(y)
        if kind != self.kind:
            raise ValueError(f"y is of kind {kind!r} but the estimator was fitted on "
                             f"{self.kind!r} targets.")
        if kind == "indicator":
            Y = self._indicator(y)
            if Y.shape[1] != len(self.classes_):
                raise ValueError(f"y has {Y.shape[1]} columns; the estimator was fitted "
                                 f"on {len(self.classes_)} labels.")
            return Y
        if kind == "label_lists":
            rows = [list(row) for row in y]
            known = set(self.classes_.tolist())
            unknown = sorted({str(v) for row in rows for v in row if v not in known})
            if unknown:
                raise ValueError(f"y contains labels not seen during fit: {unknown}.")
            return self._mlb.transform(rows).astype(np.float32)
        values = list(y)
        _check_labels(values, "y")
        known = set(self.classes_.tolist())
        unknown = sorted({str(v) for v in values if v not in known})
        if unknown:
            raise ValueError(f"y contains labels not seen during fit: {unknown}.")
        return self._le.transform(values).astype(np.int64)

    def inverse_transform(self, Y):
        """Turn encoded predictions back into the kind of ``y`` seen at fit."""
        if self.kind == "indicator":
            return np.asarray(Y, dtype=np.int64)
        if self.kind == "label_lists":
            return [list(row) for row in self._mlb.inverse_transform(np.asarray(Y))]
        return self._le.inverse_transform(np.asarray(Y))

    def check_label_support(self, Y, *, require_positives):
        """Warn or raise about labels that never or always occur in encoded ``Y``.

        Parameters
        ----------
        Y : ndarray
            Encoded targets from :meth:`transform`.
        require_positives : bool
            Raise (instead of warning) for a label with no positive example;
            class weights need at least one.
        """
        if not self.multilabel:
            return
        counts = Y.sum(axis=0)
        never = [self.label_names_[j] for j in np.flatnonzero(counts == 0)]
        always = [self.label_names_[j] for j in np.flatnonzero(counts == len(Y))]
        if never:
            msg = f"label(s) {never} have no positive example in y"
            if require_positives:
                raise ValueError(msg + "; class_weight='balanced' needs at least one "
                                 "positive per label. Drop those columns or use "
                                 "class_weight=None.")
            warnings.warn(msg + "; the model can only learn to never predict them.",
                          UserWarning, stacklevel=3)
        if always:
            warnings.warn(f"label(s) {always} are positive for every text in y; the "
                          "model can only learn to always predict them.", UserWarning,
                          stacklevel=3)
