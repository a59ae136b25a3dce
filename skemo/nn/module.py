"""The module protocol: what an estimator's torch module must expose.

An estimator's ``module`` is an :class:`EmotionModule` subclass that the
base estimator builds as ``module(encoder=TextEncoder, n_labels=L, **kwargs)``
(``kwargs`` from the estimator's ``_module_kwargs()`` and its ``module__*``
parameters). It exposes:

``encoder``
    The :class:`~skemo.nn.TextEncoder` it was given, as an attribute:
    saving, ``freeze_encoder``, the embedding cache and the optimizer's
    parameter groups (encoder at ``lr``, everything else at ``head_lr``)
    find it there.
``forward(input_ids, attention_mask)``
    The label logits ``(B, L)``, or a tuple whose first item they are (the
    other items -- embeddings, auxiliary heads' logits -- go to the
    criterion). ``input_ids`` may also be precomputed pooled embeddings
    (float ``(B, H)``, ``attention_mask`` None), which the encoder passes
    through unchanged (``freeze_encoder``).
:meth:`~EmotionModule.label_bias`
    The bias ``(L,)`` added to the label logits, which ``fit`` starts at
    the training prior; None when the logits have no such bias.
:meth:`~EmotionModule.calibration_parameters`
    Scalars that only calibrate probabilities (e.g. a similarity offset);
    they train at their own fixed learning rate with no weight decay.
:meth:`~EmotionModule.for_gradients`
    The module to differentiate label scores through with respect to the
    text's input embeddings (word attributions): itself, unless its forward
    pass runs the encoder on more than the text (label texts, say what
    else is fixed here).
:meth:`~EmotionModule.with_encoder`
    A copy running another encoder, sharing everything else: int8
    prediction runs the copy whose encoder is on onnxruntime. A module whose
    forward pass reads more than its text's encoding (e.g. label embeddings,
    :class:`~skemo.nn.LabelTextModel`) says here what the copy keeps.
"""

import copy

from torch import nn


class EmotionModule(nn.Module):
    """Base class of every estimator's torch module (see the module docstring).

    Parameters
    ----------
    encoder : skemo.nn.TextEncoder
        Stored as ``self.encoder``.

    Examples
    --------
    >>> import torch
    >>> from skemo.nn import EmotionModule
    >>> class MeanScore(EmotionModule):
    ...     def forward(self, input_ids, attention_mask):
    ...         return input_ids.mean(dim=1, keepdim=True)
    >>> MeanScore(encoder=None).label_bias() is None
    True
    """

    def __init__(self, encoder):
        super().__init__()
        self.encoder = encoder

    def label_bias(self):
        """The bias tensor of the label logits, or None (the default: no such bias).

        ``fit`` copies the label prior (log-odds, or centred log frequencies)
        into it, so training starts at the prior's loss rather than at
        ``p = 0.5`` everywhere.
        """
        return None

    def calibration_parameters(self):
        """Parameters that only calibrate probabilities (default: none).

        They train at :data:`~skemo.base.CALIBRATION_LR` without weight decay.
        """
        return []

    def for_gradients(self):
        """The module whose scores are differentiated with respect to the text's inputs.

        Integrated gradients replace the output of the encoder's input
        embedding layer; a forward pass that runs that layer on anything
        but the text would see its output replaced too. This default, the
        module itself, suits modules that encode only the text.

        Returns
        -------
        EmotionModule
        """
        return self

    def with_encoder(self, encoder):
        """A copy of this module that runs ``encoder`` in place of ``self.encoder``.

        Every other submodule is copied, but the copies hold this module's
        parameters and buffers, not copies of them: the heads of the copy
        are this module's heads. This module is unchanged.

        Parameters
        ----------
        encoder : torch.nn.Module
            Takes the place of ``self.encoder`` (e.g. the int8 encoder on
            onnxruntime that ``precision="int8"`` predicts with).

        Returns
        -------
        EmotionModule
        """
        memo = {id(self.encoder): encoder,
                **{id(t): t for t in (*self.parameters(), *self.buffers())}}
        return copy.deepcopy(self, memo)


__all__ = ["EmotionModule"]
