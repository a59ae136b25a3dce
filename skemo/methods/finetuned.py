"""The baseline: a fine-tuned encoder with a linear classification head."""

from skemo.base import EmotionClassifierBase
from skemo.losses import ClassificationLoss
from skemo.nn import ClassifierHeadModel


class FineTunedEmotionClassifier(EmotionClassifierBase):
    """The baseline: fine-tune the encoder with a linear head and (B)CE.

    Multi-label targets train with binary cross-entropy per label
    (``class_weight="balanced"`` sets ``pos_weight_l = n_neg_l / n_pos_l``),
    single-label targets with cross-entropy. ``lora_r`` trains LoRA adapters
    instead of all encoder weights, which makes decoder backbones (Llama,
    Qwen, Gemma) affordable.

    All parameters are those of :class:`~skemo.base.EmotionClassifierBase`;
    the head's dropout is ``module__dropout`` (default 0.1).

    Examples
    --------
    >>> from skemo import FineTunedEmotionClassifier
    >>> from skemo.datasets import load_goemotions_sample
    >>> data = load_goemotions_sample()
    >>> clf = FineTunedEmotionClassifier(max_epochs=1, label_names=data.target_names,
    ...                                  random_state=0)
    >>> clf.fit(data.data[:64], data.target[:64]).predict_proba(["thanks!"]).shape
    (1, 28)
    """

    method_key = "finetuned"
    #: Parameter sets and ``module__*`` values of the estimator checks
    #: (:func:`skemo.utils.estimator_checks.instances`).
    _estimator_check_params = ({}, {"freeze_encoder": True}, {"lora_r": 2},
                               {"class_weight": "balanced", "pooling": "cls"})
    _estimator_check_module_params = {"module__dropout": 0.2}
    module = ClassifierHeadModel
    criterion = ClassificationLoss


__all__ = ["FineTunedEmotionClassifier"]
