"""
Your own labels, and labels never seen in training
==================================================

The similarity-based methods score a text against the *text* of each label,
``"<label>: <description>"``. Two things follow:

1. you can train on a label set of your own, describing labels that skemo
   does not know with ``label_descriptions``;
2. a fitted model can score labels that were not in its training data at all
   (*open vocabulary*): ``predict_proba(X, labels={name: description})``.
"""

# %%
# A custom label set
# ------------------
# We relabel part of the GoEmotions sample into four labels of our own, as
# lists of label names, and describe each of them.

import matplotlib.pyplot as plt
import numpy as np

from skemo import SimilarityEmotionClassifier
from skemo.datasets import load_goemotions_sample

OUR_LABELS = {  # our label -> the GoEmotions labels it gathers
    "delighted": ["amusement", "joy", "excitement"],
    "irritated": ["anger", "annoyance"],
    "thankful": ["gratitude"],
    "puzzled": ["confusion", "curiosity"],
}
DESCRIPTIONS = {
    "delighted": "Very pleased and happy; finding something fun or exciting.",
    "irritated": "Annoyed, impatient or angry about something.",
    "thankful": "Grateful and appreciative towards someone.",
    "puzzled": "Confused or curious; not understanding and wanting to know more.",
}


def relabel(split):
    """Texts with at least one of our labels, and their label lists."""
    data = load_goemotions_sample(split)
    texts, labels = [], []
    for text, row in zip(data.data, data.target):
        present = {data.target_names[j] for j in np.flatnonzero(row)}
        ours = [label for label, members in OUR_LABELS.items() if present & set(members)]
        if ours:
            texts.append(text)
            labels.append(ours)
    return texts, labels


X_train, y_train = relabel("train")
X_test, y_test = relabel("test")
print(f"{len(X_train)} training texts, e.g. {X_train[0]!r} -> {y_train[0]}")

# %%
# ``y`` is a list of label lists, so ``predict`` answers with label lists too.

clf = SimilarityEmotionClassifier(
    label_descriptions=DESCRIPTIONS,
    max_epochs=3,
    lr=1e-4,
    batch_size=16,
    max_length=48,
    random_state=0,
)
clf.fit(X_train, y_train)
print("classes:", list(clf.classes_))
print(f"test macro-F1: {clf.score(X_test, y_test):.3f}")
for text, labels in zip(X_test[:5], clf.predict(X_test[:5])):
    print(f"{labels!s:>26}  {text}")

# %%
# Scoring labels never seen in training
# -------------------------------------
# The model has learned to match texts with label descriptions, so it can
# rank texts by labels it was never trained on. Columns follow the order of
# the ``labels`` dict. These scores are for ranking texts by a new label: no
# threshold has been tuned for it.

new_labels = {
    "sadness": "Emotional pain, sorrow.",
    "fear": "Being afraid or worried.",
    "admiration": "Finding something impressive or worthy of respect.",
    "love": "A strong positive emotion of regard and affection.",
}
texts = [
    "I'm so sorry for your loss, he was a wonderful man.",
    "That guy is terrifying, I hope he never comes back.",
    "Wow, that goal was absolutely incredible.",
    "I adore my little sister, she is the best.",
]
scores = clf.predict_proba(texts, labels=new_labels)

fig, ax = plt.subplots(figsize=(7.5, 3.5), layout="constrained")
image = ax.imshow(scores, cmap="magma", vmin=0)
ax.set_xticks(range(len(new_labels)), list(new_labels))
ax.set_yticks(range(len(texts)), [text[:38] + "..." for text in texts])
fig.colorbar(image, ax=ax, label="score")
ax.set_title("Unseen labels, scored from their descriptions")
plt.show()
