"""
Quick start: a ready-made emotion model, then one of your own
=============================================================

First, the GoEmotions model bundled with skemo (:func:`skemo.pretrained`):
28 emotions, offline, no training, loaded in seconds. Then train the baseline
:class:`~skemo.FineTunedEmotionClassifier` at its defaults on the 1,005 texts
of the GoEmotions sample that ships with skemo, using the bundled offline
MiniLM encoder, and print a per-label report on the sample's test split. The
defaults are sized to the data (:doc:`/user_guide/own_data`): a budget of
optimiser steps rather than a fixed number of epochs, calibrated
probabilities and per-label thresholds that cannot overfit the small
validation split. Runs in a few minutes on a laptop CPU; no network is needed.
"""

import skemo
from skemo import FineTunedEmotionClassifier
from skemo.datasets import load_goemotions_sample
from skemo.metrics import emotion_report

# %%
# A ready-made model
# ------------------
clf = skemo.pretrained("goemotions")
texts = ["Thank you so much, this made my day!", "Ugh, they cancelled it again. So annoying."]
print(clf.predict(texts))
print(clf.predict_label_scores(texts, top_k=3))

# %%
# A model of your own
# -------------------
train = load_goemotions_sample("train")
test = load_goemotions_sample("test")

own = FineTunedEmotionClassifier(label_names=train.target_names, random_state=0)
own.fit(train.data, train.target)
print(f"{own.n_epochs_} epochs on {len(train.data)} texts")

print(own.predict_label_scores(["Thank you so much, this made my day!"]))
predicted = own.predict(test.data)
top = predicted.sum(axis=0).argmax()
print(f"{predicted.sum(axis=1).mean():.2f} labels per test text (truth: "
      f"{test.target.sum(axis=1).mean():.2f}); the most predicted label, "
      f"{train.target_names[top]}, on {predicted[:, top].mean():.0%} of them (truth: "
      f"{test.target[:, top].mean():.0%})")
print(emotion_report(test.target, predicted, y_proba=own.predict_proba(test.data),
                     target_names=train.target_names))
