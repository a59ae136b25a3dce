"""
Plotting emotion data and predictions
=====================================

:mod:`skemo.plot` draws the figures that emotion classification needs most;
each function returns the matplotlib axes it drew on. This example shows the
ones not covered by the other examples: label co-occurrence, the confusion
matrix and per-label F1 of a single-label model, and the circumplex of
emotion labels.
"""

# %%
# Which emotions come together?
# -----------------------------
# In GoEmotions a comment may carry several labels. The co-occurrence matrix
# needs no model: its diagonal holds each label's frequency, and the row
# normalisation shows, for the texts of one label, the share that also
# carries each other label.

import matplotlib.pyplot as plt
import numpy as np

from skemo import FineTunedEmotionClassifier
from skemo.datasets import load_goemotions_sample
from skemo.plot import plot_circumplex, plot_confusion, plot_cooccurrence, plot_label_f1

train = load_goemotions_sample("train")
test = load_goemotions_sample("test")
ax = plot_cooccurrence(train.target, train.target_names, normalize="row")

# %%
# A single-label model
# --------------------
# Texts with exactly one of six emotions, as a 1-D array of label names:
# single-label mode (softmax, ``predict`` returns names).

LABELS = ["admiration", "amusement", "anger", "curiosity", "gratitude", "love"]


def single_label_subset(data):
    """Texts with exactly one of LABELS, and that label's name."""
    Y = data.target[:, [data.target_names.index(name) for name in LABELS]]
    rows = np.flatnonzero(Y.sum(axis=1) == 1)
    return [data.data[i] for i in rows], np.asarray(LABELS)[Y[rows].argmax(axis=1)]


X_train, y_train = single_label_subset(train)
X_test, y_test = single_label_subset(test)
clf = FineTunedEmotionClassifier(max_epochs=3, lr=1e-4, batch_size=16, max_length=48,
                                 random_state=0)
clf.fit(X_train, y_train)
y_pred = clf.predict(X_test)
print(f"macro-F1: {clf.score(X_test, y_test):.3f}")

# %%
# Which emotions get confused, and how F1 follows label frequency.

fig, (left, right) = plt.subplots(1, 2, figsize=(12, 5), layout="constrained")
plot_confusion(y_test, y_pred, normalize="true", ax=left)
plot_label_f1(y_test, y_pred, ax=right)

# %%
# The circumplex
# --------------
# Without predictions, :func:`~skemo.plot.plot_circumplex` shows where the
# emotion labels sit on the valence-arousal plane (here GoEmotions'
# 28 labels); with true labels as weights it places each text at the mean of
# its labels' coordinates.

ax = plot_circumplex(test.target, test.target_names)
plt.show()
