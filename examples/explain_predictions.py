"""
Explaining and trusting predictions
===================================

Two questions come with every prediction of an emotion model: which words
carried it, and how sure the model is. :meth:`~skemo.base.EmotionClassifierBase.explain`
answers the first with word attributions, and
:class:`~skemo.conformal.ConformalEmotionSets` the second with label sets
calibrated on held-out texts, with a stated guarantee. This example asks
both of the bundled GoEmotions model on three hard texts: a sarcastic one, a
mixed-emotion one and a negated one.
"""

# %%
# The model and the texts
# -----------------------
# ``skemo.pretrained("goemotions")`` is the bundled model (28 labels,
# multi-label). ``precision="fp32"`` makes it predict with its float network,
# which integrated gradients differentiate.

import matplotlib.pyplot as plt

import skemo
from skemo.conformal import ConformalEmotionSets
from skemo.datasets import load_goemotions_sample
from skemo.plot import plot_explanation

clf = skemo.pretrained("goemotions").set_params(precision="fp32")
texts = [
    "Oh great, another Monday. Just what I needed.",          # sarcastic
    "I'm so proud of you, but I'll miss you terribly.",       # mixed emotions
    "I'm not angry at all, I just don't care anymore.",       # negated
]
for text, labels in zip(texts, clf.predict_label_scores(texts, top_k=3)):
    print(text, [(item["label"], round(item["score"], 2)) for item in labels])

# %%
# Which words carried each label
# ------------------------------
# By default ``explain`` attributes the labels the model predicts for each
# text. Each record lists the words of the text (whole words, not the
# tokenizer's pieces) with their contribution to the label's probability;
# integrated gradients' contributions add up to the probability minus that
# of the text with its words blanked out. In a notebook the explanation shows
# as highlighted text.

explanation = clf.explain(texts)
for record in explanation:
    words = sorted(record["words"], key=lambda w: -abs(w["attribution"]))[:4]
    print(f"{record['label']:>14} p={record['score']:.2f} "
          f"(sum {sum(w['attribution'] for w in record['words']):+.2f} = "
          f"{record['score'] - record['reference_score']:+.2f}): "
          + ", ".join(f"{w['word']} {w['attribution']:+.2f}" for w in words))

# %%
# The sarcastic text is read at face value: ``great`` alone carries
# ``admiration``, which is why the model gets it wrong. In the mixed text
# ``proud`` raises ``pride`` while ``miss`` and ``terribly`` pull it down.
#
# The same as figures, one per text and label; green words raised the
# label's probability, red ones lowered it.

fig, axes = plt.subplots(1, min(3, len(explanation)), figsize=(12, 3.5),
                         layout="constrained")
for index, ax in enumerate(axes):
    plot_explanation(explanation, index, ax=ax)

# %%
# The negated text, explained for ``anger`` whether or not it is predicted:
# ``not`` should lower the label that ``angry`` raises. Occlusion, which
# needs only ``predict_proba``, gives a second opinion.

for method in ("integrated_gradients", "occlusion"):
    record = clf.explain([texts[2]], labels=["anger"], method=method)[0]
    print(method, [(w["word"], round(w["attribution"], 3)) for w in record["words"]])

# %%
# How sure: label sets with a guarantee
# -------------------------------------
# Conformal risk control picks one threshold on held-out labelled texts such
# that the sets hold, on average, at least 90% of a text's true labels
# (``alpha=0.1``). The held-out texts here are the GoEmotions test texts
# bundled with skemo, which the model never trained on.

held_out = load_goemotions_sample("test")
sets = ConformalEmotionSets(clf, alpha=0.1).fit(
    held_out.data, [[held_out.target_names[j] for j in row.nonzero()[0]]
                    for row in held_out.target])
print(f"threshold {sets.threshold_:.3f} from {sets.n_calibration_} texts")
for text, labels in zip(texts, sets.predict_sets(texts)):
    print(f"{text}\n    {labels}")
