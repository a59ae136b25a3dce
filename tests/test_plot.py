"""skemo.plot: every plot renders to a PNG with the Agg backend and holds what it should."""

import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from skemo.labels import circumplex_coordinates  # noqa: E402
from skemo.plot import (  # noqa: E402
    plot_circumplex,
    plot_confusion,
    plot_cooccurrence,
    plot_label_f1,
    plot_threshold_curves,
)
from skemo.thresholds import tune_thresholds  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def multilabel(sample):
    """The sample's first 200 texts on 6 labels, with noisy probabilities."""
    names = ["admiration", "amusement", "anger", "gratitude", "love", "neutral"]
    columns = [sample.target_names.index(name) for name in names]
    Y = sample.target[:200, columns].astype(int)
    rng = np.random.default_rng(0)
    proba = np.clip(0.6 * Y + rng.uniform(0, 0.5, Y.shape), 0, 1)
    return Y, proba, names


def assert_renders(ax, path):
    """Save ``ax``'s figure as PNG and check the file is a non-empty PNG image."""
    ax.figure.savefig(path, format="png")
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    assert len(data) > 1000


def tick_texts(ticks):
    return [tick.get_text() for tick in ticks]


def test_label_f1_has_one_bar_per_label_by_frequency(multilabel, tmp_path):
    Y, proba, names = multilabel
    ax = plot_label_f1(Y, (proba >= 0.5).astype(int), names)
    assert_renders(ax, tmp_path / "f1.png")
    assert len(ax.patches) == len(names)
    counts = Y.sum(axis=0)
    order = np.argsort(-counts, kind="stable")
    assert tick_texts(ax.get_xticklabels()) == [f"{names[i]} ({counts[i]})" for i in order]
    heights = [bar.get_height() for bar in ax.patches]
    assert all(0 <= h <= 1 for h in heights)
    assert f"{np.mean(heights):.3f}" in ax.get_title()


def test_label_f1_counts_have_their_own_log_axis(multilabel):
    Y, proba, names = multilabel
    ax = plot_label_f1(Y, (proba >= 0.5).astype(int), names)
    # Nothing but the F1 bars on the F1 axis, which stays a 0-1 scale.
    assert not ax.lines
    assert ax.get_ylim() == (0, 1.05)
    (counts,) = [other for other in ax.figure.axes if other is not ax]
    assert counts.get_yscale() == "log"
    assert "texts" in counts.get_ylabel()
    (line,) = counts.lines
    support = Y.sum(axis=0)
    np.testing.assert_array_equal(line.get_ydata(), np.sort(support)[::-1])
    np.testing.assert_array_equal(line.get_xdata(), [bar.get_x() + bar.get_width() / 2
                                                     for bar in ax.patches])


def test_label_f1_single_label_uses_sorted_classes(tmp_path):
    y_true = np.array(["joy", "fear", "joy", "anger", "joy"])
    y_pred = np.array(["joy", "joy", "joy", "anger", "fear"])
    ax = plot_label_f1(y_true, y_pred)
    assert_renders(ax, tmp_path / "f1.png")
    assert tick_texts(ax.get_xticklabels()) == ["joy (3)", "anger (1)", "fear (1)"]
    assert [bar.get_height() for bar in ax.patches] == pytest.approx([2 / 3, 1.0, 0.0])


def test_label_f1_draws_on_given_axes():
    fig, (left, right) = plt.subplots(1, 2)
    assert plot_label_f1([[1, 0], [0, 1]], [[1, 0], [1, 1]], ["a", "b"], ax=right) is right
    assert not left.patches


def test_cooccurrence_holds_the_count_matrix(multilabel, tmp_path):
    Y, _, names = multilabel
    ax = plot_cooccurrence(Y, names)
    assert_renders(ax, tmp_path / "cooc.png")
    np.testing.assert_array_equal(ax.images[0].get_array().data, Y.T @ Y)
    assert tick_texts(ax.get_xticklabels()) == names
    assert tick_texts(ax.get_yticklabels()) == names
    # The diagonal is written, not coloured.
    assert [text.get_text() for text in ax.texts] == [str(count) for count in Y.sum(axis=0)]


def test_cooccurrence_colour_scale_ignores_the_diagonal():
    # Label 0 is on 50 texts, 2 of them with label 1: the colours span the
    # co-occurrence (0..2), not the labels' own counts (up to 50).
    Y = np.zeros((60, 3), dtype=int)
    Y[:50, 0] = 1
    Y[:2, 1] = 1
    Y[50:55, 2] = 1
    image = plot_cooccurrence(Y).images[0]
    matrix = image.get_array()
    np.testing.assert_array_equal(matrix.mask, np.eye(3, dtype=bool))
    assert image.norm.vmin == 0
    assert image.norm.vmax == 2


def test_cooccurrence_row_normalised_has_unit_diagonal(multilabel):
    Y, _, names = multilabel
    matrix = plot_cooccurrence(Y, names, normalize="row").images[0].get_array().data
    np.testing.assert_allclose(np.diag(matrix), 1.0)
    assert matrix.max() <= 1


@pytest.mark.parametrize("Y, message", [(np.array([0, 1, 1]), "indicator"),
                                        (np.array([[0, 2]]), "indicator")])
def test_cooccurrence_rejects_non_indicator(Y, message):
    with pytest.raises(ValueError, match=message):
        plot_cooccurrence(Y)


