"""
Valence and intensity with the multi-head classifier
====================================================

:class:`~skemo.MultiHeadValenceClassifier` predicts, besides the emotions,
each text's valence (negative, neutral or positive) and intensity (low or
high). Neither is annotated: both are derived from where the text's emotion
labels sit on Russell's valence-arousal circumplex
(:func:`skemo.labels.circumplex_coordinates`). An exclusivity loss
discourages predicting opposite emotions, such as joy and sadness, together.
"""

# %%
# Data: positive and negative emotions
# ------------------------------------

import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.metrics import accuracy_score

from skemo import MultiHeadValenceClassifier
from skemo.datasets import load_goemotions_sample
from skemo.methods.multihead_valence import (
    VALENCE_CLASSES,
    circumplex_targets,
    label_coordinates,
)
from skemo.plot import plot_circumplex

LABELS = ["admiration", "amusement", "anger", "gratitude", "love", "sadness", "fear", "joy"]

# The sample's texts that carry one of LABELS, with those labels only.
X_train, Y_train = load_goemotions_sample("train", return_X_y=True, labels=LABELS)
X_test, Y_test = load_goemotions_sample("test", return_X_y=True, labels=LABELS)

# %%
# Fit
# ---

clf = MultiHeadValenceClassifier(
    max_epochs=3,
    lr=1e-4,
    batch_size=16,
    max_length=48,
    threshold="tuned",
    label_names=LABELS,
    random_state=0,
)
clf.fit(X_train, Y_train)
print(f"emotion macro-F1: {clf.score(X_test, Y_test):.3f}")

# %%
# Valence and intensity of new texts
# ----------------------------------

texts = [
    "This is the best news I've heard all year!",
    "I'm so angry I can't even think straight.",
    "I miss her every single day.",
    "Thanks, that's really kind of you.",
]
for text, valence, intensity in zip(texts, clf.predict_valence(texts),
                                    clf.predict_intensity(texts)):
    print(f"{valence:>8} {intensity:>4}  {text}")

# %%
# How well is valence predicted? The reference valence of a test text is
# derived from its true labels with the rule used for training.

coordinates = torch.as_tensor(label_coordinates(LABELS))
true_valence, _ = circumplex_targets(torch.as_tensor(Y_test), coordinates, multilabel=True)
true_valence = np.asarray(VALENCE_CLASSES)[true_valence.numpy()]
print(f"valence accuracy: {accuracy_score(true_valence, clf.predict_valence(X_test)):.3f}")

# %%
# The test texts on the circumplex
# --------------------------------
# Each dot is a test text, placed at the mean of the labels' coordinates
# weighted by the predicted emotion probabilities, and colored by its
# predicted valence.

colors = {"negative": "tab:red", "neutral": "tab:gray", "positive": "tab:green"}
ax = plot_circumplex(clf.predict_proba(X_test), LABELS,
                     color=[colors[v] for v in clf.predict_valence(X_test)])
plt.show()
