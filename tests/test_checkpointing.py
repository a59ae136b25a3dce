"""Interrupted training, crash-safe checkpoints that belong to one fit, resumed fits."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
from sklearn.model_selection import KFold, cross_validate
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


def test_keyboard_interrupt_is_raised_and_leaves_a_usable_estimator(multilabel_data):
    X, Y, _ = multilabel_data
    est = FineTunedEmotionClassifier(**tiny_params(
        max_epochs=5, validation_fraction=None, callbacks=[InterruptAtEpoch(3)]))
    with pytest.raises(KeyboardInterrupt, match="interrupted after 3 epoch"):
        est.fit(X, Y)
    assert est.interrupted_
    assert est.thresholds_ is None
    assert len(est.history) == 3  # the interrupted epoch has a row but no training
    assert est.predict_proba(X[:4]).shape == (4, 4)
    est.set_params(callbacks=[], max_epochs=1)
    est.partial_fit(X, Y)
    assert len(est.history) == 4 and not est.interrupted_


def test_early_stopping_is_not_an_interrupt(multilabel_data):
    X, Y, _ = multilabel_data
    est = FineTunedEmotionClassifier(**tiny_params(max_epochs=30, patience=1, lr=1e-5,
                                                   head_lr=1e-5)).fit(X, Y)
    assert len(est.history) < 30 and not est.interrupted_


def test_checkpoints_are_complete_skemo_saves_in_the_fit_s_directory(multilabel_data,
                                                                      tmp_path):
    X, Y, names = multilabel_data
    est = FineTunedEmotionClassifier(**tiny_params(checkpoint_dir=tmp_path, label_names=names))
    est.fit(X, Y)
    assert est.checkpoint_path_ == tmp_path / est.fit_fingerprint_
    assert [p.name for p in tmp_path.iterdir()] == [est.fit_fingerprint_]
    assert sorted(p.name for p in est.checkpoint_path_.iterdir()
                  if not p.name.startswith(".")) == ["best", "last"]
    history = json.loads((est.checkpoint_path_ / "last" / "history.json").read_text())
    assert len(history) == 2
    best = skemo.load(est.checkpoint_path_ / "best")
    assert best.predict_proba(X[:4]).shape == (4, 4)


def test_folds_of_a_cross_validation_do_not_share_checkpoints(multilabel_data, tmp_path):
    """Item 1: every fold trains its epochs, in a checkpoint directory of its own."""
    X, Y, _ = multilabel_data
    est = FineTunedEmotionClassifier(**tiny_params(checkpoint_dir=tmp_path,
                                                   validation_fraction=None))
    result = cross_validate(est, np.asarray(X, dtype=object), Y, cv=KFold(3),
                            return_estimator=True)
    assert [len(e.history) for e in result["estimator"]] == [2, 2, 2]
    assert [e.resumed_epochs_ for e in result["estimator"]] == [0, 0, 0]
    assert len({e.checkpoint_path_ for e in result["estimator"]}) == 3
    assert len(list(tmp_path.iterdir())) == 3


def test_a_fit_on_new_data_or_parameters_does_not_resume(multilabel_data, tmp_path):
    X, Y, _ = multilabel_data
    params = tiny_params(checkpoint_dir=tmp_path, validation_fraction=None)
    first = FineTunedEmotionClassifier(**params).fit(X[:64], Y[:64])
    again = FineTunedEmotionClassifier(**params).fit(X[:64], Y[:64])
    assert again.resumed_epochs_ == 2  # the same fit: nothing left to train
    np.testing.assert_array_equal(again.predict_proba(X), first.predict_proba(X))
    new_data = FineTunedEmotionClassifier(**params).fit(X[32:], Y[32:])
    assert new_data.resumed_epochs_ == 0 and len(new_data.history) == 2
    new_params = FineTunedEmotionClassifier(**{**params, "lr": 1e-3}).fit(X[:64], Y[:64])
    assert new_params.resumed_epochs_ == 0
    new_targets = FineTunedEmotionClassifier(**params).fit(X[:64], 1 - Y[:64])
    assert new_targets.resumed_epochs_ == 0
    assert len(list(tmp_path.iterdir())) == 4


def test_a_tampered_fingerprint_starts_fresh_with_a_warning(multilabel_data, tmp_path):
    X, Y, _ = multilabel_data
    params = tiny_params(checkpoint_dir=tmp_path, validation_fraction=None, max_epochs=1)
    first = FineTunedEmotionClassifier(**params).fit(X, Y)
    state_file = first.checkpoint_path_ / "last" / "training_state.json"
    state = json.loads(state_file.read_text())
    state["fingerprint"] = "0" * 16
    state_file.write_text(json.dumps(state))
    with pytest.warns(UserWarning, match="written by another fit"):
        again = FineTunedEmotionClassifier(**params).fit(X, Y)
    assert again.resumed_epochs_ == 0


def test_partial_fit_writes_no_checkpoint(multilabel_data, tmp_path):
    X, Y, _ = multilabel_data
    est = FineTunedEmotionClassifier(**tiny_params(checkpoint_dir=tmp_path, max_epochs=1))
    est.partial_fit(X, Y)
    assert est.checkpoint_path_ is None and list(tmp_path.iterdir()) == []


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
    while not list(ckpt.glob("*/last/history.json")):
        assert child.poll() is None, "the child finished or crashed before its first epoch"
        assert time.time() < deadline
        time.sleep(0.2)
    child.send_signal(signal.SIGKILL)
    child.wait()
    [last] = [p.parent for p in ckpt.glob("*/last/history.json")]
    written = json.loads((last / "history.json").read_text())
    assert 1 <= len(written) < 3  # killed before the last epoch finished
    assert skemo.load(last).predict_proba(["hi"]).shape == (1, 4)  # complete

    X, Y = sample.data[:64], sample.target[:64][:, [0, 1, 15, 27]]

    class SlowAfterFirstEpoch(Callback):  # the child's callback class: same fingerprint
        pass

    SlowAfterFirstEpoch.__qualname__ = "SlowAfterFirstEpoch"
    est = FineTunedEmotionClassifier(**tiny_params(
        max_epochs=3, validation_fraction=None, checkpoint_dir=ckpt,
        callbacks=[SlowAfterFirstEpoch()]))
    est.fit(X, Y)
    assert est.checkpoint_path_ == last.parent
    assert est.resumed_epochs_ == len(written)
    assert len(est.history) == 3
    assert est.history[0, "train_loss"] == written[0]["train_loss"]
    assert np.isfinite(est.predict_proba(X[:4])).all()
