"""Training toward a teacher's probabilities (:func:`skemo.distill`).

:class:`DistillationMixin` lets a fit train the label logits of any method
toward a teacher's probabilities with
:class:`~skemo.losses.distillation.DistillationLoss`, on texts with gold
labels and on unlabelled ones. It changes three of skorch's hooks, and only
while such a fit runs:

- ``get_split_datasets``: the training rows carry, after their encoded
  targets, whether they are labelled and the teacher's probabilities; the
  validation split (early stopping, calibration, thresholds) is drawn from
  the labelled texts only, with their gold targets (from all texts, with
  the teacher's answers, when none is labelled);
- ``initialize_criterion``: builds the distillation loss beside the
  method's own criterion, which still scores the validation split;
- ``get_loss``: training batches take the distillation loss on the logits
  :meth:`DistillationMixin.distillation_logits` names.

The logits' bias starts at the prior of the soft targets (mixed with the
gold labels), and where no text has gold labels the probabilities are not
rescaled by temperatures fitted to the teacher's hard answers.

The method's auxiliary terms (contrastive, valence heads...) need gold
labels for every text of a batch, so a distilled student trains its label
logits only; the target encoding (labels, their order, the kind of ``y``)
is the teacher's.
"""

from dataclasses import dataclass

import numpy as np
import torch
from skorch.utils import to_tensor

from skemo.losses.distillation import DistillationLoss
from skemo.model_selection import validation_split
from skemo.utils._targets import TargetConverter
from skemo.utils._text_data import TextDataset


@dataclass
class Distillation:
    """What a distilling fit trains toward (see :func:`skemo.distill`).

    Attributes
    ----------
    soft_targets : ndarray of shape (n_texts, n_labels)
        The teacher's probabilities for every text of the fit.
    labelled : ndarray of shape (n_texts,), bool
        Which texts' targets are gold labels (the others hold the teacher's answers).
    targets : skemo.utils._targets.TargetConverter
        The teacher's target encoding, which the student takes.
    alpha : float
    temperature : float
    """

    soft_targets: np.ndarray
    labelled: np.ndarray
    targets: TargetConverter
    alpha: float
    temperature: float


class DistillationMixin:
    """A fit toward a teacher's probabilities (see the module docstring)."""

    #: The distillation of the fit running now; None outside :meth:`_fit_distilled`.
    _distillation = None

    def _fit_distilled(self, X, y, distillation):
        """``fit`` on texts ``X`` and targets ``y`` toward ``distillation``'s soft targets.

        :meth:`_check_distillable` says beforehand whether this estimator can.
        """
        self._distillation = distillation
        try:
            return self.fit(X, y)
        finally:
            del self._distillation
            self.__dict__.pop("distillation_criterion_", None)

    def _check_distillable(self):
        """Raise a ValueError where this estimator's training cannot take soft targets.

        Methods whose probabilities are not the sigmoid (softmax) of one set
        of label logits, or whose training steps read every text's gold
        labels, extend it.
        """
        if self.checkpoint_dir is not None:
            raise ValueError("checkpoint_dir is not supported when distilling: a checkpoint "
                             "does not record the teacher's probabilities. Set "
                             "checkpoint_dir=None.")

    def distillation_logits(self, output):
        """The label logits that distillation trains: those ``predict_proba`` reads.

        Parameters
        ----------
        output : torch.Tensor or tuple
            The module's output for a batch.

        Returns
        -------
        torch.Tensor of shape (B, L)
        """
        return self.scores_from_output(output)

    def _target_encoding(self, y):
        """The target encoding of a fit: the teacher's when distilling."""
        if self._distillation is None:
            return super()._target_encoding(y)
        targets = self._distillation.targets
        return TargetConverter.from_state(targets.kind, targets.classes_.tolist(),
                                          targets.label_names_)

    def _initialize_label_bias(self, Y):
        """Start the logits' bias at the prior of what the loss trains toward.

        Distilling, that is the teacher's probabilities, mixed with the gold
        labels by ``alpha`` where there are some (not the teacher's answers,
        which overstate the frequent labels).
        """
        distillation = self._distillation
        if distillation is None:
            return super()._initialize_label_bias(Y)
        gold = Y if self.multilabel_ else np.eye(len(self.classes_))[Y]
        soft, alpha = distillation.soft_targets, distillation.alpha
        mixed = np.where(distillation.labelled[:, None], alpha * gold + (1 - alpha) * soft,
                         soft)
        return super()._initialize_label_bias(mixed)

    def _fit_temperatures(self, scores, Y_valid):
        """No temperatures where the validation labels are the teacher's answers.

        Scaled to fit hard answers, the student's probabilities would move
        away from the teacher's probabilities they were trained to match.
        """
        distillation = self._distillation
        if distillation is not None and not distillation.labelled.any():
            return None
        return super()._fit_temperatures(scores, Y_valid)

    def initialize_criterion(self):
        super().initialize_criterion()
        if self._distillation is not None:
            weights = self.label_weights_
            self.distillation_criterion_ = DistillationLoss(
                self.multilabel_,
                None if weights is None else torch.as_tensor(weights, device=self.device_),
                alpha=self._distillation.alpha, temperature=self._distillation.temperature)
        return self

    def get_split_datasets(self, X, y=None, **fit_params):
        distillation = self._distillation
        if distillation is None:
            return super().get_split_datasets(X, y, **fit_params)
        gold = self.get_dataset(X, y)
        Y = np.asarray(y)
        packed = np.hstack([Y.reshape(len(Y), -1), distillation.labelled[:, None],
                            distillation.soft_targets]).astype(np.float32)
        train = TextDataset(gold.input_ids, packed, lengths=gold.lengths)
        if not self.validation_fraction:
            self.validation_indices_ = None
            return train, None
        labelled = distillation.labelled
        pool = np.flatnonzero(labelled) if labelled.any() else np.arange(len(Y))
        _, valid = validation_split(Y[pool], self.validation_fraction, self.seed_)
        valid = pool[valid]
        valid = valid[np.argsort(gold.lengths[valid], kind="stable")]
        self.validation_indices_ = valid
        return train.subset(np.setdiff1d(np.arange(len(Y)), valid)), gold.subset(valid)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        if self._distillation is None or not training:
            return super().get_loss(y_pred, y_true, X=X, training=training)
        packed = to_tensor(y_true, device=self.device_)
        width = len(self.classes_) if self.multilabel_ else 1
        gold = packed[:, :width] if self.multilabel_ else packed[:, 0]
        return self.distillation_criterion_(self.distillation_logits(y_pred), gold,
                                            packed[:, width + 1:], packed[:, width] > 0.5)


__all__ = ["Distillation", "DistillationMixin"]
