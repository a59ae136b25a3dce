"""
Quick start: a ready-made emotion model, then one of your own
=============================================================

First, the GoEmotions model bundled with skemo (:func:`skemo.pretrained`):
28 emotions, offline, no training, loaded in seconds. Then train the baseline
:class:`~skemo.FineTunedEmotionClassifier` on the GoEmotions sample that ships
with skemo, using the bundled offline MiniLM encoder, and print a per-label
report on the sample's test split. Runs in a few minutes on a laptop CPU; no
network is needed.
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

own = FineTunedEmotionClassifier(
    max_epochs=4,
    lr=1e-4,
    threshold="tuned",  # per-label thresholds tuned on a held-out validation split
    label_names=train.target_names,
    random_state=0,
    verbose=1,
)
own.fit(train.data, train.target)

print(own.predict(["Thank you so much, this made my day!"]))
print(emotion_report(test.target, own.predict(test.data), target_names=train.target_names))
