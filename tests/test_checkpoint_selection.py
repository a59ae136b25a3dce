"""SelectCheckpoint: the recorded score by hand, restoring the best epoch, any estimator."""

import pickle
from copy import deepcopy

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose
from sklearn.base import clone
from skorch.callbacks import Callback

from skemo import (
    DualObjectiveClassifier,
    FineTunedEmotionClassifier,
    MultiHeadValenceClassifier,
    SelectCheckpoint,
)
from skemo.callbacks import prediction_confidence

from .conftest import tiny_params


class Snapshot(Callback):
    """Keeps every epoch's weights (test helper)."""

    def on_train_begin(self, net, **kwargs):
        self.weights_ = []

    def on_epoch_end(self, net, **kwargs):
        self.weights_.append(deepcopy(net.module_.state_dict()))


class ForceF1(Callback):
    """Overwrites the epochs' validation macro-F1, so that the best epoch is known."""

    def __init__(self, values):
        self.values = values

    def on_epoch_end(self, net, **kwargs):
        net.history.record("valid_f1_macro", self.values[len(net.history) - 1])


def assert_same_weights(state, expected):
    assert state.keys() == expected.keys()
    assert all(torch.equal(state[k], expected[k]) for k in state)


def validation_confidences(est, X, snapshots):
    """Confidence of each epoch's weights on the validation texts, computed afresh."""
    texts = [X[i] for i in est.validation_indices_]
    confidences = []
    for weights in snapshots:
        est.module_.load_state_dict(weights)
        # as during training: the probabilities before the end-of-fit calibration
        proba = est._predict_texts(texts, est.proba_from_output).astype(np.float64)
        confidences.append(np.abs(2 * proba - 1).mean() if est.multilabel_
                           else proba.max(axis=1).mean())
    return confidences


def test_prediction_confidence_by_hand():
    proba = [[0.9, 0.2, 0.5], [0.0, 0.75, 1.0]]
    # |2p - 1|: 0.8, 0.6, 0, 1, 0.5, 1 -> 3.9 / 6
    assert prediction_confidence(proba, multilabel=True) == pytest.approx(0.65)
    # max per row: 0.9 and 1.0
    assert prediction_confidence(proba, multilabel=False) == pytest.approx(0.95)


def test_score_by_hand_and_best_epoch_restored_over_early_stopping(multilabel_data):
    X, Y, names = multilabel_data
    snapshot, select = Snapshot(), SelectCheckpoint()
    forced_f1 = [1.0, 0.0, 0.0]  # epoch 1 is best whatever the confidences are
    est = FineTunedEmotionClassifier(**tiny_params(
        max_epochs=3, patience=None, label_names=names,
        callbacks=[snapshot, ForceF1(forced_f1), select]))
    est.fit(X, Y)
    final = deepcopy(est.module_.state_dict())

    history = est.history
    expected = 0.7 * np.array(forced_f1) + 0.3 * np.array(history[:, "valid_confidence"])
    assert_allclose(history[:, "valid_selection_score"], expected, rtol=1e-12)
    assert history[:, "valid_selection_score_best"] == [True, False, False]
    assert select.best_epoch_ == 1
    assert_same_weights(final, snapshot.weights_[0])
    assert not all(torch.equal(final[k], snapshot.weights_[-1][k]) for k in final)
    assert_allclose(validation_confidences(est, X, snapshot.weights_),
                    history[:, "valid_confidence"], rtol=1e-5)


