"""Scaling out: searches on a Dask cluster, multi-GPU and mixed precision with accelerate.

skemo adds no engine of its own: model selection scales out through joblib
and Dask, single fits through Hugging Face ``accelerate``.

Searching on a Dask cluster, one GPU per worker
-----------------------------------------------
scikit-learn's ``GridSearchCV``, ``RandomizedSearchCV`` and
``cross_validate`` run their fits through joblib, and joblib's ``"dask"``
backend (``pip install 'skemo[dask]'``) sends them to a Dask cluster. Start
one single-threaded worker per GPU, each seeing only its own device, so that
every fit has a GPU to itself (it sees it as ``"cuda"``)::

    dask scheduler                                   # on the head node
    # on each GPU machine, one worker per GPU:
    CUDA_VISIBLE_DEVICES=0 dask worker tcp://head:8786 --nthreads 1 --resources GPU=1
    CUDA_VISIBLE_DEVICES=1 dask worker tcp://head:8786 --nthreads 1 --resources GPU=1

(``dask cuda worker tcp://head:8786`` from ``dask-cuda`` does the same for
every visible GPU.) Then search as usual inside ``parallel_backend("dask")``;
``scatter`` ships the data to every worker once, and ``resources`` keeps each
task to one GPU. (joblib runs the search locally, without Dask, when the
whole cluster has a single thread: with a single GPU, give its worker
``--nthreads 2``; ``resources`` still runs one fit at a time.)::

    from dask.distributed import Client
    from joblib import parallel_backend
    from sklearn.model_selection import GridSearchCV
    from skemo import FineTunedEmotionClassifier

    client = Client("tcp://head:8786")
    search = GridSearchCV(FineTunedEmotionClassifier(random_state=0),
                          {"lr": [2e-5, 5e-5], "max_epochs": [2, 3]}, cv=3, n_jobs=-1)
    with parallel_backend("dask", scatter=[texts, y], resources={"GPU": 1}):
        search.fit(texts, y)

Every worker must be able to load the encoder: the default MiniLM ships with
skemo; for others give a directory on a shared file system (workers often
have no network). With ``freeze_encoder=True``, a ``cache_dir`` on a shared
file system lets all workers share the texts' embeddings. A fixed ``random_state`` gives the same
``cv_results_`` as the same search run locally (on the same kind of device).

Multi-GPU and mixed precision with accelerate
---------------------------------------------
skorch's :class:`skorch.hf.AccelerateMixin` runs a net's training through
an :class:`accelerate.Accelerator` (distributed data parallel over several
GPUs, gradient accumulation, mixed precision). skemo's :class:`AccelerateMixin`
is that mixin made to fit skemo's estimators (it leaves device placement to
the accelerator); put it first in a two-line subclass::

    from accelerate import Accelerator
    from skemo import FineTunedEmotionClassifier
    from skemo.scale_out import AccelerateMixin

    class AcceleratedClassifier(AccelerateMixin, FineTunedEmotionClassifier):
        pass

    clf = AcceleratedClassifier(accelerator=Accelerator(mixed_precision="bf16"),
                                precision="fp32")
    clf.fit(texts, y)   # launch with `accelerate launch script.py` for several GPUs

The accelerator's ``mixed_precision`` applies to training steps, skemo's
``precision`` to every forward pass (prediction too); set ``precision="fp32"``
to leave the choice to the accelerator. Methods that override skorch's
``train_step_single`` (``DefinitionAuxiliaryClassifier``) lose that override
behind the mixin. skorch's notes on ``AccelerateMixin`` say how to save
(``save_params``) and when such nets can be pickled.
"""

from skorch.hf import AccelerateMixin as SkorchAccelerateMixin

from skemo.utils._precision import resolve_device


class AccelerateMixin(SkorchAccelerateMixin):
    """:class:`skorch.hf.AccelerateMixin` for skemo estimators.

    Put it first among the bases of a skemo estimator (see the module
    docstring) and pass ``accelerator=Accelerator(...)`` (``pip install
    'skemo[accelerate]'``). ``device`` defaults
    to None: the accelerator places the model and the batches, and
    ``device_`` is the accelerator's device.

    Parameters
    ----------
    accelerator : accelerate.Accelerator
        Places the model and the batches and runs the backward pass (mixed precision,
        several devices, gradient accumulation).
    device : str or None, default=None
        None leaves placement to the accelerator (required when it places
        devices, which is its default).
    unwrap_after_train : bool, default=True
        Unwrap the module from the accelerator's wrappers after training, so that the
        estimator saves and pickles as usual.
    **kwargs
        Parameters of the skemo estimator.

    Examples
    --------
    >>> from accelerate import Accelerator
    >>> from skemo import FineTunedEmotionClassifier
    >>> from skemo.scale_out import AccelerateMixin
    >>> class AcceleratedClassifier(AccelerateMixin, FineTunedEmotionClassifier):
    ...     pass
    >>> clf = AcceleratedClassifier(accelerator=Accelerator(cpu=True), max_epochs=1)
    >>> clf.device is None
    True
    """

    def initialize(self):
        # skorch's mixin re-implements initialize() without calling the skemo
        # base's, so the base's own start of initialisation happens here.
        self._seed_and_place()
        return super().initialize()

    def _initialize_callbacks(self):
        # skorch's mixin prints the epoch table through accelerator.print, which
        # ignores verbose=0; plain print lets PrintLog stay silent as usual.
        if self.callbacks__print_log__sink == "auto" and not self.verbose:
            self.callbacks__print_log__sink = print
        return super()._initialize_callbacks()

    def _resolve_device(self):
        if self.device is None:
            return str(self.accelerator.device)
        return resolve_device(self.device)


__all__ = ["AccelerateMixin"]