def test_confusion_for_single_label(tmp_path):
    y_true = ["joy", "fear", "joy", "anger"]
    y_pred = ["joy", "joy", "joy", "anger"]
    ax = plot_confusion(y_true, y_pred, ["ANGER", "FEAR", "JOY"])
    assert_renders(ax, tmp_path / "confusion.png")
    assert np.asarray(ax.images[0].get_array()).tolist() == [[1, 0, 0], [0, 0, 1], [0, 0, 2]]
    assert tick_texts(ax.get_yticklabels()) == ["ANGER", "FEAR", "JOY"]


def test_confusion_rejects_multilabel(multilabel):
    Y, _, _ = multilabel
    with pytest.raises(ValueError, match="plot_cooccurrence"):
        plot_confusion(Y, Y)


def test_threshold_curves_mark_the_tuned_thresholds(multilabel, tmp_path):
    Y, proba, names = multilabel
    ax = plot_threshold_curves(Y, proba, names)
    assert_renders(ax, tmp_path / "thresholds.png")
    assert [line.get_label() for line in ax.lines] == names
    assert len(ax.collections) == len(names)
    marked = [collection.get_offsets()[0] for collection in ax.collections]
    np.testing.assert_allclose([x for x, _ in marked], tune_thresholds(Y, proba))
    for (x, f1), line in zip(marked, ax.lines):
        # the marker sits on the curve's maximum
        assert f1 == pytest.approx(max(line.get_ydata()))


def test_threshold_curves_subset_and_given_thresholds(multilabel):
    Y, proba, names = multilabel
    ax = plot_threshold_curves(Y, proba, names, labels=["love", 0], thresholds=0.5)
    assert [line.get_label() for line in ax.lines] == ["love", "admiration"]
    assert [c.get_offsets()[0][0] for c in ax.collections] == [0.5, 0.5]
    with pytest.raises(ValueError, match="unknown label 'nostalgia'"):
        plot_threshold_curves(Y, proba, names, labels=["nostalgia"])


def test_circumplex_places_labels_and_texts(tmp_path):
    names = ["joy", "sadness", "anger"]
    proba = np.array([[1.0, 0.0, 0.0], [0.0, 0.5, 0.5], [0.0, 0.0, 0.0]])
    ax = plot_circumplex(proba, names)
    assert_renders(ax, tmp_path / "circumplex.png")
    coordinates = circumplex_coordinates()
    assert [text.get_text() for text in ax.texts] == names
    # Labels far apart stay exactly at their points.
    assert [text.get_position() for text in ax.texts] == [coordinates[n] for n in names]
    np.testing.assert_array_equal(ax.lines[0].get_xydata(), [coordinates[n] for n in names])
    points = ax.collections[0].get_offsets()
    expected_second = (np.array(coordinates["sadness"]) + coordinates["anger"]) / 2
    np.testing.assert_allclose(points, [coordinates["joy"], expected_second, (0, 0)])


def test_circumplex_from_valence_arousal_and_custom_coordinates():
    ax = plot_circumplex(target_names=["calm"], valence_arousal=[[0.2, -0.3]],
                         circumplex={"calm": (0.5, -0.6)})
    assert [text.get_position() for text in ax.texts] == [(0.5, -0.6)]
    np.testing.assert_allclose(ax.collections[0].get_offsets(), [[0.2, -0.3]])


def test_circumplex_without_texts_writes_every_known_label():
    ax = plot_circumplex()
    assert len(ax.texts) == len(circumplex_coordinates())
    assert not ax.collections


def boxes_overlap(a, b):
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def test_circumplex_labels_do_not_overlap():
    # Every built-in label, synonyms at the very same point included
    # ("anger", "angry"): no two names may overlap on the rendered figure.
    ax = plot_circumplex()
    ax.figure.draw_without_rendering()
    renderer = ax.figure.canvas.get_renderer()
    boxes = [text.get_window_extent(renderer) for text in ax.texts]
    clashes = [(ax.texts[i].get_text(), ax.texts[j].get_text())
               for i in range(len(boxes)) for j in range(i)
               if boxes_overlap(boxes[i], boxes[j])]
    assert clashes == []
    axes_box = ax.get_window_extent(renderer)
    assert all(axes_box.x0 <= box.x0 and box.x1 <= axes_box.x1 for box in boxes)
    # Each moved name is joined to its point by a line; the points stay put.
    coordinates = circumplex_coordinates()
    names = [text.get_text() for text in ax.texts]
    np.testing.assert_array_equal(ax.lines[0].get_xydata(), [coordinates[n] for n in names])
    moved = [text for text in ax.texts
             if text.get_position() != tuple(coordinates[text.get_text()])]
    assert moved
    assert len(ax.lines) == 3 + len(moved)  # points, the two axes, one line per move


def test_circumplex_stacks_labels_at_the_same_point():
    ax = plot_circumplex(target_names=["calm", "serene"],
                         circumplex={"calm": (0.4, -0.5), "serene": (0.4, -0.5)})
    (calm_x, calm_y), (serene_x, serene_y) = [text.get_position() for text in ax.texts]
    assert calm_x == serene_x == 0.4
    assert serene_y > calm_y
    assert calm_y < -0.5 < serene_y


@pytest.mark.parametrize("kwargs, message", [
    ({"target_names": ["zorglub"]}, "no circumplex coordinates"),
    ({"y_proba": [[0.5]]}, "needs target_names"),
    ({"y_proba": [[0.5, 0.5]], "target_names": ["joy"]}, "shape"),
    ({"y_proba": [[1.0]], "target_names": ["joy"], "valence_arousal": [[0, 0]]}, "not both"),
])
def test_circumplex_rejects_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        plot_circumplex(**kwargs)


def test_missing_matplotlib_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"skemo\[plot\]"):
        plot_cooccurrence([[1, 0], [0, 1]])
