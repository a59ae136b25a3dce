"""Interrupted training, crash-safe checkpoints and resumed fits."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
from skorch.callbacks import Callback

import skemo
from skemo import FineTunedEmotionClassifier

from .conftest import tiny_params


class InterruptAtEpoch(Callback):
    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_begin(self, net, **kwargs):
        if len(net.history) == self.epoch:
            raise KeyboardInterrupt


def test_keyboard_interrupt_leaves_a_usable_estimator(multilabel_data):
    X, Y, _ = multilabel_data
    est = FineTunedEmotionClassifier(**tiny_params(
        max_epochs=5, validation_fraction=None, callbacks=[InterruptAtEpoch(3)]))
    est.fit(X, Y)
    assert len(est.history) == 3  # the interrupted epoch has a row but no training
    assert est.predict_proba(X[:4]).shape == (4, 4)
    est.set_params(callbacks=[], max_epochs=1)
    est.partial_fit(X, Y)
    assert len(est.history) == 4


def test_checkpoints_are_complete_skemo_saves(multilabel_data, tmp_path):
    X, Y, names = multilabel_data
    est = FineTunedEmotionClassifier(**tiny_params(checkpoint_dir=tmp_path, label_names=names))
    est.fit(X, Y)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["best", "last"]
    history = json.loads((tmp_path / "last" / "history.json").read_text())
    assert len(history) == 2
    best = skemo.load(tmp_path / "best")
    assert best.predict_proba(X[:4]).shape == (4, 4)


CHILD = textwrap.dedent("""
    import sys, time
    import numpy as np
    from skorch.callbacks import Callback
    from skemo import FineTunedEmotionClassifier
    from skemo.datasets import load_goemotions_sample
    from tests.conftest import tiny_params

    class SlowAfterFirstEpoch(Callback):
        def on_batch_end(self, net, **kwargs):
            if len(net.history) > 1:
                time.sleep(2.0)

    data = load_goemotions_sample()
    X, Y = data.data[:64], data.target[:64][:, [0, 1, 15, 27]]
    est = FineTunedEmotionClassifier(**tiny_params(
        max_epochs=3, validation_fraction=None, checkpoint_dir=sys.argv[1],
        callbacks=[SlowAfterFirstEpoch()]))
    est.fit(X, Y)
""")


def test_killed_fit_resumes_from_its_last_checkpoint(sample, tmp_path):
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    ckpt = tmp_path / "ckpt"
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    child = subprocess.Popen([sys.executable, str(script), str(ckpt)], cwd=root,
                             env={**os.environ, "PYTHONPATH": root})
    deadline = time.time() + 240
    while not (ckpt / "last" / "history.json").exists():
        assert child.poll() is None, "the child finished or crashed before its first epoch"
        assert time.time() < deadline
        time.sleep(0.2)
    child.send_signal(signal.SIGKILL)
    child.wait()
    written = json.loads((ckpt / "last" / "history.json").read_text())
    assert 1 <= len(written) < 3  # killed before the last epoch finished
    assert skemo.load(ckpt / "last").predict_proba(["hi"]).shape == (1, 4)  # complete

    X, Y = sample.data[:64], sample.target[:64][:, [0, 1, 15, 27]]
    est = FineTunedEmotionClassifier(**tiny_params(max_epochs=3, validation_fraction=None,
                                                   checkpoint_dir=ckpt))
    est.fit(X, Y)
    assert est.resumed_epochs_ == len(written)
    assert len(est.history) == 3
    assert est.history[0, "train_loss"] == pytest.approx(written[0]["train_loss"])
    assert np.isfinite(est.predict_proba(X[:4])).all()


def test_checkpoint_of_another_label_set_is_refused(multilabel_data, tmp_path):
    X, Y, names = multilabel_data
    FineTunedEmotionClassifier(**tiny_params(max_epochs=1, checkpoint_dir=tmp_path,
                                             label_names=names)).fit(X, Y)
    other = FineTunedEmotionClassifier(**tiny_params(
        max_epochs=2, checkpoint_dir=tmp_path, label_names=["a", "b", "c", "d"]))
    with pytest.raises(ValueError, match="different estimator or label set"):
        other.fit(X, Y)
