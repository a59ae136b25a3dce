"""Crash-safe checkpoints and resumable fits (``checkpoint_dir=``).

After every epoch the estimator is written to ``<checkpoint_dir>/last`` and,
when the epoch improved validation macro-F1 (or every epoch without a
validation split), to ``<checkpoint_dir>/best``. Each write goes to a
temporary directory first and is then renamed into place, so a process
killed at any moment leaves the previous complete checkpoint behind and
loses at most the epoch that was running.

Both directories are ordinary skemo saves (:func:`skemo.load` reads them);
``last`` also holds the optimizer state and the training history, from
which ``fit`` resumes: calling ``fit`` again with the same ``checkpoint_dir``
restores the weights, optimizer and history of the last finished epoch and
trains only the remaining ``max_epochs - n_done`` epochs.
"""

import json
import os
import shutil
import uuid
from pathlib import Path

import torch
from skorch.callbacks import Callback
from skorch.history import History

from .persistence import save_estimator

OPTIMIZER_FILE = "optimizer.pt"
HISTORY_FILE = "history.json"


def _write_atomically(path, write):
    """Call ``write(tmp_dir)`` and rename the finished directory onto ``path``."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{uuid.uuid4().hex[:8]}")
    write(tmp)
    old = path.with_name(f".{path.name}.old-{uuid.uuid4().hex[:8]}")
    if path.exists():
        os.replace(path, old)
    os.replace(tmp, path)
    shutil.rmtree(old, ignore_errors=True)


class EpochCheckpoint(Callback):
    """Write ``last`` (every epoch) and ``best`` (improved epochs) checkpoints.

    Parameters
    ----------
    directory : str or path-like
    monitor : str or None, default="valid_f1_macro_best"
        History key that is True on improved epochs; None treats every epoch
        as an improvement.

    Examples
    --------
    >>> from skemo.checkpointing import EpochCheckpoint
    >>> EpochCheckpoint("ckpt").monitor
    'valid_f1_macro_best'
    """

    def __init__(self, directory, monitor="valid_f1_macro_best"):
        self.directory = directory
        self.monitor = monitor

    def on_epoch_end(self, net, **kwargs):
        directory = Path(self.directory)
        directory.mkdir(parents=True, exist_ok=True)

        def write_last(tmp):
            save_estimator(net, tmp)
            torch.save(net.optimizer_.state_dict(), tmp / OPTIMIZER_FILE)
            (tmp / HISTORY_FILE).write_text(json.dumps(net.history.to_list(), default=float))

        _write_atomically(directory / "last", write_last)
        improved = self.monitor is None or net.history[-1].get(self.monitor, False)
        if improved:
            _write_atomically(directory / "best", lambda tmp: save_estimator(net, tmp))


def restore_last_checkpoint(net, directory):
    """Load weights, optimizer state and history of ``<directory>/last`` into ``net``.

    Returns
    -------
    int
        The number of finished epochs restored (0 when there is no checkpoint).
    """
    from safetensors.torch import load_model

    last = Path(directory) / "last"
    if not (last / HISTORY_FILE).is_file():
        return 0
    meta = json.loads((last / "skemo.json").read_text())
    if meta["class"] != type(net).__name__ or meta["target"]["label_names"] != list(
            net.label_names_):
        raise ValueError(f"the checkpoint in {last} was written by a different estimator "
                         "or label set; use another checkpoint_dir or delete it.")
    load_model(net.module_, str(last / "model.safetensors"), strict=True, device=net.device_)
    net.optimizer_.load_state_dict(
        torch.load(last / OPTIMIZER_FILE, map_location=net.device_, weights_only=True))
    net.history_ = History(json.loads((last / HISTORY_FILE).read_text()))
    return len(net.history_)
