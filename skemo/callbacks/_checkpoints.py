"""Crash-safe checkpoints of a fit, and resuming from them (``checkpoint_dir=``).

The checkpoints are written and read through the estimator (``net._save``,
``net._restore_save``), as skorch's ``Checkpoint`` saves through
``net.save_params``; the training state beside them is
:mod:`skemo.callbacks._training_state`'s.
"""

import hashlib
import json
import warnings
from functools import partial
from pathlib import Path

import numpy as np
from skorch.callbacks import Callback

from skemo.callbacks._training_state import (
    HISTORY_FILE,
    apply_training_state,
    fingerprint_of,
    read_training_state,
    write_training_state,
)

#: Parameters that do not change what a fit computes, left out of its fingerprint.
UNFINGERPRINTED = ("checkpoint_dir", "cache_dir", "device", "verbose")


def fit_fingerprint(net, texts, Y):
    """A hash of what a fit computes from: class, parameters, texts and encoded targets.

    Two fits share a fingerprint -- and so a checkpoint directory -- only if
    they would train the same model: same estimator class, same parameters
    (:func:`skemo.persistence.saved_params`, without those in
    :data:`UNFINGERPRINTED`, plus the classes of the callbacks), same texts in
    the same order and same encoded targets.

    Parameters
    ----------
    net : skemo estimator
        The estimator being fitted (its class and parameters).
    texts : list of str
        The training texts.
    Y : ndarray
        Encoded targets.

    Returns
    -------
    str
        16 hexadecimal digits.

    Examples
    --------
    >>> import numpy as np
    >>> from skemo import FineTunedEmotionClassifier
    >>> from skemo.callbacks import fit_fingerprint
    >>> clf = FineTunedEmotionClassifier(random_state=0)
    >>> a = fit_fingerprint(clf, ["so glad", "oh no"], np.array([0, 1]))
    >>> a == fit_fingerprint(clf, ["so glad", "oh no!"], np.array([0, 1]))
    False
    >>> a == fit_fingerprint(clf.set_params(verbose=1), ["so glad", "oh no"], np.array([0, 1]))
    True
    """
    params, _ = net._saved_params()
    for name in UNFINGERPRINTED:
        params.pop(name, None)
    callbacks = [
        type(cb[1] if isinstance(cb, tuple) else cb).__qualname__
        for cb in net.callbacks or []
    ]
    seed = net.random_state
    if isinstance(seed, np.random.RandomState):  # its state, not its address
        seed = hashlib.sha256(seed.get_state()[1].tobytes()).hexdigest()
    header = json.dumps(
        {
            "class": type(net).__qualname__,
            "params": params,
            "callbacks": callbacks,
            "random_state": str(seed),
        },
        sort_keys=True,
        default=str,
    )
    digest = hashlib.sha256(header.encode())
    for text in texts:
        data = text.encode("utf-8", "surrogatepass")
        digest.update(len(data).to_bytes(8, "little") + data)
    Y = np.ascontiguousarray(Y)
    digest.update(f"{Y.dtype.str}{Y.shape}".encode() + Y.tobytes())
    return digest.hexdigest()[:16]


class EpochCheckpoint(Callback):
    """Write ``last`` (every epoch) and ``best`` (improved epochs) checkpoints.

    See the module docstring: ``last`` is a save plus the training state from
    which :func:`restore_last_checkpoint` resumes the fit exactly. skemo
    estimators run this callback after all others, so that it records their
    state at the end of the epoch, and give it their ``checkpoint_path_``.

    Parameters
    ----------
    directory : str, path-like or None
        Where to write; None writes nothing.
    monitor : str or None, default="valid_f1_macro_best"
        History key that is True on improved epochs; None treats every epoch
        as an improvement.

    Examples
    --------
    >>> from skemo.callbacks import EpochCheckpoint
    >>> EpochCheckpoint("ckpt").monitor
    'valid_f1_macro_best'
    """

    def __init__(self, directory, monitor="valid_f1_macro_best"):
        self.directory = directory
        self.monitor = monitor

    def resume_with(self, training_state):
        """Hold the RNG and callback states of a resumed fit until training begins.

        :func:`restore_last_checkpoint` gives them (read from the
        checkpoint's ``training_state.json``).
        """
        self.pending_state_ = training_state

    def on_train_begin(self, net, **kwargs):
        # After the other callbacks reset themselves: give them the resumed state.
        pending, self.pending_state_ = getattr(self, "pending_state_", None), None
        if pending is not None:
            apply_training_state(net, pending)

    def on_epoch_end(self, net, **kwargs):
        if self.directory is None or getattr(net, "checkpoint_path_", True) is None:
            return  # a skemo fit that writes no checkpoint (partial_fit, warm_start)
        directory = Path(self.directory)
        net._save(directory / "last", extra_files=partial(write_training_state, net))
        improved = self.monitor is None or net.history[-1].get(self.monitor, False)
        if improved:
            net.save(directory / "best")


def restore_last_checkpoint(net, directory):
    """Load the state of ``<directory>/last`` into initialised ``net``, to resume its fit.

    Weights, optimizer state, history and ``seed_`` are restored at once; the
    RNG and callback states when training begins (by ``net``'s
    :class:`EpochCheckpoint`). A checkpoint written by another fit (another
    fingerprint, see :func:`fit_fingerprint`) or by an older skemo without
    training state is not resumed: a warning says so and the fit starts fresh.

    Returns
    -------
    int
        The number of finished epochs restored (0 when there is nothing to resume).
    """
    last = Path(directory) / "last"

    def written_by_this_fit(last):
        if not (last / HISTORY_FILE).is_file():
            return False
        if fingerprint_of(last) != getattr(net, "fit_fingerprint_", None):
            warnings.warn(
                f"the checkpoint in {last} was written by another fit (other data, "
                "targets or parameters); starting from scratch, and it will be "
                "overwritten.",
                UserWarning,
                stacklevel=5,
            )
            return False
        return True

    if not net._restore_save(last, accept=written_by_this_fit):
        return 0
    checkpoint = next(cb for _, cb in net.callbacks_ if isinstance(cb, EpochCheckpoint))
    checkpoint.resume_with(read_training_state(net, last))
    return len(net.history_)


__all__ = ["UNFINGERPRINTED", "EpochCheckpoint", "fit_fingerprint", "restore_last_checkpoint"]
