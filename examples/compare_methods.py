"""
Comparing the methods
=====================

Fit every skemo method on the same small multi-label problem -- six emotions
of the GoEmotions sample -- with the same encoder, budget and seed, and
compare their test macro-F1 and training time.

On data this small, and with two epochs, the ranking says little about the
methods (see the benchmark in the user guide for that); the point is that
they are interchangeable: the same data, the same parameters and the same
evaluation code serve all of them.
"""

# %%
# Data: six emotions of the bundled GoEmotions sample
# ---------------------------------------------------
# We keep the texts that carry at least one of six fairly frequent emotions,
# as a binary indicator matrix with one column per emotion.

import time

import matplotlib.pyplot as plt

from skemo import (
    DefinitionAuxiliaryClassifier,
    DualObjectiveClassifier,
    FineTunedEmotionClassifier,
    MultiHeadValenceClassifier,
    SimilarityEmotionClassifier,
    TACOClassifier,
)
from skemo.datasets import load_goemotions_sample
from skemo.plot import plot_label_f1

LABELS = ["admiration", "amusement", "anger", "curiosity", "gratitude", "love"]

# The sample's texts that carry one of LABELS, with those labels only.
X_train, Y_train = load_goemotions_sample("train", return_X_y=True, labels=LABELS)
X_test, Y_test = load_goemotions_sample("test", return_X_y=True, labels=LABELS)
print(f"{len(X_train)} training texts, {len(X_test)} test texts")

# %%
# The same settings for every method
# ----------------------------------
# A short budget on the offline MiniLM encoder. ``threshold="tuned"`` gives
# every method per-label thresholds tuned on its validation split, so that
# the comparison is not decided by how well each one is calibrated at 0.5.

common = dict(
    max_epochs=2,
    lr=1e-4,
    batch_size=16,
    max_length=48,
    threshold="tuned",
    label_names=LABELS,
    random_state=0,
)
methods = {
    "baseline": FineTunedEmotionClassifier(**common),
    "similarity": SimilarityEmotionClassifier(**common),
    "dual objective": DualObjectiveClassifier(**common),
    "TACO": TACOClassifier(**common),
    "multi-head valence": MultiHeadValenceClassifier(**common),
    "definition auxiliary": DefinitionAuxiliaryClassifier(**common),
}

# %%
# Fit and score
# -------------
# ``score`` is the macro-F1 of ``predict``.

results = {}
for name, clf in methods.items():
    start = time.perf_counter()
    clf.fit(X_train, Y_train)
    seconds = time.perf_counter() - start
    results[name] = (clf.score(X_test, Y_test), seconds)
    print(f"{name:>22}: macro-F1 {results[name][0]:.3f}, fit {seconds:5.1f} s")

# %%
# Macro-F1 and training time side by side.

names = list(results)
scores = [results[name][0] for name in names]
seconds = [results[name][1] for name in names]
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
left.barh(names, scores, color="tab:blue")
left.set_xlabel("test macro-F1")
left.invert_yaxis()
right.barh(names, seconds, color="tab:gray")
right.set_xlabel("fit time (s)")
right.invert_yaxis()
right.set_yticklabels([])
fig.suptitle("Six methods, same data and budget")

# %%
# Per-label F1 of the best method
# -------------------------------
# Macro-F1 averages these bars: the rare labels count as much as the
# frequent ones.

best = max(results, key=lambda name: results[name][0])
ax = plot_label_f1(Y_test, methods[best].predict(X_test), LABELS)
ax.set_title(f"{best}: " + ax.get_title())
plt.show()
