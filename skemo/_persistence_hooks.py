"""How an estimator saves and loads itself, in the shape of ``huggingface_hub.ModelHubMixin``.

:class:`PretrainedMixin` gives :class:`~skemo.base.EmotionClassifierBase`
its public ``save``, ``save_pretrained``, ``push_to_hub`` and
``from_pretrained``, built on two hooks as ``ModelHubMixin``'s are:

- ``_save_pretrained(save_directory)`` writes the estimator's files into a
  directory (the format of :mod:`skemo.persistence`);
- the classmethod ``_from_pretrained(directory, device=None)`` builds the
  estimator back from them.

A method that keeps fitted state outside its network overrides both,
calling ``super()``. Every way back to a fitted estimator -- :func:`skemo.load`,
``from_pretrained``, the bundled models (:func:`skemo.hub.load_bundled`) and
resumed fits (:func:`skemo.callbacks.restore_last_checkpoint`) -- goes
through one routine, :meth:`PretrainedMixin._restore_fitted_state`.
"""

import tempfile
import warnings
from pathlib import Path

import numpy as np

from skemo.nn.encoder import check_source
from skemo.persistence import (
    check_weight_files,
    device_for,
    is_hub_id,
    load_weights,
    loadable_params,
    read_metadata,
    recover_directory,
    resolve_estimator_class,
    resolve_model_path,
    save_estimator,
    saved_model_directory,
    saved_params,
    write_estimator_files,
)
from skemo.utils import _precision
from skemo.utils._targets import TargetConverter


