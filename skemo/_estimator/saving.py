"""Saving and loading through the estimator: safetensors directories, the Hub, pickle.

:class:`SavingMixin` gives the estimators ``save``, ``save_pretrained``,
``push_to_hub`` and ``from_pretrained`` (as huggingface_hub's
``ModelHubMixin`` does), which call :mod:`skemo.persistence` and
:mod:`skemo.hub`, and keeps a pickled estimator's requested ``device``
apart from the device it ran on.
"""

from __future__ import annotations

import os


class SavingMixin:
    """Persistence methods of the estimators (see the module docstring)."""

    def save(self, path: str | os.PathLike) -> None:
        """Save the fitted estimator to directory ``path`` (safetensors + JSON).

        Load it back with :func:`skemo.load`; loading never unpickles.
        """
        from skemo.persistence import save_estimator

        save_estimator(self, path)

    def save_pretrained(self, save_directory, **card):
        """Save to ``save_directory`` as :meth:`save` does, with model card keywords.

        ``**card`` goes to :func:`skemo.model_card.model_card` (``datasets``,
        ``license``, ``metrics``, ``model_id``). Load with :meth:`from_pretrained`.
        """
        from skemo.persistence import save_estimator

        save_estimator(self, save_directory, card=card)

    def push_to_hub(self, repo_id, **kwargs):
        """Upload the fitted estimator to a Hugging Face Hub repository.

        See :func:`skemo.hub.push_to_hub` for the keywords (``token``,
        ``private``, ``revision``, ``commit_message``, ``create_pr``, ``card``).

        Returns
        -------
        huggingface_hub.CommitInfo
        """
        from skemo.hub import push_to_hub

        return push_to_hub(self, repo_id, **kwargs)

    @classmethod
    def from_pretrained(cls, name_or_path, **kwargs):
        """Load a saved estimator from a directory or a Hub id (``"org/name"``).

        See :func:`skemo.hub.from_pretrained` for the keywords (``revision``,
        ``token``, ``cache_dir``, ``local_files_only``, ``device``).

        Raises
        ------
        TypeError
            If the saved estimator is not an instance of this class.
        """
        from skemo.hub import from_pretrained

        est = from_pretrained(name_or_path, **kwargs)
        if not isinstance(est, cls):
            raise TypeError(f"{name_or_path} holds a {type(est).__name__}, not a "
                            f"{cls.__name__}; load it with skemo.load or "
                            f"{type(est).__name__}.from_pretrained.")
        return est

    def __setstate__(self, state):
        requested = state["device"]
        state["device"] = state.get("device_", "cpu")
        super().__setstate__(state)
        self.device_ = self.device
        self.device = requested
