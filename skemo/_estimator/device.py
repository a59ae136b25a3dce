"""Device and precision of an estimator: where its forward passes run, and in which number type.

``device="auto"`` resolves to ``device_`` at initialisation (skorch itself
sees the concrete device); ``precision`` is read at every forward pass
(:meth:`DeviceMixin.infer`), so it can change after ``fit``. Prediction in a
precision that quantises runs the int8 copy of the module
(:func:`skemo.utils._precision.int8_copy`), which :meth:`DeviceMixin._prediction_module`
returns without changing ``module_``. The rules behind each precision are in
:mod:`skemo.utils._precision`.
"""

import contextlib

import torch
from sklearn.utils import check_random_state
from skorch.utils import to_tensor

from skemo.utils._precision import autocast, int8_copy, quantizes, resolve_device


class DeviceMixin:
    """Device resolution, seeding, and the forward pass in the chosen precision."""

    def initialize(self):
        self._seed_and_place()
        with self._device_resolved():
            return super().initialize()

    def _seed_and_place(self):
        """Set ``device_`` and ``seed_`` and seed torch: the start of every initialisation."""
        self.device_ = self._resolve_device()
        self.seed_ = int(check_random_state(self.random_state).randint(2**31 - 1))
        torch.manual_seed(self.seed_)

    def _resolve_device(self):
        """The concrete device (``"cpu"``, ``"cuda"``...) that ``device`` stands for."""
        return resolve_device(self.device)

    @contextlib.contextmanager
    def _device_resolved(self):
        """Let skorch's own initialisation see the concrete device, not "auto"."""
        requested = self.device
        self.device = self.device_
        try:
            yield
        finally:
            self.device = requested

    def set_params(self, **kwargs):
        if not self.initialized_:
            return super().set_params(**kwargs)
        if "device" in kwargs:
            self.device_ = resolve_device(kwargs["device"])
        with self._device_resolved():
            super().set_params(**kwargs)
        if "device" in kwargs:
            self.device = kwargs["device"]
        return self

    def _autocast(self, precision=None):
        """Autocast context of forward passes in ``precision`` (None: the parameter)."""
        return autocast(self.precision if precision is None else precision, self.device_)

    def infer(self, x, module=None, precision=None, **fit_params):
        """The forward pass of batch ``x`` on ``device_`` (skorch's hook).

        Parameters
        ----------
        x : dict
            ``input_ids`` and ``attention_mask`` (None in batches of
            precomputed embeddings, ``freeze_encoder``).
        module : torch.nn.Module or None, default=None
            The network to run; None: ``module_``. Prediction passes the one
            it runs (e.g. the int8 copy), leaving ``module_`` as it is.
        precision : str or None, default=None
            The autocast precision; None: the ``precision`` parameter.
        **fit_params
            Passed on to the module's forward.

        Returns
        -------
        torch.Tensor or tuple
            The module's output.
        """
        x = {key: value if value is None else to_tensor(value, device=self.device_)
             for key, value in x.items()}
        with self._autocast(precision):
            return (self.module_ if module is None else module)(**x, **fit_params)

    def _prediction_module(self, precision):
        """The network that prediction in ``precision`` runs: ``module_`` or its int8 copy.

        The int8 copy where ``precision`` quantises and the encoder is not
        frozen: built at the first prediction after the weights change, then
        cached (:func:`skemo.utils._precision.int8_copy`). Where the encoder
        cannot be exported, ``"int8"`` raises.

        Parameters
        ----------
        precision : str

        Returns
        -------
        torch.nn.Module
            In evaluation mode.

        Raises
        ------
        ValueError
            If ``precision="int8"`` and the encoder cannot be exported.
        """
        encoder = self._text_encoder()
        if encoder is None or encoder.frozen or not quantizes(precision, self.device_):
            return self.module_
        try:
            return int8_copy(self.module_, self.tokenizer_)
        except Exception as error:  # torch.onnx or the quantiser refusing this encoder
            raise ValueError(f"precision='int8' could not export this encoder to "
                             f"onnxruntime ({error}); predict in 'bf16' or 'fp32'."
                             ) from error

    def __setstate__(self, state):
        # A pickled estimator keeps the device it asks for (``device``) apart
        # from the one it ran on (``device_``), which unpickling places it on.
        requested = state["device"]
        state["device"] = state.get("device_", "cpu")
        super().__setstate__(state)
        self.device_ = self.device
        self.device = requested
