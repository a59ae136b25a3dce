"""Parameter checks: every parameter declared once, checked at ``fit`` and again at prediction.

:class:`ParameterChecksMixin` holds the constraints of the shared parameters
(scikit-learn's ``_parameter_constraints``; a method adds its own to them),
the combinations that cannot work together, and the skorch parameters that
skemo sets itself. ``fit`` checks all of them; prediction checks again those
it reads, which ``set_params`` may have changed since.
"""

import os
from numbers import Integral, Real

from sklearn.utils._param_validation import (
    Interval,
    StrOptions,
    validate_parameter_constraints,
)

from skemo.nn.encoder import POOLINGS
from skemo.utils._precision import PRECISIONS
from skemo.utils._validation import check_device


class ParameterChecksMixin:
    """The constraints and checks of the shared parameters (see the module docstring)."""

    _parameter_constraints = {
        "pooling": [StrOptions({"auto", *POOLINGS})],
        "max_length": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither"), StrOptions({"auto"})],
        "max_epochs": [Interval(Integral, 0, None, closed="left"), StrOptions({"auto"})],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "warmup_ratio": [Interval(Real, 0, 1, closed="both")],
        "head_lr": [None, Interval(Real, 0, None, closed="neither")],
        "threshold": [Interval(Real, 0, 1, closed="both"), StrOptions({"tuned", "auto"})],
        "calibration": [None, StrOptions({"auto", "temperature"})],
        "class_weight": [None, StrOptions({"balanced"})],
        "validation_fraction": [None, Interval(Real, 0, 1, closed="neither")],
        "patience": [None, Interval(Integral, 1, None, closed="left")],
        "checkpoint_dir": [None, str, os.PathLike],
        "lora_r": [None, Interval(Integral, 1, None, closed="left")],
        "lora_alpha": [Interval(Real, 0, None, closed="neither")],
        "lora_dropout": [Interval(Real, 0, 1, closed="left")],
        "freeze_encoder": ["boolean"],
        "cache_dir": [None, str, os.PathLike],
        "trust_remote_code": ["boolean"],
        "precision": [StrOptions(set(PRECISIONS))],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def get_params(self, deep=True, **kwargs):
        params = super().get_params(deep=deep, **kwargs)
        # skorch takes every attribute not ending in "_" for a parameter; these two are
        # its own bookkeeping and set_output's configuration (which clone copies itself)
        params.pop("_params_to_validate", None)
        params.pop("_sklearn_output_config", None)
        return params

    def _check_parameters(self):
        validate_parameter_constraints(
            self._parameter_constraints, self.get_params(deep=False),
            caller_name=type(self).__name__)
        if self.threshold == "tuned" and not self.validation_fraction:
            raise ValueError("threshold='tuned' needs a validation split to tune on; "
                             "set validation_fraction (e.g. 0.1) or a float threshold.")
        if self.freeze_encoder and self.lora_r is not None:
            raise ValueError("freeze_encoder=True trains no encoder weight, so it cannot "
                             "train LoRA adapters (lora_r); set one of them only.")
        self._check_overridden_skorch_params()
        check_device(self.device)

    #: skorch parameters that skemo sets itself, with what to use instead.
    _OVERRIDDEN_SKORCH_PARAMS = {
        "train_split": (None, "skemo holds out validation_fraction of the data itself "
                              "(multilabel-stratified); set validation_fraction instead"),
        "predict_nonlinearity": ("auto", "skemo turns scores into probabilities itself "
                                         "(sigmoid or softmax, as the targets are)"),
    }

    def _check_overridden_skorch_params(self):
        from skorch.dataset import Dataset

        for name, (default, instead) in self._OVERRIDDEN_SKORCH_PARAMS.items():
            if getattr(self, name) is not default and getattr(self, name) != default:
                raise ValueError(f"{type(self).__name__} does not use skorch's {name}: "
                                 f"{instead}.")
        if self.dataset is not Dataset:
            raise ValueError(f"{type(self).__name__} does not use skorch's dataset: it "
                             "builds its own text dataset (tokenised texts, padded "
                             "batches); override get_dataset to change it.")

    def _check_predict_parameters(self):
        """The parameters read at prediction time, checked again (set_params after fit)."""
        names = ("max_length", "batch_size", "precision", "threshold")
        validate_parameter_constraints(
            {name: self._parameter_constraints[name] for name in names},
            {name: getattr(self, name) for name in names}, caller_name=type(self).__name__)
        limit = getattr(self, "max_positions_", None)
        if limit is not None and self.max_length > limit:
            raise ValueError(f"max_length={self.max_length} exceeds the {limit} positions "
                             "of the encoder; set max_length to at most that.")
