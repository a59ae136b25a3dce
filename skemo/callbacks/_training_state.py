"""What a ``last`` checkpoint holds beyond a save: optimizer, history, RNG and callback states.

:class:`~skemo.callbacks.EpochCheckpoint` writes it with :func:`write_training_state`
and :func:`~skemo.callbacks.restore_last_checkpoint` reads it back
(:func:`read_training_state`); the RNG and callback states are given back
when training begins (:func:`apply_training_state`).
"""

import hashlib
import json
import random

import numpy as np
import torch
from skorch.callbacks import EarlyStopping
from skorch.history import History

#: Files a ``last`` checkpoint holds beyond an ordinary save.
OPTIMIZER_FILE = "optimizer.pt"
HISTORY_FILE = "history.json"
TRAINING_STATE_FILE = "training_state.json"


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


def write_training_state(net, directory):
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




def fingerprint_of(directory):
    """The fit fingerprint ``directory``'s training state was written by, or None without one."""
    state_file = directory / TRAINING_STATE_FILE
    if not state_file.is_file():
        return None
    return json.loads(state_file.read_text()).get("fingerprint")


def read_training_state(net, directory):
    """Give ``net`` the optimizer state, history and seed of ``directory``.

    Returns
    -------
    dict
        The RNG and callback states, which :func:`apply_training_state` gives
        back once training begins (after the callbacks reset themselves).
    """
    from safetensors.torch import load_file

    state = json.loads((directory / TRAINING_STATE_FILE).read_text())
    net.optimizer_.load_state_dict(
        torch.load(directory / OPTIMIZER_FILE, map_location=net.device_, weights_only=True)
    )
    net.history_ = History(json.loads((directory / HISTORY_FILE).read_text()))
    net.seed_ = state["seed"]
    callbacks = {}
    for name, saved in state["callbacks"].items():
        restored = _from_json(saved["state"])
        restored["weights"] = (
            load_file(str(directory / _weights_file(name)), device=str(net.device_))
            if saved["has_weights"]
            else None
        )
        callbacks[name] = restored
    return {"rng": _from_json(state["rng"]), "callbacks": callbacks}


def apply_training_state(net, pending):
    """Set the RNG states and the callbacks' states that :func:`read_training_state` read."""
    _set_rng_states(net, pending["rng"])
    callbacks = dict(net.callbacks_)
    for name, state in pending["callbacks"].items():
        if name in callbacks:
            load_callback_state(callbacks[name], state)


__all__ = [
    "HISTORY_FILE",
    "OPTIMIZER_FILE",
    "TRAINING_STATE_FILE",
    "apply_training_state",
    "callback_state",
    "fingerprint_of",
    "load_callback_state",
    "read_training_state",
    "write_training_state",
]
