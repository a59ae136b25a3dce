"""How strongly each term of a method's loss pulls on the encoder.

A combined loss ``L_primary + λ L_aux`` only does what its weights say when
its terms are on the same scale. :func:`encoder_gradient_norms` measures
that scale where it matters, as the norm of each weighted term's gradient
with respect to the encoder's weights on one batch.
"""

import numpy as np
import torch
from skorch.utils import to_tensor

from skemo.utils._text_data import PadCollator, tokenize_texts


def loss_terms(estimator, X, y):
    """The weighted loss terms of an initialised estimator on one batch, by name.

    The primary (classification) term comes first. Terms come from the
    criterion's ``terms(output, target)`` and, for methods that train
    auxiliary inputs built from the batch (definition pairs), from the
    estimator's ``auxiliary_loss_terms(X, y)``.

    Parameters
    ----------
    estimator : skemo estimator, initialised (see :func:`encoder_gradient_norms`)
        Its module and loss are read; it is not trained.
    X : dict of torch.Tensor
        A collated batch (``input_ids``, ``attention_mask``).
    y : torch.Tensor
        Encoded targets of the batch.

    Returns
    -------
    dict of str to scalar torch.Tensor
    """
    output = estimator.infer(X)
    target = to_tensor(y, device=estimator.device_)
    criterion = estimator.criterion_
    terms = dict(criterion.terms(output, target))
    auxiliary = getattr(estimator, "auxiliary_loss_terms", None)
    if auxiliary is not None:
        terms.update(auxiliary(X, y))
    return terms


def encoder_gradient_norms(estimator, X, y):
    """The encoder gradient norm of each weighted loss term, on one batch.

    Parameters
    ----------
    estimator : skemo estimator
        Fitted, or unfitted: then it is initialised on ``(X, y)`` as ``fit``
        would (label encoding, module, label-prior bias) without training.
    X : sequence of str
        The texts of one batch.
    y : indicator matrix, label lists or 1-D labels
        Their targets.

    Returns
    -------
    dict of str to float
        ``||∂ term / ∂ θ_encoder||_2`` for every term, in the order of
        :func:`loss_terms` (the primary term first). The module is in
        training mode with dropout off, so repeated calls agree.

    Examples
    --------
    >>> from skemo import FineTunedEmotionClassifier
    >>> from skemo.losses import encoder_gradient_norms
    >>> clf = FineTunedEmotionClassifier(random_state=0)
    >>> norms = encoder_gradient_norms(clf, ["so happy", "so sad"], ["joy", "sadness"])
    >>> list(norms)
    ['classification']
    """
    if not getattr(estimator, "initialized_", False) or not hasattr(estimator, "classes_"):
        estimator._check_parameters()
        _, encoded = estimator._prepare_fit_data(X, y, reset=True)
        estimator.initialize()
        estimator._initialize_label_bias(encoded)
    texts, encoded = estimator._prepare_fit_data(X, y, reset=False)
    rows = tokenize_texts(estimator.tokenizer_, texts, estimator.max_length)
    batch, target = PadCollator(estimator.tokenizer_.pad_token_id)(
        list(zip(rows, np.asarray(encoded))))
    module, criterion = estimator.module_, estimator.criterion_
    module.train()
    criterion.train()
    dropouts = [m for m in module.modules() if isinstance(m, torch.nn.Dropout)]
    rates = [m.p for m in dropouts]
    for m in dropouts:
        m.p = 0.0
    params = [p for p in module.encoder.parameters() if p.requires_grad]
    try:
        terms = loss_terms(estimator, batch, target)
        norms = {}
        for i, (name, term) in enumerate(terms.items()):
            if not term.requires_grad:
                norms[name] = 0.0
                continue
            grads = torch.autograd.grad(term, params, retain_graph=i < len(terms) - 1,
                                        allow_unused=True)
            squares = [g.float().pow(2).sum() for g in grads if g is not None]
            norms[name] = float(torch.stack(squares).sum().sqrt()) if squares else 0.0
    finally:
        for m, rate in zip(dropouts, rates):
            m.p = rate
        module.zero_grad(set_to_none=True)
    return norms


__all__ = ["encoder_gradient_norms", "loss_terms"]
