"""A fit killed mid-epoch and resumed from its checkpoint ends with the uninterrupted model.

For every estimator, a child process fits with ``checkpoint_dir`` and kills
itself (SIGKILL: no clean-up runs) in the middle of an epoch; the parent
then resumes the fit from the checkpoint and compares it with a fit that was
never interrupted: same history, same thresholds, and ``predict_proba``
equal bit for bit (CPU, same thread count). Dropout, a validation split with
early stopping (``patience=1``) and every method's own randomness (TACO's
k-means seeds, the auxiliary task draws) are exercised.
"""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

import skemo
from skemo.datasets import load_goemotions_sample

from .conftest import LABELS, N_TEXTS, tiny_params

ESTIMATORS = dict(skemo.all_estimators())
#: Extra arguments per estimator, so that each one's own randomness is exercised.
EXTRA_PARAMS = {"DefinitionAuxiliaryClassifier": {"aux_tasks": ("cdp", "mlm")}}
#: The child dies before this batch (0-based) of this epoch (1-based) runs.
KILL_EPOCH, KILL_BATCH = 2, 2


def resume_setup(name, checkpoint_dir):
    """The estimator and the data of the resume test for estimator ``name``."""
    X, Y = load_goemotions_sample(return_X_y=True, labels=LABELS)
    params = tiny_params(max_epochs=4, validation_fraction=0.25, patience=1,
                         label_names=LABELS, checkpoint_dir=str(checkpoint_dir),
                         **EXTRA_PARAMS.get(name, {}))
    return ESTIMATORS[name](**params), X[:N_TEXTS], Y[:N_TEXTS].astype(np.int64)


CHILD = textwrap.dedent(f"""
    import os, signal, sys
    import torch
    torch.set_num_threads(int(sys.argv[3]))
    from skemo._estimator import training
    from skemo.base import EmotionClassifierBase
    from tests.test_resume import resume_setup

    training.MIN_SELECTION_TEXTS = 0  # as tests/conftest.py sets it in this process

    train_step = EmotionClassifierBase.train_step

    def train_step_then_die(self, batch, **fit_params):
        if (len(self.history) == {KILL_EPOCH}
                and len(self.history[-1]["batches"]) == {KILL_BATCH}):
            os.kill(os.getpid(), signal.SIGKILL)
        return train_step(self, batch, **fit_params)

    EmotionClassifierBase.train_step = train_step_then_die
    est, X, Y = resume_setup(sys.argv[1], sys.argv[2])
    est.fit(X, Y)
    sys.exit("the child was not killed")
""")


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_resumed_fit_equals_the_uninterrupted_fit(name, tmp_path):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    ckpt = tmp_path / "killed"
    child = subprocess.run(
        [sys.executable, str(script), name, str(ckpt), str(torch.get_num_threads())],
        cwd=root, env={**os.environ, "PYTHONPATH": root}, capture_output=True, text=True,
        timeout=600)
    assert child.returncode == -9, child.stderr[-3000:]
    [last] = list(ckpt.glob("*/last"))
    done = json.loads((last / "history.json").read_text())
    assert len(done) == KILL_EPOCH - 1  # killed mid-epoch, after one finished epoch

    reference, X, Y = resume_setup(name, tmp_path / "reference")
    reference.fit(X, Y)
    resumed, _, _ = resume_setup(name, ckpt)
    resumed.fit(X, Y)

    assert resumed.resumed_epochs_ == KILL_EPOCH - 1
    assert resumed.history[:, "train_loss"] == reference.history[:, "train_loss"]
    assert (resumed.history[:, "valid_f1_macro"]
            == reference.history[:, "valid_f1_macro"])
    np.testing.assert_array_equal(resumed.thresholds_, reference.thresholds_)
    np.testing.assert_array_equal(resumed.predict_proba(X), reference.predict_proba(X))
