"""The learning-rate schedule every skemo estimator trains with."""

import warnings

from skorch.callbacks import Callback


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
        Optimisation steps the schedule spans (``n_epochs_`` epochs of the net).

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
        steps = net.n_epochs_ * per_epoch
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


__all__ = ["LinearWarmupDecay"]
