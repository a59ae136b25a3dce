"""Label weights that counter class imbalance in the classification losses."""

import numpy as np
from sklearn.utils.class_weight import compute_class_weight


def balanced_label_weights(Y, n_labels, multilabel):
    """Weights for ``class_weight="balanced"``.

    Multi-label: one ``pos_weight`` per label, ``n_negative / n_positive``,
    for :class:`torch.nn.BCEWithLogitsLoss`. Single-label: scikit-learn's
    ``compute_class_weight("balanced")``, ``n_samples / (n_classes * n_c)``,
    for :class:`torch.nn.CrossEntropyLoss`.

    Parameters
    ----------
    Y : ndarray
        Encoded targets: (n, L) binary indicator, or (n,) class ids.
    n_labels : int
    multilabel : bool

    Returns
    -------
    ndarray of float32, shape (L,)

    Examples
    --------
    >>> import numpy as np
    >>> from skemo.class_weights import balanced_label_weights
    >>> balanced_label_weights(np.array([[1, 0], [0, 1], [0, 1], [0, 1]]), 2, True)
    array([3.       , 0.3333333], dtype=float32)
    """
    if multilabel:
        positives = Y.sum(axis=0)
        return ((len(Y) - positives) / positives).astype(np.float32)
    present = np.unique(Y)
    weights = np.ones(n_labels, dtype=np.float32)
    weights[present] = compute_class_weight("balanced", classes=present, y=Y)
    return weights
