"""The training step's details: LR schedule length, fp16 loss scaling, untouched inputs."""

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback
from skorch.history import History

from skemo import FineTunedEmotionClassifier

from .conftest import tiny_bert, tiny_params


class RecordLR(Callback):
    """Record the learning rate each training step runs at."""

    def on_batch_begin(self, net, training=False, **kwargs):
        if training:
            net.history.record_batch("lr", net.optimizer_.param_groups[0]["lr"])


@pytest.mark.parametrize("iterator_params", [
    {"iterator_train__batch_size": 8},
    {"iterator_train__sampler": torch.utils.data.RandomSampler(range(96)),
     "iterator_train__batch_size": 8},
])
def test_the_lr_schedule_spans_the_real_training_steps(multilabel_data, iterator_params):
    X, Y, _ = multilabel_data
    est = FineTunedEmotionClassifier(**tiny_params(
        validation_fraction=None, warmup_ratio=0.0, callbacks=[RecordLR()],
        **iterator_params)).fit(X, Y)
    steps = sum(est.history[:, "train_batch_count"])
    assert steps == 2 * 12  # 96 texts in batches of 8, not of batch_size=16
    assert est.callbacks_[[n for n, _ in est.callbacks_].index("lr_schedule")][1] \
        .total_steps_ == steps
    lrs = [lr for epoch in est.history[:, "batches"] for lr in
           (batch["lr"] for batch in epoch)]
    assert min(lrs) > 0  # the decay reaches 0 only after the last step
    assert lrs[-1] == pytest.approx(2e-3 / steps)


def test_gradient_scaling_does_not_change_the_updates(multilabel_data, monkeypatch):
    """The fp16 loss scaler (CUDA only) scales and unscales exactly; forced on here on a CPU."""
    X, Y, _ = multilabel_data
    plain = FineTunedEmotionClassifier(**tiny_params(max_epochs=1, validation_fraction=None))
    plain.fit(X, Y)
    assert plain.grad_scaler_ is None  # fp32: no scaler
    monkeypatch.setattr(FineTunedEmotionClassifier, "_make_grad_scaler",
                        lambda self: torch.amp.GradScaler("cpu", init_scale=2.0**12))
    scaled = FineTunedEmotionClassifier(**tiny_params(max_epochs=1, validation_fraction=None))
    scaled.fit(X, Y)
    assert scaled.grad_scaler_.get_scale() >= 2.0**12  # used, and no overflow step skipped
    for a, b in zip(plain.module_.parameters(), scaled.module_.parameters()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


@pytest.mark.filterwarnings("ignore:torch.cuda.amp.GradScaler is enabled")
def test_fp16_on_cuda_gets_a_scaler():
    est = FineTunedEmotionClassifier(precision="fp16")
    est.device_ = "cuda"
    scaler = est._make_grad_scaler()
    assert isinstance(scaler, torch.amp.GradScaler) and scaler._device == "cuda"
    est.precision = "bf16"
    assert est._make_grad_scaler() is None


def test_the_user_s_config_is_not_changed_by_fit(multilabel_data):
    X, Y, _ = multilabel_data
    config = tiny_bert()
    before = (config.to_dict(), dict(vars(config)))
    FineTunedEmotionClassifier(**tiny_params(encoder=config, max_epochs=1)).fit(X, Y)
    assert (config.to_dict(), dict(vars(config))) == before


@pytest.mark.parametrize("params, message", [
    ({"train_split": lambda X, y: (X, None)}, "does not use skorch's train_split"),
    ({"predict_nonlinearity": torch.sigmoid}, "does not use skorch's predict_nonlinearity"),
    ({"dataset": torch.utils.data.TensorDataset}, "does not use skorch's dataset"),
])
def test_skorch_parameters_skemo_sets_itself_are_refused(params, message):
    est = FineTunedEmotionClassifier(**tiny_params(**params))
    with pytest.raises(ValueError, match=message):
        est.fit(["a", "b"] * 10, ["joy", "fear"] * 10)


def test_batch_order_depends_on_seed_and_epoch_only(multilabel_data):
    X, Y, _ = multilabel_data
    est = FineTunedEmotionClassifier(**tiny_params(max_epochs=1)).fit(X, Y)
    dataset = est.get_dataset(X, Y)
    est.history_ = History()
    first = est.get_iterator(dataset, training=True).batch_sampler
    epochs = [list(first) for _ in range(3)]
    est.history_ = History([{}, {}])  # as if two epochs were done
    third = list(est.get_iterator(dataset, training=True).batch_sampler)
    assert third == epochs[2] != epochs[1]
    assert np.array_equal(sorted(i for b in third for i in b), np.arange(len(X)))


def test_the_declared_floors_cover_the_apis_fit_uses():
    """``fit`` passes skorch's ``_routing_method`` (skorch 1.4) and uses ``torch.amp.GradScaler``
    (torch 2.3); ``.ci/min-versions`` installs the floors and runs the tests on them."""
    import inspect
    import os
    import re
    from pathlib import Path

    import tomllib
    from packaging.version import Version
    from skorch import NeuralNet

    root = Path(__file__).parent.parent
    floors = {re.split(r"[>=\[ ]", r)[0]: Version(r.split(">=")[1])
              for r in tomllib.loads((root / "pyproject.toml").read_text())["project"][
                  "dependencies"] if ">=" in r}
    assert floors["skorch"] >= Version("1.4") and floors["torch"] >= Version("2.3")
    assert "_routing_method" in inspect.signature(NeuralNet.fit_loop).parameters
    assert os.access(root / ".ci" / "min-versions", os.X_OK)
