"""Label frequencies in the losses: class weights, and the prior that heads start from."""

import numpy as np
from sklearn.utils.class_weight import compute_class_weight


def balanced_label_weights(Y, n_labels, multilabel):
    """Weights for ``class_weight="balanced"``.

    Multi-label: one ``pos_weight`` per label, ``n_negative / n_positive``,
    for :class:`torch.nn.BCEWithLogitsLoss`; a label positive for every text
    has no negatives to balance and keeps weight 1 (a weight of 0 would
    ignore its positives and start its logit at minus infinity). Single-label: scikit-learn's
    ``compute_class_weight("balanced")``, ``n_samples / (n_classes * n_c)``,
    for :class:`torch.nn.CrossEntropyLoss`.

    Parameters
    ----------
    Y : ndarray
        Encoded targets: (n, L) binary indicator, or (n,) class ids; or
        (n, L) probabilities of the labels (multi-label) or classes
        (single-label), e.g. a teacher's.
    n_labels : int
    multilabel : bool

    Returns
    -------
    ndarray of float32, shape (L,)

    Examples
    --------
    >>> import numpy as np
    >>> from skemo.utils._class_weights import balanced_label_weights
    >>> balanced_label_weights(np.array([[1, 0], [0, 1], [0, 1], [0, 1]]), 2, True)
    array([3.        , 0.33333334], dtype=float32)
    >>> balanced_label_weights(np.array([[1, 1], [1, 0]]), 2, True)  # label 0 always on
    array([1., 1.], dtype=float32)
    """
    if multilabel:
        positives = Y.sum(axis=0)
        negatives = len(Y) - positives
        weights = np.divide(negatives, positives, out=np.ones(len(positives)),
                            where=(positives > 0) & (negatives > 0))
        return weights.astype(np.float32)
    present = np.unique(Y)
    weights = np.ones(n_labels, dtype=np.float32)
    weights[present] = compute_class_weight("balanced", classes=present, y=Y)
    return weights


def prior_logits(Y, n_labels, multilabel, weights=None):
    """Logits of the (weighted) label prior: the best constant prediction.

    A head whose bias starts here predicts each label's training frequency
    before it has learnt anything, so training spends its steps on telling
    texts apart, not on learning that most labels are rare. Counts are
    smoothed by one half so that a label with no positives gets a finite bias.

    Multi-label: ``log(w_l p_l / (1 - p_l))``, the minimiser of BCE with
    ``pos_weight`` ``w_l`` (1 without weights). Single-label:
    ``log(w_c p_c)`` centred to mean zero, the minimiser of weighted
    cross-entropy (softmax ignores the centring).

    Parameters
    ----------
    Y : ndarray
        Encoded targets: (n, L) binary indicator, or (n,) class ids; or
        (n, L) probabilities of the labels (multi-label) or classes
        (single-label), e.g. a teacher's.
    n_labels : int
    multilabel : bool
    weights : ndarray of shape (L,) or None
        ``pos_weight`` (multi-label) or class weights (single-label).

    Returns
    -------
    ndarray of float32, shape (L,)

    Examples
    --------
    >>> import numpy as np
    >>> from skemo.utils._class_weights import prior_logits
    >>> prior_logits(np.array([[1, 0], [0, 0], [0, 0]]), 2, True).round(3)  # 1.5/4, 0.5/4
    array([-0.511, -1.946], dtype=float32)
    >>> proba = np.array([[0.5, 0.5], [1.0, 0.0]])  # single-label: 1.5 + 0.5, 0.5 + 0.5
    >>> prior_logits(proba, 2, False).round(3)  # log 2 / 2, -log 2 / 2
    array([ 0.347, -0.347], dtype=float32)
    """
    weights = np.ones(n_labels) if weights is None else np.asarray(weights, dtype=float)
    if multilabel:
        p = (np.asarray(Y).sum(axis=0) + 0.5) / (len(Y) + 1)
        return np.log(weights * p / (1 - p)).astype(np.float32)
    Y = np.asarray(Y)
    counts = Y.sum(axis=0) if Y.ndim == 2 else np.bincount(Y, minlength=n_labels)
    log_p = np.log(weights * (counts + 0.5))
    return (log_p - log_p.mean()).astype(np.float32)
