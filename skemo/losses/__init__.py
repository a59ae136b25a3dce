"""Loss functions of the methods skemo implements, as plain torch functions."""

from skemo.losses.classification import (
    ClassificationLoss,
    label_probabilities,
    one_hot_targets,
)
from skemo.losses.clustering_contrastive import (
    batch_kmeans,
    clustering_contrastive_loss,
    n_distinct_labels,
)
from skemo.losses.distillation import DistillationLoss, soften
from skemo.losses.exclusivity import exclusivity_loss, exclusivity_margins
from skemo.losses.gradient_norms import encoder_gradient_norms, loss_terms
from skemo.losses.label_disentangling import label_disentangling_loss
from skemo.losses.multi_positive_contrastive import multi_positive_contrastive_loss

__all__ = [
    "ClassificationLoss",
    "DistillationLoss",
    "batch_kmeans",
    "clustering_contrastive_loss",
    "encoder_gradient_norms",
    "exclusivity_loss",
    "exclusivity_margins",
    "label_disentangling_loss",
    "label_probabilities",
    "loss_terms",
    "multi_positive_contrastive_loss",
    "n_distinct_labels",
    "one_hot_targets",
    "soften",
]
