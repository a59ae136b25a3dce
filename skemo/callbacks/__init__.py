"""skorch callbacks that skemo estimators train with, one module per concern.

- :class:`LinearWarmupDecay`: the learning rate rises linearly over the first
  ``warmup_ratio`` of the optimisation steps, then decays linearly to zero
  (``transformers.get_linear_schedule_with_warmup``), stepped every batch.
- :func:`validation_macro_f1`: the scoring function behind the
  ``valid_f1_macro`` column of the history, which early stopping monitors.
- :class:`EpochCheckpoint` and :func:`restore_last_checkpoint`: crash-safe
  checkpoints and resumable fits (``checkpoint_dir=``).
- :class:`SelectCheckpoint`: checkpoint selection on validation macro-F1 and
  confidence (CMHL's rule), usable by every estimator.

The callbacks keep their own state and act on the estimator through its
methods (saving with ``net.save``, as skorch's ``Checkpoint`` calls
``net.save_params``); they import neither :mod:`skemo.base` nor
:mod:`skemo.persistence`. The modules: ``_schedule`` (the learning rate),
``_scoring`` (validation scores), ``_checkpoints`` and ``_training_state``
(checkpoints and resume), ``_selection`` (checkpoint selection).

Checkpoints
-----------
A fit with ``checkpoint_dir`` writes its checkpoints to a directory of its
own, ``<checkpoint_dir>/<fingerprint>`` (the estimator's
``checkpoint_path_``), where the fingerprint (:func:`fit_fingerprint`) is a
hash of the estimator class, its parameters, the texts and the encoded
targets. A fit therefore resumes only from the checkpoints of the same fit:
the folds of ``cross_validate``, the points of ``GridSearchCV`` and a re-run
on new data each get a directory of their own and start from scratch, while
re-running an interrupted fit with the same data and parameters resumes it.

After every epoch the estimator is written to ``<checkpoint_path_>/last``
and, when the epoch improved validation macro-F1 (or every epoch without a
validation split), to ``<checkpoint_path_>/best``. Each write is atomic
(:func:`skemo.persistence.write_directory_atomically`), so a process killed at
any moment leaves the previous complete checkpoint behind and loses at most
the epoch that was running.

Both directories are ordinary skemo saves (:func:`skemo.load` reads them);
``last`` also holds what training needs to go on exactly as if it had never
stopped: the optimizer state, the history, the RNG states (torch's, numpy's,
Python's, and the generators of the module and criterion, such as TACO's
k-means seeds) and the state of the callbacks that keep one (early
stopping's counter and best weights, :class:`SelectCheckpoint`'s best epoch,
and any callback with ``checkpoint_state``/``load_checkpoint_state``
methods). Calling ``fit`` again then restores the last finished epoch and
trains the remaining ``n_epochs_ - n_done`` epochs; an epoch that was
interrupted is trained again from its start, with the same batches and
random draws, so the resumed fit ends with the model of the uninterrupted
one (bit for bit on a CPU with the same thread count; ``tests/test_resume.py``).
A fit that stopped early trains its stopping epoch again (early stopping
stops before the checkpoint of that epoch is written) and stops there again.

Checkpoints are written and resumed by ``fit`` from scratch only: ``partial_fit``
and ``warm_start`` fits continue the model in memory and write none.

Checkpoint selection
--------------------
:class:`SelectCheckpoint` scores the validation split after each epoch with

``selection = f1_weight · macro-F1 + confidence_weight · mean confidence``

(0.7 and 0.3 in the CMHL paper), records it in the history, and at the end
of training restores the weights of the epoch that scored best.
"""

from skemo.callbacks._checkpoints import (
    UNFINGERPRINTED,
    EpochCheckpoint,
    fit_fingerprint,
    restore_last_checkpoint,
)
from skemo.callbacks._schedule import LinearWarmupDecay
from skemo.callbacks._scoring import prediction_confidence, validation_macro_f1
from skemo.callbacks._selection import SelectCheckpoint
from skemo.callbacks._training_state import callback_state, load_callback_state

__all__ = [
    "UNFINGERPRINTED",
    "EpochCheckpoint",
    "LinearWarmupDecay",
    "SelectCheckpoint",
    "callback_state",
    "fit_fingerprint",
    "load_callback_state",
    "prediction_confidence",
    "restore_last_checkpoint",
    "validation_macro_f1",
]