def test_custom_weights_single_label_restores_the_argmax_epoch(single_labels):
    X, y = single_labels
    snapshot = Snapshot()
    est = FineTunedEmotionClassifier(**tiny_params(
        max_epochs=3, patience=None, lr=5e-3,
        callbacks=[snapshot, SelectCheckpoint(f1_weight=0.5, confidence_weight=0.5,
                                              name="selection")]))
    est.fit(X, y)
    final = deepcopy(est.module_.state_dict())

    f1, confidence = (np.array(est.history[:, key]) for key in
                      ("valid_f1_macro", "valid_confidence"))
    scores = np.array(est.history[:, "selection"])
    assert_allclose(scores, 0.5 * f1 + 0.5 * confidence, rtol=1e-12)
    assert_same_weights(final, snapshot.weights_[int(np.argmax(scores))])
    assert_allclose(validation_confidences(est, X, snapshot.weights_), confidence, rtol=1e-5)


@pytest.mark.parametrize("cls", [DualObjectiveClassifier, MultiHeadValenceClassifier])
def test_works_with_the_label_text_and_multi_head_estimators(cls, multilabel_data):
    X, Y, names = multilabel_data
    snapshot = Snapshot()
    est = cls(**tiny_params(patience=None, label_names=names,
                            callbacks=[snapshot, SelectCheckpoint()])).fit(X, Y)
    scores = est.history[:, "valid_selection_score"]
    assert len(scores) == 2 and all(0 <= s <= 1 for s in scores)
    assert_same_weights(est.module_.state_dict(), snapshot.weights_[int(np.argmax(scores))])


def test_clone_pickle_and_errors(multilabel_data):
    X, Y, _ = multilabel_data
    est = FineTunedEmotionClassifier(**tiny_params(
        max_epochs=1, callbacks=[SelectCheckpoint(f1_weight=0.6, confidence_weight=0.4)]))
    twin = clone(est)
    assert twin.callbacks[0].get_params() == {"f1_weight": 0.6, "confidence_weight": 0.4,
                                              "name": "valid_selection_score"}
    est.fit(X, Y)
    assert pickle.loads(pickle.dumps(est)).predict_proba(X[:2]).shape == (2, 4)

    with pytest.raises(ValueError, match="validation_fraction"):
        twin.set_params(validation_fraction=None).fit(X, Y)
    with pytest.raises(ValueError, match="f1_weight"):
        FineTunedEmotionClassifier(**tiny_params(
            max_epochs=1, callbacks=[SelectCheckpoint(f1_weight=-1)])).fit(X, Y)


def test_a_resumed_fit_keeps_the_selection_of_the_epochs_before(multilabel_data, tmp_path,
                                                                monkeypatch):
    """The best epoch, score and weights of SelectCheckpoint survive an interrupted fit."""
    X, Y, _ = multilabel_data
    params = tiny_params(max_epochs=4, patience=None, validation_fraction=0.25,
                         checkpoint_dir=tmp_path)
    whole = FineTunedEmotionClassifier(**params, callbacks=[SelectCheckpoint()])
    whole.set_params(checkpoint_dir=tmp_path / "whole").fit(X, Y)
    on_epoch_begin = FineTunedEmotionClassifier.on_epoch_begin

    def interrupt_after_three(self, net, **kwargs):
        if len(net.history) == 3:
            raise KeyboardInterrupt
        on_epoch_begin(self, net, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(FineTunedEmotionClassifier, "on_epoch_begin", interrupt_after_three)
        with pytest.raises(KeyboardInterrupt):
            FineTunedEmotionClassifier(**params, callbacks=[SelectCheckpoint()]).fit(X, Y)
    resumed = FineTunedEmotionClassifier(**params, callbacks=[SelectCheckpoint()]).fit(X, Y)
    assert resumed.resumed_epochs_ == 3
    select = [cb for _, cb in resumed.callbacks_ if isinstance(cb, SelectCheckpoint)][0]
    reference = [cb for _, cb in whole.callbacks_ if isinstance(cb, SelectCheckpoint)][0]
    assert select.best_epoch_ == reference.best_epoch_
    assert (resumed.history[:, "valid_selection_score_best"]
            == whole.history[:, "valid_selection_score_best"])
    np.testing.assert_array_equal(resumed.predict_proba(X), whole.predict_proba(X))