class PretrainedMixin:
    """Saving and loading of a skemo estimator: the public methods and their hooks.

    Mixed into :class:`~skemo.base.EmotionClassifierBase` (the class that
    inherits it directly is "the estimator base" below); see the module
    docstring.
    """

    # ------------------------------------------------------------------ save
    def save(self, path):
        """Save the fitted estimator to directory ``path`` (safetensors + JSON).

        Load it back with :func:`skemo.load`; loading never unpickles.
        """
        self._save(path)

    def save_pretrained(self, save_directory, **card):
        """Save to ``save_directory`` as :meth:`save` does, with model card keywords.

        ``**card`` goes to :func:`skemo.model_card.model_card` (``datasets``,
        ``license``, ``metrics``, ``model_id``). Load with :meth:`from_pretrained`.
        """
        self._save(save_directory, card=card)

    def _save(self, path, *, card=None, extra_files=None):
        """Write a save atomically (:func:`skemo.persistence.save_estimator`).

        ``extra_files(directory)`` adds files to it before it is swapped in
        (the training state of a checkpoint).
        """
        save_estimator(self, path, card=card, extra_files=extra_files)

    def _save_pretrained(self, save_directory, **card):
        """Write this fitted estimator's files into the existing ``save_directory``.

        The hook every save goes through (``ModelHubMixin._save_pretrained``);
        ``**card`` are the model card's keywords.
        """
        write_estimator_files(self, Path(save_directory), card)

    def _saved_params(self):
        """What a save holds of the parameters (:func:`skemo.persistence.saved_params`)."""
        return saved_params(self)

    def push_to_hub(self, repo_id, *, token=None, private=None, revision=None,
                    commit_message=None, create_pr=False, card=None):
        """Upload the fitted estimator (a full save plus its model card) to a Hub repository.

        The repository is created when missing (:func:`huggingface_hub.create_repo`
        with ``exist_ok=True``); the save is written to a temporary directory and
        uploaded in one commit with :func:`huggingface_hub.upload_folder`.

        Parameters
        ----------
        repo_id : str
            ``"org/name"``.
        token : str, bool or None, default=None
            A Hugging Face access token with write access; None uses the one saved on
            this machine (``hf auth login``).
        private : bool or None, default=None
            Visibility of a repository created here (None: the Hub's default).
        revision : str or None, default=None
            Branch to commit to.
        commit_message : str or None, default=None
            None writes a default message.
        create_pr : bool, default=False
            Open a pull request instead of committing to the branch.
        card : dict or None, default=None
            Keyword arguments of :func:`skemo.model_card.model_card` (``datasets``,
            ``license``, ``metrics``...).

        Returns
        -------
        huggingface_hub.CommitInfo

        Examples
        --------
        >>> clf.push_to_hub("my-org/goemotions-minilm", private=True)  # doctest: +SKIP
        """
        from huggingface_hub import create_repo, upload_folder

        if not is_hub_id(repo_id):
            raise ValueError(f"repo_id must be a Hub id of the form 'org/name', got {repo_id!r}.")
        with tempfile.TemporaryDirectory() as folder:
            save = Path(folder) / "model"
            self._save(save, card=card)
            create_repo(repo_id, token=token, private=private, repo_type="model", exist_ok=True)
            return upload_folder(
                repo_id=repo_id, folder_path=save, repo_type="model", token=token,
                revision=revision, create_pr=create_pr,
                commit_message=commit_message or f"Upload {type(self).__name__} with skemo")

    # ------------------------------------------------------------------ load
    @classmethod
    def from_pretrained(cls, name_or_path, *, revision=None, token=None, cache_dir=None,
                        local_files_only=False, device=None):
        """Load a saved estimator from a directory or a Hub id (``"org/name"``).

        The saved class is imported from its ``module:qualname``; called on
        the estimator base (as :func:`skemo.load` does), any estimator
        loads, and called on a class, only that class or its subclasses do.

        Parameters
        ----------
        name_or_path : str or path-like
            A directory written by ``save`` / ``save_pretrained``, or a Hub
            model id holding one.
        revision, token, cache_dir, local_files_only
            As in :func:`skemo.hub.resolve_model_path`.
        device : str or None, default=None
            As in :func:`skemo.load`.

        Raises
        ------
        ValueError
            If the save is incomplete or corrupt, or names a class that is
            not a skemo estimator (a subclass of
            :class:`~skemo.base.EmotionClassifierBase`).
        TypeError
            If the saved estimator is not an instance of this class.
        """
        path = resolve_model_path(name_or_path, revision=revision, token=token,
                                  cache_dir=cache_dir, local_files_only=local_files_only)
        return cls._load(path, device=device)

    @classmethod
    def _load(cls, path, *, device=None):
        """The estimator saved in local directory (or Hub id) ``path``, of its saved class."""
        path = saved_model_directory(path)
        meta = read_metadata(path)
        klass = cls._load_class(meta["class"])
        if not issubclass(klass, cls):
            raise TypeError(f"{path} holds a {klass.__name__}, not a {cls.__name__}; load it "
                            f"with skemo.load or {klass.__name__}.from_pretrained.")
        return klass._from_pretrained(path, device=device)

    @classmethod
    def _load_class(cls, name):
        """The estimator class a save names: a subclass of the estimator base, or a ValueError.

        The estimator base is the class that inherits this mixin directly
        (:class:`~skemo.base.EmotionClassifierBase`).
        """
        base = next(klass for klass in reversed(cls.__mro__) if PretrainedMixin in klass.__bases__)
        return resolve_estimator_class(name, base=base)

    @classmethod
    def _from_pretrained(cls, directory, *, device=None):
        """Build a fitted ``cls`` from the save in local ``directory`` (the loading hook).

        Parameters
        ----------
        directory : path-like
            A complete save.
        device : str or None, default=None
            As in :func:`skemo.load`.
        """
        from transformers import AutoConfig

        directory = Path(directory)
        meta = read_metadata(directory)
        params = loadable_params(cls, meta, directory / "skemo.json")
        params["device"] = device_for(params.get("device", "auto"), device)
        # No code from a save: a config or tokenizer naming some (auto_map) is refused.
        check_source(directory / "encoder", "encoder", trust_remote_code=None)
        check_source(directory / "tokenizer", "tokenizer", trust_remote_code=None)
        # An encoder given as a config object is not JSON: the saved config stands in.
        config = AutoConfig.from_pretrained(directory / "encoder", trust_remote_code=False)
        try:
            est = cls(**{"encoder": config, **params})
        except TypeError as error:
            raise ValueError(f"{directory / 'skemo.json'} holds parameters {cls.__name__} "
                             f"does not take ({error}).") from error
        est._check_saved_precision()
        est._restore_fitted_state(directory, meta, encoder=config,
                                  tokenizer=directory / "tokenizer",
                                  pooling=meta["pooling"])
        return est

    def _check_saved_precision(self):
        """Fall back to ``precision="auto"`` where this device cannot run the saved one."""
        self.device_ = self._resolve_device()
        try:
            _precision.autocast_dtype(self.precision, self.device_)
            _precision.quantizes(self.precision, self.device_)
        except ValueError as error:
            warnings.warn(f"the model was saved with precision={self.precision!r}, which "
                          f"{self.device_} cannot run ({error}); it predicts with 'auto'.",
                          UserWarning, stacklevel=5)
            self.precision = "auto"

    def _restore_save(self, directory, accept=None):
        """Restore the save in ``directory`` into this initialised estimator (a resumed fit).

        A save left aside by a writer killed mid-swap is put back first;
        ``accept(directory)`` may then decline it (returning False).

        Returns
        -------
        bool
            Whether the save was restored.

        Raises
        ------
        ValueError
            If the save has other labels than this estimator.
        """
        directory = Path(directory)
        recover_directory(directory)
        if not directory.is_dir() or (accept is not None and not accept(directory)):
            return False
        self._restore_fitted_state(directory, read_metadata(directory))
        return True

    def _restore_fitted_state(self, directory, meta, load_module_weights=None, **build):
        """Give this estimator the fitted state of the save ``meta`` describes.

        The one routine behind every load: the target encoding
        (``target_encoder_``, ``classes_``, ``label_names_``, ``multilabel_``),
        the network (built, unless it is already, with the parameters of
        ``build`` in place for the time it takes -- the saved encoder config,
        tokenizer and pooling), its weights, ``thresholds_``,
        ``temperatures_``, and the method's end-of-fit hook.

        Parameters
        ----------
        directory : path-like
            The save's directory.
        meta : dict
            Its ``skemo.json`` (:func:`skemo.persistence.read_metadata`).
        load_module_weights : callable or None, default=None
            Loads the weights into ``module_`` (given as its argument); None
            loads ``model.safetensors`` strictly.
        **build
            Parameters set while the network is built, then put back.

        Raises
        ------
        ValueError
            If this estimator is initialised with other labels than the save's,
            a weight file differs from the sha256 the save records, or the
            weights do not fit the network.
        """
        check_weight_files(directory, meta)
        target = meta["target"]
        if not self.initialized_:
            converter = TargetConverter.from_state(target["kind"], target["classes"],
                                                   target["label_names"])
            self.target_encoder_ = converter
            self.classes_ = converter.classes_
            self.label_names_ = converter.label_names_
            self.multilabel_ = converter.multilabel
            self.label_weights_ = None
            given = {name: getattr(self, name) for name in build}
            for name, value in build.items():
                setattr(self, name, value)
            try:
                self.initialize()
            finally:
                for name, value in given.items():
                    setattr(self, name, value)
        elif target["label_names"] != list(self.label_names_):
            raise ValueError(f"the save in {directory} has other labels than this fit; use "
                             "another checkpoint_dir or delete it.")
        if load_module_weights is None:
            load_weights(self.module_, directory, self.device_, type(self).__name__)
        else:
            load_module_weights(self.module_)
        self.thresholds_ = (None if meta["thresholds"] is None
                            else np.asarray(meta["thresholds"], dtype=np.float64))
        temperatures = meta.get("temperatures")  # saves before format 3 have none
        self.temperatures_ = (None if temperatures is None
                              else np.asarray(temperatures, dtype=np.float32))
        self.validation_indices_ = None
        self._on_fit_end()


__all__ = ["PretrainedMixin"]
