"""Scale-out on existing engines: joblib's Dask backend and skorch's AccelerateMixin."""

import numpy as np
import pytest
from joblib import parallel_backend
from sklearn.model_selection import GridSearchCV, KFold, cross_validate

from skemo import FineTunedEmotionClassifier
from skemo.scale_out import AccelerateMixin

from .conftest import tiny_params

distributed = pytest.importorskip("distributed")
accelerate = pytest.importorskip("accelerate")


class AcceleratedClassifier(AccelerateMixin, FineTunedEmotionClassifier):
    """The two-line pattern of :mod:`skemo.scale_out`."""


@pytest.fixture(scope="module")
def dask_client():
    """An in-process cluster whose worker runs one fit at a time, as a GPU worker would.

    joblib runs sequentially, without Dask, when the cluster has a single
    thread; two threads and one ``GPU`` resource make it dispatch to the
    cluster while fits still run one after the other (torch's random state
    is global to the process, so concurrent threads would not be repeatable).
    """
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  resources={"GPU": 1}, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        yield client


def search(X, Y, names, n_jobs):
    grid = GridSearchCV(FineTunedEmotionClassifier(**tiny_params(max_epochs=1,
                                                                 label_names=names)),
                        {"lr": [1e-3, 3e-3]}, cv=KFold(2), scoring="f1_macro",
                        refit=False, n_jobs=n_jobs)
    return grid.fit(X, Y).cv_results_


def test_grid_search_on_dask_matches_the_local_one(multilabel_data, dask_client):
    X, Y, names = multilabel_data
    local = search(X, Y, names, n_jobs=1)
    with parallel_backend("dask", resources={"GPU": 1}), \
            distributed.get_task_stream(dask_client) as tasks:
        remote = search(X, Y, names, n_jobs=-1)
    assert tasks.data  # the fits ran on the cluster
    np.testing.assert_array_equal(remote["mean_test_score"], local["mean_test_score"])
    np.testing.assert_array_equal(remote["split1_test_score"], local["split1_test_score"])


def test_cross_validate_on_dask_matches_the_local_one(multilabel_data, dask_client):
    X, Y, names = multilabel_data
    clf = FineTunedEmotionClassifier(**tiny_params(max_epochs=1, label_names=names))
    local = cross_validate(clf, X, Y, cv=KFold(2), n_jobs=1)
    with parallel_backend("dask", scatter=[X, Y], resources={"GPU": 1}), \
            distributed.get_task_stream(dask_client) as tasks:
        remote = cross_validate(clf, X, Y, cv=KFold(2), n_jobs=-1)
    assert tasks.data
    np.testing.assert_array_equal(remote["test_score"], local["test_score"])


def test_accelerated_estimator_fits_and_predicts_on_cpu(multilabel_data, capsys):
    from accelerate import Accelerator

    X, Y, names = multilabel_data
    params = tiny_params(label_names=names)
    clf = AcceleratedClassifier(accelerator=Accelerator(cpu=True), **params)
    assert clf.device is None
    clf.fit(X, Y)
    assert clf.device_ == "cpu" and capsys.readouterr().out == ""  # verbose=0 stays quiet
    plain = FineTunedEmotionClassifier(**params).fit(X, Y)
    np.testing.assert_allclose(clf.predict_proba(X), plain.predict_proba(X), atol=1e-6)
    assert clf.history[:, "train_loss"] == pytest.approx(plain.history[:, "train_loss"])
    assert clf.score(X, Y) == plain.score(X, Y)
