"""
Grid search over TACO's loss weights
====================================

:class:`~skemo.TACOClassifier` adds two losses to cross-entropy: the
clustering-guided contrastive loss, weighted by ``alpha``, and the
label-disentangling loss, weighted by ``beta`` (the paper uses 0.45 and 0.5
on GoEmotions). skemo estimators are scikit-learn estimators, so
:class:`~sklearn.model_selection.GridSearchCV` tunes them like any other.

Multi-label folds must be stratified label by label, or a rare emotion may
have no positive example in a fold; scikit-learn's default ``cv=5`` does not
stratify multi-label targets, so we pass a
:class:`~skemo.model_selection.MultilabelStratifiedKFold`. Each candidate is
scored by the estimator's ``score``: macro-F1.

The grid, folds and epochs are tiny so that the example runs on a CPU in a
couple of minutes; see :doc:`/user_guide/dask` to run real searches on a
cluster of GPUs.
"""

# %%
# Data
# ----

import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import GridSearchCV

from skemo import TACOClassifier
from skemo.datasets import load_goemotions_sample
from skemo.model_selection import MultilabelStratifiedKFold

LABELS = ["admiration", "amusement", "anger", "curiosity", "gratitude", "love"]

# The sample's texts that carry one of LABELS, with those labels only.
X_train, Y_train = load_goemotions_sample("train", return_X_y=True, labels=LABELS)
X_test, Y_test = load_goemotions_sample("test", return_X_y=True, labels=LABELS)

# %%
# The search
# ----------
# ``alpha=0`` and ``beta=0`` switch a view off, so the grid also shows what
# each auxiliary loss adds to plain instance-label training.

taco = TACOClassifier(
    max_epochs=2,
    lr=1e-4,
    batch_size=16,
    max_length=48,
    threshold="tuned",
    label_names=LABELS,
    random_state=0,
)
search = GridSearchCV(
    taco,
    param_grid={"alpha": [0.0, 0.45], "beta": [0.0, 0.5]},
    cv=MultilabelStratifiedKFold(n_splits=2, shuffle=True, random_state=0),
)
search.fit(X_train, Y_train)

print("best parameters:", search.best_params_)
print(f"best cross-validated macro-F1: {search.best_score_:.3f}")
print(f"test macro-F1 of the refitted best model: {search.score(X_test, Y_test):.3f}")

# %%
# Cross-validated macro-F1 of every candidate
# -------------------------------------------

alphas = sorted({params["alpha"] for params in search.cv_results_["params"]})
betas = sorted({params["beta"] for params in search.cv_results_["params"]})
scores = np.empty((len(alphas), len(betas)))
for params, score in zip(search.cv_results_["params"],
                         search.cv_results_["mean_test_score"]):
    scores[alphas.index(params["alpha"]), betas.index(params["beta"])] = score

fig, ax = plt.subplots(figsize=(4.5, 3.8), layout="constrained")
image = ax.imshow(scores, cmap="viridis")
ax.set_xticks(range(len(betas)), [f"beta={b}" for b in betas])
ax.set_yticks(range(len(alphas)), [f"alpha={a}" for a in alphas])
for (i, j), score in np.ndenumerate(scores):
    ax.text(j, i, f"{score:.3f}", ha="center", va="center",
            color="black" if score > scores.mean() else "white")
fig.colorbar(image, ax=ax, label="mean CV macro-F1")
ax.set_title("TACO loss weights")
plt.show()
