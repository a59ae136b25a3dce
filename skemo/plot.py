"""Plots for emotion classifiers: per-label F1, label co-occurrence, confusion,
threshold curves, the valence-arousal circumplex and word attributions.

Every function draws on ``ax`` (a new figure's axes when None) and returns
the :class:`matplotlib.axes.Axes` it drew on. matplotlib is an optional
dependency: install it with ``pip install 'skemo[plot]'``.
"""

import numpy as np
from sklearn.metrics import (
    f1_score,
    precision_recall_curve,
    precision_recall_fscore_support,
)

from skemo.labels import circumplex_coordinates
from skemo.thresholds import tune_thresholds

__all__ = [
    "plot_circumplex",
    "plot_confusion",
    "plot_cooccurrence",
    "plot_explanation",
    "plot_label_f1",
    "plot_threshold_curves",
]


def _pyplot():
    """``matplotlib.pyplot``, or an ImportError naming the extra to install."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError("skemo.plot needs matplotlib: pip install 'skemo[plot]'") from error
    return plt


def _axes(ax, figsize):
    """``ax``, or the axes of a new figure of ``figsize``."""
    if ax is not None:
        return ax
    _, ax = _pyplot().subplots(figsize=figsize, layout="constrained")
    return ax


def _names(target_names, n_labels):
    """``target_names`` as a list of str, or ``"0"``, ``"1"``, ... when None."""
    if target_names is None:
        return [str(i) for i in range(n_labels)]
    names = [str(name) for name in target_names]
    if len(names) != n_labels:
        raise ValueError(f"target_names has {len(names)} names for {n_labels} labels.")
    return names


def _check_indicator(Y, name):
    """``Y`` as a 2-D int array of 0s and 1s, or a ValueError naming it."""
    Y = np.asarray(Y)
    if Y.ndim != 2 or not np.isin(Y, (0, 1)).all():
        raise ValueError(f"{name} must be a binary indicator matrix of shape "
                         f"(n_samples, n_labels); got an array of shape {Y.shape}.")
    return Y.astype(int)


def plot_explanation(explanation, index=0, *, ax=None):
    """The word attributions of one text and label, as bars in reading order.

    Parameters
    ----------
    explanation : skemo.explain.Explanation
        As ``explain`` returns it.
    index : int, default=0
        The record to draw (one per text and label, in the order of
        ``explanation``).
    ax : matplotlib.axes.Axes or None, default=None
        The axes to draw on; None: those of a new figure.

    Returns
    -------
    ax : matplotlib.axes.Axes
        One bar per word (``ax.patches``), from the first word at the top;
        green bars raised the label's probability, red ones lowered it.

    Examples
    --------
    >>> from skemo.explain import Explanation
    >>> from skemo.plot import plot_explanation
    >>> explanation = Explanation([{"text": "so happy", "label": "joy", "score": 0.9,
    ...     "reference_score": 0.2, "method": "occlusion", "words": [
    ...     {"word": "so", "start": 0, "end": 2, "attribution": -0.1},
    ...     {"word": "happy", "start": 3, "end": 8, "attribution": 0.6}]}])
    >>> ax = plot_explanation(explanation)
    >>> [tick.get_text() for tick in ax.get_yticklabels()], len(ax.patches)
    (['so', 'happy'], 2)
    """
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(explanation):
        raise ValueError(f"index must be an int in [0, {len(explanation)}); got {index!r}.")
    record = explanation[index]
    words = record["words"]
    values = np.array([word["attribution"] for word in words], dtype=float)
    ax = _axes(ax, figsize=(6.0, 0.3 * len(words) + 1.5))
    positions = np.arange(len(words))
    ax.barh(positions, values, color=np.where(values >= 0, "tab:green", "tab:red"))
    ax.set_yticks(positions, [word["word"] for word in words])
    ax.invert_yaxis()
    ax.axvline(0, color="0.3", linewidth=0.8)
    ax.set_xlabel(f"contribution to p({record['label']})")
    ax.set_title(f"{record['label']}: p = {record['score']:.2f} "
                 f"({record['method'].replace('_', ' ')})")
    return ax


def plot_label_f1(y_true, y_pred, target_names=None, *, ax=None):
    """Per-label F1 as bars, from the most to the least frequent label.

    Rare emotions are where classifiers fail: ordering the labels by their
    count in ``y_true`` shows how far F1 follows frequency. The counts are
    in the tick labels and, as dots, on a logarithmic axis of their own at
    the right (a twin of ``ax``), so that F1 and counts never share a scale.
    The title gives the macro-F1.

    Parameters
    ----------
    y_true : array-like of shape (n_samples, n_labels) or (n_samples,)
        Binary indicator matrix (multi-label) or class labels (single-label).
    y_pred : array-like
        Predictions, in the same form as ``y_true``.
    target_names : sequence of str or None, default=None
        Label names: one per column of an indicator matrix, or, for class
        labels, one per class in sorted order. None uses column ids or classes.
    ax : matplotlib.axes.Axes or None, default=None
        Axes to draw on; None makes a new figure.

    Returns
    -------
    ax : matplotlib.axes.Axes
        The F1 axes: one bar per label (``ax.patches``), tick labels
        ``"name (count)"``. The counts are the one line of the twin axes
        (``ax.figure.axes``, the axes that shares ``ax``'s x-axis).

    Examples
    --------
    >>> import numpy as np
    >>> from skemo.plot import plot_label_f1
    >>> y_true = np.array([[1, 0], [1, 1], [0, 1], [1, 0]])
    >>> y_pred = np.array([[1, 0], [1, 0], [0, 1], [0, 0]])
    >>> ax = plot_label_f1(y_true, y_pred, ["joy", "anger"])
    >>> len(ax.patches), [tick.get_text() for tick in ax.get_xticklabels()]
    (2, ['joy (3)', 'anger (2)'])
    """
    classes = None
    if np.asarray(y_true).ndim == 1:
        classes = np.unique(np.concatenate([np.asarray(y_true), np.asarray(y_pred)]))
    _, _, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=classes, average=None, zero_division=0)
    names = _names(classes if target_names is None and classes is not None
                   else target_names, len(f1))
    order = np.argsort(-support, kind="stable")
    ax = _axes(ax, figsize=(max(6.0, 0.35 * len(f1) + 2), 4.5))
    positions = np.arange(len(f1))
    ax.bar(positions, f1[order], color="tab:blue", label="F1 (left axis)")
    ax.set_xticks(positions, [f"{names[i]} ({support[i]})" for i in order],
                  rotation=60, ha="right", rotation_mode="anchor")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("F1")
    ax.set_title(f"Per-label F1, by label frequency (macro-F1 {f1.mean():.3f})")
    counts = ax.twinx()
    counts.plot(positions, support[order], color="0.3", marker="o", markersize=4,
                linestyle="none", label="texts with the label (right axis)")
    counts.set_yscale("log")
    counts.set_ylim(0.8, max(support.max(), 1) * 1.5)
    counts.set_ylabel("texts with the label (log scale)")
    handles = [*ax.get_legend_handles_labels()[0], *counts.get_legend_handles_labels()[0]]
    counts.legend(handles=handles, loc="upper right", fontsize="small")
    return ax


def plot_cooccurrence(Y, target_names=None, *, normalize=None, ax=None):
    """Heatmap of how often two labels are given to the same text.

    The colours show the off-diagonal cells only: the diagonal (each label's
    own count, or 1 when normalised) would dwarf every co-occurrence and
    flatten the colour scale. It is drawn grey instead, each label's count
    written on it.

    Parameters
    ----------
    Y : array-like of shape (n_samples, n_labels)
        Binary indicator matrix (true or predicted labels).
    target_names : sequence of str or None, default=None
        One name per column; None uses column ids.
    normalize : {None, "row"}, default=None
        None shows counts; ``"row"`` divides each row by its diagonal, giving
        the fraction of the row label's texts that also carry the column label.
    ax : matplotlib.axes.Axes or None, default=None
        Axes to draw on; None makes a new figure.

    Returns
    -------
    ax : matplotlib.axes.Axes
        Its image (``ax.images[0]``) holds the (n_labels, n_labels) matrix as
        a masked array whose diagonal is masked; ``ax.texts`` hold the
        diagonal's counts.

    See Also
    --------
    plot_confusion : The single-label counterpart.

    Examples
    --------
    >>> import numpy as np
    >>> from skemo.plot import plot_cooccurrence
    >>> Y = np.array([[1, 1, 0], [1, 0, 0], [0, 1, 1]])
    >>> ax = plot_cooccurrence(Y, ["joy", "love", "fear"])
    >>> ax.images[0].get_array().data.tolist()
    [[2, 1, 0], [1, 2, 1], [0, 1, 1]]
    >>> [text.get_text() for text in ax.texts]
    ['2', '2', '1']
    """
    if normalize not in (None, "row"):
        raise ValueError(f"normalize must be None or 'row'; got {normalize!r}.")
    Y = _check_indicator(Y, "Y")
    names = _names(target_names, Y.shape[1])
    counts = Y.T @ Y
    matrix = counts
    if normalize == "row":
        diagonal = np.diag(counts).astype(float)[:, None]
        matrix = np.divide(counts, diagonal, out=np.zeros(counts.shape), where=diagonal > 0)
    plt = _pyplot()
    size = max(5.0, 0.3 * len(names) + 2)
    ax = _axes(ax, figsize=(size + 1, size))
    cmap = plt.get_cmap("viridis").with_extremes(bad="0.85")
    masked = np.ma.masked_array(matrix, mask=np.eye(len(names), dtype=bool))
    image = ax.imshow(masked, cmap=cmap, interpolation="nearest", vmin=0)
    fontsize = "small" if len(names) <= 12 else "x-small"
    for i, count in enumerate(np.diag(counts)):
        ax.text(i, i, str(count), ha="center", va="center", fontsize=fontsize, color="0.2")
    ticks = np.arange(len(names))
    ax.set_xticks(ticks, names, rotation=90)
    ax.set_yticks(ticks, names)
    ax.set_title("Label co-occurrence" + (" (fraction of row label)" if normalize else "")
                 + "; grey diagonal: texts with the label", fontsize="medium")
    colorbar = ax.figure.colorbar(image, ax=ax, shrink=0.8)
    colorbar.set_label("fraction of the row label's texts" if normalize
                       else "texts with both labels")
    return ax


def plot_confusion(y_true, y_pred, target_names=None, *, normalize=None, ax=None):
    """Confusion matrix of single-label predictions.

    A thin wrapper of
    :meth:`sklearn.metrics.ConfusionMatrixDisplay.from_predictions` that
    names the classes and turns long tick labels.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        True and predicted class labels.
    target_names : sequence of str or None, default=None
        One name per class, in sorted class order; None uses the classes.
    normalize : {None, "true", "pred", "all"}, default=None
        As in :func:`sklearn.metrics.confusion_matrix`.
    ax : matplotlib.axes.Axes or None, default=None
        Axes to draw on; None makes a new figure.

    Returns
    -------
    ax : matplotlib.axes.Axes
        Its image (``ax.images[0]``) holds the confusion matrix, rows the
        true and columns the predicted classes.

    See Also
    --------
    plot_cooccurrence : The multi-label counterpart.

    Examples
    --------
    >>> from skemo.plot import plot_confusion
    >>> ax = plot_confusion(["joy", "fear", "joy"], ["joy", "joy", "joy"])
    >>> ax.images[0].get_array().tolist()
    [[0, 1], [0, 2]]
    """
    from sklearn.metrics import ConfusionMatrixDisplay

    _pyplot()
    if np.asarray(y_true).ndim != 1:
        raise ValueError("plot_confusion takes single-label class labels; for a "
                         "multi-label indicator matrix use plot_cooccurrence.")
    labels = np.unique(np.concatenate([np.asarray(y_true), np.asarray(y_pred)]))
    names = None if target_names is None else _names(target_names, len(labels))
    ax = _axes(ax, figsize=(max(5.0, 0.4 * len(labels) + 2),) * 2)
    display = ConfusionMatrixDisplay.from_predictions(
        y_true, y_pred, labels=labels, display_labels=names, normalize=normalize,
        ax=ax, colorbar=False, xticks_rotation="vertical",
        values_format=".2f" if normalize else "d")
    return display.ax_


def plot_threshold_curves(y_true, y_proba, target_names=None, *, labels=None,
                          thresholds=None, ax=None):
    """F1 of each label against its decision threshold, the chosen one marked.

    Each curve comes from :func:`sklearn.metrics.precision_recall_curve`
    (``F1 = 2 P R / (P + R)`` at every distinct probability). The marker on
    each curve is the label's threshold: by default the one
    :func:`skemo.thresholds.tune_thresholds` picks on these data; pass a
    fitted estimator's ``thresholds_`` to see how thresholds tuned on its
    validation split fare on other data.

    Parameters
    ----------
    y_true : array-like of shape (n_samples, n_labels)
        Binary indicator matrix of the true labels.
    y_proba : array-like of shape (n_samples, n_labels)
        Predicted probabilities, e.g. ``clf.predict_proba(X)``.
    target_names : sequence of str or None, default=None
        One name per column; None uses column ids.
    labels : sequence of str or int, or None, default=None
        The labels to draw, by name or column; None draws all of them.
    thresholds : array-like of shape (n_labels,) or None, default=None
        Thresholds to mark; None tunes them on ``(y_true, y_proba)``.
    ax : matplotlib.axes.Axes or None, default=None
        Axes to draw on; None makes a new figure.

    Returns
    -------
    ax : matplotlib.axes.Axes
        One line per drawn label (``ax.lines``) and one marker collection
        per label (``ax.collections``).

    Examples
    --------
    >>> import numpy as np
    >>> from skemo.plot import plot_threshold_curves
    >>> y_true = np.array([[0, 1], [0, 0], [1, 1], [1, 0]])
    >>> y_proba = np.array([[0.1, 0.7], [0.4, 0.2], [0.35, 0.6], [0.8, 0.3]])
    >>> ax = plot_threshold_curves(y_true, y_proba, ["joy", "anger"])
    >>> len(ax.lines)
    2
    """
    y_true = _check_indicator(y_true, "y_true")
    y_proba = np.asarray(y_proba, dtype=float)
    if y_proba.shape != y_true.shape:
        raise ValueError(f"y_true and y_proba must have the same shape, got {y_true.shape} "
                         f"and {y_proba.shape}.")
    names = _names(target_names, y_true.shape[1])
    columns = _label_columns(labels, names)
    if thresholds is None:
        thresholds = tune_thresholds(y_true, y_proba)
    thresholds = np.broadcast_to(np.asarray(thresholds, dtype=float), (len(names),))
    ax = _axes(ax, figsize=(7, 4.5))
    for column in columns:
        truth, proba = y_true[:, column], y_proba[:, column]
        if not truth.any():
            continue
        precision, recall, cuts = precision_recall_curve(truth, proba)
        precision, recall = precision[:-1], recall[:-1]  # the last point has no threshold
        total = precision + recall
        f1 = np.divide(2 * precision * recall, total, out=np.zeros_like(total),
                       where=total > 0)
        (line,) = ax.plot(cuts, f1, drawstyle="steps-post", label=names[column])
        chosen = thresholds[column]
        ax.scatter([chosen], [f1_score(truth, proba >= chosen, zero_division=0)],
                   color=line.get_color(), edgecolor="black", zorder=3)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("threshold (predict the label when proba >= threshold)")
    ax.set_ylabel("F1")
    ax.set_title("F1 against the decision threshold (dots: chosen thresholds)")
    ax.legend(fontsize="small", ncols=1 + len(ax.lines) // 12, loc="best")
    return ax


def _label_columns(labels, names):
    """Column ids of ``labels`` (names or ids; None for all)."""
    if labels is None:
        return list(range(len(names)))
    columns = []
    for label in labels:
        if isinstance(label, (int, np.integer)) and not isinstance(label, bool):
            if not 0 <= label < len(names):
                raise ValueError(f"label column {label} is out of range for "
                                 f"{len(names)} labels.")
            columns.append(int(label))
        elif label in names:
            columns.append(names.index(label))
        else:
            raise ValueError(f"unknown label {label!r}; expected one of {names}.")
    return columns


def plot_circumplex(y_proba=None, target_names=None, *, valence_arousal=None,
                    circumplex=None, color=None, ax=None):
    """Draw texts and emotion labels on Russell's valence-arousal plane.

    Each label in ``target_names`` is written at its (valence, arousal)
    coordinates (:func:`skemo.labels.circumplex_coordinates`,
    overridden by ``circumplex``). Texts are dots, placed either at the
    ``valence_arousal`` given, or at the mean of their labels' coordinates
    weighted by the predicted probabilities ``y_proba`` (the rule that
    :class:`~skemo.MultiHeadValenceClassifier` uses for its targets, with
    probabilities for labels).

    Parameters
    ----------
    y_proba : array-like of shape (n_samples, n_labels) or None, default=None
        Label probabilities (or a binary indicator matrix of labels).
    target_names : sequence of str or None, default=None
        The labels of the columns of ``y_proba`` (and the labels to write on
        the plane). Required with ``y_proba``; without it and without
        ``y_proba``, every label with built-in coordinates is written.
    valence_arousal : array-like of shape (n_samples, 2) or None, default=None
        Positions of the texts, given directly instead of ``y_proba``.
    circumplex : dict of str to (float, float), or None, default=None
        Coordinates that override or add to the built-in ones, as the
        ``circumplex`` parameter of :class:`~skemo.MultiHeadValenceClassifier`.
    color : array-like or color, or None, default=None
        Colors of the text dots (e.g. predicted valence classes mapped to colors).
    ax : matplotlib.axes.Axes or None, default=None
        Axes to draw on; None makes a new figure.

    Returns
    -------
    ax : matplotlib.axes.Axes
        One text per label (``ax.texts``) and, with texts to place, their
        dots as ``ax.collections[0]``. Each label's point is a small dot
        (``ax.lines[0]``); where label names would overlap, they are moved
        apart and joined to their points by a thin line.

    Examples
    --------
    >>> import numpy as np
    >>> from skemo.plot import plot_circumplex
    >>> proba = np.array([[0.9, 0.1], [0.2, 0.8]])
    >>> ax = plot_circumplex(proba, ["joy", "sadness"])
    >>> len(ax.texts), ax.collections[0].get_offsets().shape
    (2, (2, 2))
    """
    if y_proba is not None and valence_arousal is not None:
        raise ValueError("pass y_proba or valence_arousal, not both.")
    lookup = {**circumplex_coordinates(), **(circumplex or {})}
    if target_names is None:
        if y_proba is not None:
            raise ValueError("y_proba needs target_names, the labels of its columns.")
        names = sorted(lookup)
    else:
        names = [str(name) for name in target_names]
    missing = [name for name in names if name not in lookup]
    if missing:
        raise ValueError(f"no circumplex coordinates for label(s) {missing}; pass "
                         "circumplex={label: (valence, arousal)}.")
    coordinates = np.array([lookup[name] for name in names], dtype=float)
    points = None
    if y_proba is not None:
        weights = np.asarray(y_proba, dtype=float)
        if weights.ndim != 2 or weights.shape[1] != len(names):
            raise ValueError(f"y_proba must have shape (n_samples, {len(names)}); got "
                             f"{weights.shape}.")
        total = weights.sum(axis=1, keepdims=True)
        points = np.divide(weights, total, out=np.zeros_like(weights), where=total > 0)
        points = points @ coordinates
    elif valence_arousal is not None:
        points = np.asarray(valence_arousal, dtype=float)
        if points.ndim != 2 or points.shape[1] != 2:
            raise ValueError("valence_arousal must have shape (n_samples, 2); got "
                             f"{points.shape}.")
    ax = _axes(ax, figsize=(7.5, 7.5))
    plt = _pyplot()
    ax.plot(coordinates[:, 0], coordinates[:, 1], linestyle="none", marker=".",
            markersize=4, color="0.35", zorder=3)
    ax.add_patch(plt.Circle((0, 0), 1, fill=False, color="0.7", linestyle="--"))
    ax.axhline(0, color="0.8", linewidth=0.8)
    ax.axvline(0, color="0.8", linewidth=0.8)
    if points is not None:
        ax.scatter(points[:, 0], points[:, 1], c=color, s=18, alpha=0.6, zorder=2)
    ax.set_xlim(-1.2, 1.2)
    ax.set_ylim(-1.2, 1.2)
    ax.set_aspect("equal")
    ax.set_xlabel("valence (unpleasant → pleasant)")
    ax.set_ylabel("arousal (calm → activated)")
    ax.set_title("Valence–arousal circumplex")
    texts = [ax.text(valence, arousal, name, fontsize="small", ha="center", va="center",
                     zorder=4, bbox={"boxstyle": "round,pad=0.1", "facecolor": "white",
                                     "edgecolor": "none", "alpha": 0.8})
             for name, (valence, arousal) in zip(names, coordinates)]
    positions = _spread(ax, texts, coordinates)
    for text, anchor, position in zip(texts, coordinates, positions):
        if not np.array_equal(anchor, position):
            text.set_position(tuple(position))
            ax.plot(*np.column_stack([anchor, position]), color="0.6", linewidth=0.6,
                    zorder=3)
    return ax


def _spread(ax, texts, anchors, iterations=500):
    """Positions near ``anchors`` at which the ``texts``' boxes do not overlap.

    Overlapping boxes push each other apart along the axis on which they
    overlap least (mostly vertically, texts being wider than tall), half the
    overlap each, until no two overlap; labels at the same point stack in
    their order. Every text stays inside the axes; one that overlaps nothing
    there keeps its anchor exactly.
    """
    ax.figure.draw_without_rendering()  # lay the figure out: final axes size
    to_data = ax.transData.inverted()
    half = []
    for text in texts:
        box = text.get_window_extent()
        (x0, y0), (x1, y1) = to_data.transform([[box.x0, box.y0], [box.x1, box.y1]])
        margin = 0.15 * abs(y1 - y0)
        half.append((abs(x1 - x0) / 2 + margin, abs(y1 - y0) / 2 + margin))
    half = np.array(half)
    low = np.array([ax.get_xlim()[0], ax.get_ylim()[0]]) + half
    high = np.array([ax.get_xlim()[1], ax.get_ylim()[1]]) - half
    positions = np.clip(np.array(anchors, dtype=float), low, high)
    n = len(texts)
    order = np.arange(n)
    # Ties (texts at the same point) part in their order: the later one goes up.
    tie = np.sign(order[:, None] - order[None, :]).astype(float)
    for _ in range(iterations):
        delta = positions[:, None, :] - positions[None, :, :]
        overlap = half[:, None, :] + half[None, :, :] - np.abs(delta)
        clash = (overlap > 0).all(axis=2)
        np.fill_diagonal(clash, False)
        if not clash.any():
            break
        axis = np.argmin(overlap, axis=2)
        direction = np.sign(np.take_along_axis(delta, axis[..., None], axis=2)[..., 0])
        direction = np.where(direction == 0, tie, direction)
        amount = np.where(clash, np.min(overlap, axis=2) / 2 + 1e-3, 0) * direction
        push = np.zeros_like(delta)
        np.put_along_axis(push, axis[..., None], amount[..., None], axis=2)
        positions = np.clip(positions + push.sum(axis=1), low, high)
    return positions
