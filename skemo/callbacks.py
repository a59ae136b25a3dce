"""skorch callbacks that skemo estimators train with.

- :class:`LinearWarmupDecay`: the learning rate rises linearly over the first
  ``warmup_ratio`` of the optimisation steps, then decays linearly to zero
  (``transformers.get_linear_schedule_with_warmup``), stepped every batch.
- :func:`validation_macro_f1`: the scoring function behind the
  ``valid_f1_macro`` column of the history, which early stopping monitors.
- :class:`EpochCheckpoint` and :func:`restore_last_checkpoint`: crash-safe
  checkpoints and resumable fits (``checkpoint_dir=``).
- :class:`SelectCheckpoint`: checkpoint selection on validation macro-F1 and
  confidence (CMHL's rule), usable by every estimator.

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
trains the remaining ``max_epochs - n_done`` epochs; an epoch that was
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

import hashlib
import json
import random
import warnings
from copy import deepcopy
from numbers import Real
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import f1_score
from sklearn.utils._param_validation import Interval, validate_parameter_constraints
from skorch.callbacks import Callback, EarlyStopping, EpochScoring
from skorch.history import History
from skorch.utils import to_numpy

from skemo._estimator.prediction import decide
from skemo.persistence import (
    read_metadata,
    recover_directory,
    save_estimator,
    saved_params,
    write_directory_atomically,
    write_estimator_files,
)
from skemo.thresholds import tune_thresholds

#: Files a ``last`` checkpoint holds beyond an ordinary save.
OPTIMIZER_FILE = "optimizer.pt"
HISTORY_FILE = "history.json"
TRAINING_STATE_FILE = "training_state.json"
#: Parameters that do not change what a fit computes, left out of its fingerprint.
UNFINGERPRINTED = ("checkpoint_dir", "cache_dir", "device", "verbose")


class LinearWarmupDecay(Callback):
    """Linear warmup then linear decay of the learning rate, stepped per batch.

    The number of steps is known only once the training split exists, so the
    schedule is built at the first epoch of each ``fit`` (or ``partial_fit``),
    sized from the batches the training iterator really yields (so
    ``iterator_train__batch_size`` and custom samplers are counted); a fit
    resumed from a checkpoint continues the schedule where it stopped.

    Attributes
    ----------
    total_steps_ : int
        Optimisation steps the schedule spans (``max_epochs`` epochs).

    Parameters
    ----------
    warmup_ratio : float
        Fraction of all training steps spent warming up.

    Examples
    --------
    >>> from skemo.callbacks import LinearWarmupDecay
    >>> LinearWarmupDecay(0.1).warmup_ratio
    0.1
    """

    def __init__(self, warmup_ratio=0.1):
        self.warmup_ratio = warmup_ratio

    def on_train_begin(self, net, **kwargs):
        self.scheduler_ = None

    def on_epoch_begin(self, net, dataset_train=None, **kwargs):
        if self.scheduler_ is not None:
            return
        from transformers import get_linear_schedule_with_warmup

        per_epoch = len(net.get_iterator(dataset_train, training=True))
        steps = net.max_epochs * per_epoch
        self.total_steps_ = steps
        self.scheduler_ = get_linear_schedule_with_warmup(
            net.optimizer_,
            num_warmup_steps=int(self.warmup_ratio * steps),
            num_training_steps=max(steps, 1),
        )
        resumed = getattr(net, "resumed_epochs_", 0)
        done = sum(row.get("train_batch_count", 0) for row in net.history[:resumed])
        with warnings.catch_warnings():  # resuming: replay the finished epochs' steps
            warnings.simplefilter("ignore", UserWarning)
            for _ in range(done):
                self.scheduler_.step()

    def on_batch_end(self, net, training=False, **kwargs):
        if training:
            self.scheduler_.step()


def validation_macro_f1(net, X, y):
    """Macro-F1 of ``net`` on the validation dataset ``X`` with targets ``y``.

    Multi-label nets are scored at their ``threshold`` when it is a number,
    and at thresholds tuned on this same split when it is ``"tuned"``
    (an optimistic figure, used only to compare epochs).
    """
    proba = net.proba_from_output(net.forward(X))
    y = np.asarray(y)
    tuned = net.multilabel_ and net.threshold == "tuned"
    thresholds = tune_thresholds(y, proba) if tuned else net.threshold
    pred = decide(proba, net.target_encoder_, thresholds, encoded=True)
    return f1_score(y, pred, average="macro", zero_division=0)


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
    texts : list of str
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
    params, _ = saved_params(net)
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


# ------------------------------------------------------------- training state
def _to_json(value):
    """Arrays and tensors as tagged lists, recursively, so JSON holds RNG states exactly."""
    if isinstance(value, torch.Tensor):
        return {"__tensor__": value.tolist(), "dtype": str(value.dtype).split(".")[-1]}
    if isinstance(value, np.ndarray):
        return {"__ndarray__": value.tolist(), "dtype": value.dtype.str}
    if isinstance(value, dict):
        return {str(k): _to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_json(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _from_json(value):
    if isinstance(value, dict):
        if "__tensor__" in value:
            return torch.tensor(
                value["__tensor__"], dtype=getattr(torch, value["dtype"])
            )
        if "__ndarray__" in value:
            return np.asarray(value["__ndarray__"], dtype=value["dtype"])
        return {k: _from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_json(v) for v in value]
    return value


_GENERATORS = (np.random.RandomState, np.random.Generator, torch.Generator)


def _generators(net):
    """The random generators held by the module and criterion (and their submodules)."""
    found = {}
    for root_name in ("module_", "criterion_"):
        root = getattr(net, root_name, None)
        if root is None:
            continue
        parts = (
            root.named_modules() if isinstance(root, torch.nn.Module) else [("", root)]
        )
        for path, obj in parts:
            for attr, value in vars(obj).items():
                if isinstance(value, _GENERATORS):
                    found[".".join(filter(None, (root_name, path, attr)))] = value
    return found


def _generator_state(generator):
    if isinstance(generator, np.random.RandomState):
        return generator.get_state(legacy=False)
    if isinstance(generator, np.random.Generator):
        return generator.bit_generator.state
    return generator.get_state()


def _set_generator_state(generator, state):
    if isinstance(generator, np.random.RandomState):
        generator.set_state(state)
    elif isinstance(generator, np.random.Generator):
        generator.bit_generator.state = state
    else:
        generator.set_state(state)


def _rng_states(net):
    states = {
        "torch": torch.get_rng_state(),
        "numpy": np.random.get_state(legacy=False),
        "python": random.getstate(),
        "generators": {k: _generator_state(g) for k, g in _generators(net).items()},
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def _set_rng_states(net, states):
    torch.set_rng_state(states["torch"])
    np.random.set_state(states["numpy"])
    version, internal, gauss = states["python"]
    random.setstate((version, tuple(internal), gauss))
    if "cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])
    generators = _generators(net)
    for key, state in states["generators"].items():
        if key in generators:
            _set_generator_state(generators[key], state)


def callback_state(callback):
    """The state ``callback`` needs to go on after a resume, or None if it keeps none.

    Callbacks with a ``checkpoint_state()`` method give theirs; skorch's
    :class:`~skorch.callbacks.EarlyStopping` gives its counter, threshold
    and best weights. A ``"weights"`` entry is a module ``state_dict``.
    """
    if hasattr(callback, "checkpoint_state"):
        return callback.checkpoint_state()
    if isinstance(callback, EarlyStopping):
        return {
            "misses_": callback.misses_,
            "dynamic_threshold_": callback.dynamic_threshold_,
            "best_epoch_": callback.best_epoch_,
            "weights": callback.best_model_weights_,
        }
    return None


def load_callback_state(callback, state):
    """Give ``callback`` back the state that :func:`callback_state` took."""
    if hasattr(callback, "load_checkpoint_state"):
        callback.load_checkpoint_state(state)
    elif isinstance(callback, EarlyStopping):
        callback.misses_ = state["misses_"]
        callback.dynamic_threshold_ = state["dynamic_threshold_"]
        callback.best_epoch_ = state["best_epoch_"]
        callback.best_model_weights_ = state["weights"]


def _weights_file(name):
    return f"callback-{hashlib.sha256(name.encode()).hexdigest()[:12]}.safetensors"


def _write_training_state(net, directory):
    """The optimizer, history, RNG and callback states of ``net``, into ``directory``."""
    from safetensors.torch import save_file

    torch.save(net.optimizer_.state_dict(), directory / OPTIMIZER_FILE)
    (directory / HISTORY_FILE).write_text(
        json.dumps(net.history.to_list(), default=float)
    )
    callbacks = {}
    for name, callback in net.callbacks_:
        state = callback_state(callback)
        if state is None:
            continue
        state = dict(state)
        weights = state.pop("weights", None)
        if weights is not None:
            save_file(
                {k: v.detach().contiguous().clone() for k, v in weights.items()},
                str(directory / _weights_file(name)),
            )
        callbacks[name] = {"state": _to_json(state), "has_weights": weights is not None}
    state = {
        "fingerprint": getattr(net, "fit_fingerprint_", None),
        "seed": net.seed_,
        "rng": _to_json(_rng_states(net)),
        "callbacks": callbacks,
    }
    (directory / TRAINING_STATE_FILE).write_text(json.dumps(state))


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

    def on_train_begin(self, net, **kwargs):
        # After the other callbacks reset themselves: give them the resumed state.
        pending, self.pending_state_ = getattr(self, "pending_state_", None), None
        if pending is None:
            return
        _set_rng_states(net, pending["rng"])
        callbacks = dict(net.callbacks_)
        for name, state in pending["callbacks"].items():
            if name in callbacks:
                load_callback_state(callbacks[name], state)

    def on_epoch_end(self, net, **kwargs):
        if self.directory is None or getattr(net, "checkpoint_path_", True) is None:
            return  # a skemo fit that writes no checkpoint (partial_fit, warm_start)
        directory = Path(self.directory)

        def write_last(tmp):
            write_estimator_files(net, tmp)
            _write_training_state(net, tmp)

        write_directory_atomically(directory / "last", write_last)
        improved = self.monitor is None or net.history[-1].get(self.monitor, False)
        if improved:
            save_estimator(net, directory / "best")


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
    from safetensors.torch import load_file, load_model

    last = Path(directory) / "last"
    recover_directory(last)
    if not (last / HISTORY_FILE).is_file():
        return 0
    state_file = last / TRAINING_STATE_FILE
    state = json.loads(state_file.read_text()) if state_file.is_file() else {}
    fingerprint = getattr(net, "fit_fingerprint_", None)
    if state.get("fingerprint") != fingerprint:
        warnings.warn(
            f"the checkpoint in {last} was written by another fit (other data, "
            "targets or parameters); starting from scratch, and it will be "
            "overwritten.",
            UserWarning,
            stacklevel=3,
        )
        return 0
    meta = read_metadata(last)
    if meta["target"]["label_names"] != list(net.label_names_):
        raise ValueError(
            f"the checkpoint in {last} has other labels than this fit; use "
            "another checkpoint_dir or delete it."
        )
    load_model(
        net.module_, str(last / "model.safetensors"), strict=True, device=net.device_
    )
    net.optimizer_.load_state_dict(
        torch.load(last / OPTIMIZER_FILE, map_location=net.device_, weights_only=True)
    )
    net.history_ = History(json.loads((last / HISTORY_FILE).read_text()))
    net.seed_ = state["seed"]
    callbacks = {}
    for name, saved in state["callbacks"].items():
        restored = _from_json(saved["state"])
        restored["weights"] = (
            load_file(str(last / _weights_file(name)), device=str(net.device_))
            if saved["has_weights"]
            else None
        )
        callbacks[name] = restored
    checkpoint = next(cb for _, cb in net.callbacks_ if isinstance(cb, EpochCheckpoint))
    checkpoint.pending_state_ = {
        "rng": _from_json(state["rng"]),
        "callbacks": callbacks,
    }
    return len(net.history_)


def prediction_confidence(proba, multilabel):
    """Mean confidence of the predictions behind probabilities ``proba``.

    Single-label: the mean over texts of the largest class probability.
    Multi-label: the mean over texts and labels of ``|2 p - 1|``, how far each
    yes/no decision is from a coin flip (0 at ``p = 0.5``, 1 at 0 or 1);
    unlike the mean probability of the predicted positives, it is defined
    when nothing is predicted and does not depend on the thresholds.

    Parameters
    ----------
    proba : array-like of shape (n_texts, n_labels)
    multilabel : bool

    Returns
    -------
    float
        In [0, 1].

    Examples
    --------
    >>> from skemo.callbacks import prediction_confidence
    >>> prediction_confidence([[0.9, 0.5], [0.0, 0.25]], multilabel=True)  # (0.8 + 0 + 1 + 0.5) / 4
    0.575
    >>> prediction_confidence([[0.75, 0.25], [0.5, 0.5]], multilabel=False)  # (0.75 + 0.5) / 2
    0.625
    """
    proba = np.asarray(proba, dtype=np.float64)
    if multilabel:
        return float(np.abs(2 * proba - 1).mean())
    return float(proba.max(axis=1).mean())


class SelectCheckpoint(EpochScoring):
    """Keep the epoch with the best ``f1_weight · macro-F1 + confidence_weight · confidence``.

    After each epoch, the validation macro-F1 (the ``valid_f1_macro`` column
    that skemo estimators record) and the mean confidence of the validation
    predictions (:func:`prediction_confidence`, from skorch's cached
    validation forward pass: no extra inference) are combined into the
    history column ``name`` (with ``valid_confidence`` beside it). The best
    epoch's module weights (the best of each ``fit`` or ``partial_fit``
    call) are kept in memory and loaded when training ends, after skemo's
    own early stopping has restored its best-F1 epoch, so this selection is
    the one that stands. That early stopping still stops on macro-F1
    (``patience``); pass ``patience=None`` to select among all
    ``max_epochs`` epochs.

    Parameters
    ----------
    f1_weight : float, default=0.7
    confidence_weight : float, default=0.3
    name : str, default="valid_selection_score"
        History column of the combined score (``name + "_best"`` marks the
        improving epochs).

    Attributes
    ----------
    best_epoch_ : int
        Epoch whose weights were (or will be) restored.
    best_model_weights_ : dict
        Its ``module_.state_dict()``.

    Notes
    -----
    Needs a validation split (``validation_fraction``). With
    ``threshold="tuned"`` the macro-F1 is that of thresholds tuned on the
    validation split itself, as for early stopping.

    References
    ----------
    The checkpoint selection of M. Elgabry et al., "CMHL: Contrastive
    Multi-Head Learning for Emotionally Consistent Text Classification"
    (section 3.2.5).

    Examples
    --------
    >>> from skemo import FineTunedEmotionClassifier, SelectCheckpoint
    >>> clf = FineTunedEmotionClassifier(max_epochs=5, patience=None,
    ...                                  callbacks=[SelectCheckpoint()])
    >>> clf.fit(texts, y).history[:, "valid_selection_score"]  # doctest: +SKIP
    """

    # EpochScoring settings, fixed (class attributes keep them out of get_params).
    lower_is_better = False
    on_train = False
    use_caching = True
    target_extractor = staticmethod(to_numpy)

    _parameter_constraints = {
        "f1_weight": [Interval(Real, 0, None, closed="left")],
        "confidence_weight": [Interval(Real, 0, None, closed="left")],
        "name": [str],
    }

    def __init__(
        self, f1_weight=0.7, confidence_weight=0.3, name="valid_selection_score"
    ):
        self.f1_weight = f1_weight
        self.confidence_weight = confidence_weight
        self.name = name

    @property
    def scoring(self):
        return self._selection_score

    def initialize(self):
        validate_parameter_constraints(
            self._parameter_constraints,
            self.get_params(deep=False),
            caller_name=type(self).__name__,
        )
        return super().initialize()

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        super().on_train_begin(net, X=X, y=y, **kwargs)
        # Select within this fit/partial_fit call, as early stopping does: the
        # weights of earlier calls are gone.
        self.best_score_ = -np.inf
        self.best_epoch_ = None
        self.best_model_weights_ = None

    def on_epoch_begin(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        if dataset_valid is None:
            raise ValueError(
                "SelectCheckpoint scores the validation split, and there is "
                "none: set validation_fraction (e.g. 0.1)."
            )
        super().on_epoch_begin(
            net, dataset_train=dataset_train, dataset_valid=dataset_valid, **kwargs
        )

    def _selection_score(self, net, X, y):
        row = net.history[-1]
        if "valid_f1_macro" not in row:
            raise ValueError(
                "SelectCheckpoint needs the valid_f1_macro history column "
                "that skemo estimators record on their validation split."
            )
        proba = net.proba_from_output(net.forward(X))
        confidence = prediction_confidence(proba, net.multilabel_)
        net.history.record("valid_confidence", confidence)
        return (
            self.f1_weight * row["valid_f1_macro"] + self.confidence_weight * confidence
        )

    def on_epoch_end(self, net, **kwargs):
        super().on_epoch_end(net, **kwargs)
        if net.history[-1, f"{self.name_}_best"]:
            self.best_epoch_ = net.history[-1, "epoch"]
            self.best_model_weights_ = deepcopy(net.module_.state_dict())

    def checkpoint_state(self):
        """The best score, epoch and weights so far, for a resumed fit.

        Written and restored by :class:`EpochCheckpoint`.
        """
        return {
            "best_score_": float(self.best_score_),
            "best_epoch_": self.best_epoch_,
            "weights": self.best_model_weights_,
        }

    def load_checkpoint_state(self, state):
        """Take back the state of :meth:`checkpoint_state`."""
        self.best_score_ = state["best_score_"]
        self.best_epoch_ = state["best_epoch_"]
        self.best_model_weights_ = state["weights"]

    def on_train_end(self, net, **kwargs):
        super().on_train_end(net, **kwargs)
        # Loaded even when the best epoch is the last one: early stopping, which
        # runs first, may have loaded the weights of another epoch.
        if self.best_model_weights_ is not None:
            net.module_.load_state_dict(self.best_model_weights_)
            if net.verbose:
                print(
                    f"Restoring the epoch with the best {self.name_}: {self.best_epoch_}."
                )


__all__ = [
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
