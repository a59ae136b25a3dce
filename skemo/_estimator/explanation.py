"""What word attributions need of an estimator (:class:`skemo.explain.ExplanationMixin`).

The scorers of the labels to explain: ``predict_proba`` (for the fitted
labels, or for labels scored from their descriptions by the label-text
methods), and, where the encoder is trained (not frozen), the float32
network from the input embeddings to the calibrated probabilities, which
integrated gradients differentiate. ``method="auto"`` takes integrated
gradients where prediction runs that float network, and occlusion where it
runs the int8 encoder (``precision``) or a frozen one.
"""

import torch

from skemo.calibration import rescale_proba_tensor
from skemo.explain import ExplanationMixin, GradientScorer
from skemo.utils._precision import quantizes


class ExplanationHooksMixin(ExplanationMixin):
    """``explain`` for skemo's estimators (see the module docstring)."""

    def _explained_module(self, open_labels):
        """The label names and the module scoring them (label-text methods add open labels)."""
        if open_labels is not None:
            raise self._refuse_open_labels(open_labels)
        return list(self.label_names_), self.module_

    def _explanation_scorers(self, open_labels):
        self.module_.eval()
        names, module = self._explained_module(open_labels)
        if open_labels is None:
            proba = self.predict_proba
        else:
            def proba(texts):
                return self.predict_proba(texts, labels=open_labels)
        encoder = self._text_encoder()
        if encoder is None or encoder.frozen:
            return names, proba, None, "occlusion"
        network = module.for_gradients()
        temperatures = self._temperatures_for(None if open_labels is None else names)
        device_type = torch.device(self.device_).type

        def forward(input_ids, attention_mask):
            with torch.autocast(device_type, enabled=False):
                probabilities = self.proba_tensor_from_output(network(input_ids, attention_mask))
            if temperatures is None:
                return probabilities
            return rescale_proba_tensor(probabilities, temperatures, self.multilabel_)

        gradient = GradientScorer(forward, encoder.backbone.get_input_embeddings(),
                                  self.tokenizer_, self.max_length, self.device_)
        default = ("occlusion" if quantizes(self.precision, self.device_)
                   else "integrated_gradients")
        return names, proba, gradient, default
