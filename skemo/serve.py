"""Serve a fitted model over HTTP: ``skemo serve``, a Starlette app under uvicorn.

::

    skemo serve goemotions --port 8000
    curl -s localhost:8000/predict -d '{"texts": ["Thank you so much!"], "top_k": 2}'

Routes:

- ``POST /predict`` takes ``{"texts": [...]}`` (or ``{"text": "..."}``), with
  optional ``top_k`` (a positive int or ``"all"``) and ``threshold`` (a number
  in [0, 1], ``"tuned"`` or ``"auto"``), and answers ``{"predictions": [...]}``:
  per text the record that ``skemo predict`` writes as a JSON line,
  ``{"text", "labels", "scores", "probabilities"}``.
- ``GET /health``: the model's name, estimator, labels, whether the server is
  ready and how many texts wait; status 503 while it is not ready.
- ``GET /labels``: ``{"labels": [...]}``.

Errors answer ``{"detail": message}``, as FastAPI does: 400 for a body that
is not JSON, 422 for JSON of the wrong shape, 413 past a size limit, 503 with
a ``Retry-After`` header when the queue is full.

Requests are batched (:class:`PredictionBatcher`): the texts of concurrent
requests wait up to ``max_wait_ms`` for one another, at most
``max_batch_size`` of them are scored at once in one worker thread through the
estimator's ``predict_proba``, and each request gets its own rows back: in
float32 and int8 (a CPU's default, whose encoder runs each text alone) a
text's probabilities do not depend on the other requests batched with it,
beyond float rounding. At most
``max_queue`` texts wait; beyond that the server refuses work rather than
hold it. SIGTERM or SIGINT stops the server gracefully: it stops accepting
connections, answers the requests it holds, and exits with status 0.

Starlette and uvicorn are optional dependencies: ``pip install 'skemo[serve]'``.
"""

import asyncio
import contextlib
import json
import signal
import socket
import sys
from collections import deque
from concurrent.futures import ThreadPoolExecutor

import numpy as np

#: Default limits of :func:`create_app` (and of ``skemo serve``'s options).
DEFAULT_LIMITS = {"max_batch_size": 32, "max_wait_ms": 5.0, "max_queue": 1024,
                  "max_body_bytes": 1_048_576, "max_texts": 128, "max_chars": 5000}

#: Seconds a refused client is told to wait (the ``Retry-After`` header of a 503).
RETRY_AFTER = 1

#: The fields a ``POST /predict`` body may have.
PREDICT_FIELDS = ("texts", "text", "top_k", "threshold")


def _server_packages():
    """Import Starlette and uvicorn, or say which extra installs them."""
    try:
        import starlette  # noqa: F401
        import uvicorn
    except ImportError as error:
        raise ImportError("skemo serve needs starlette and uvicorn: "
                          "pip install 'skemo[serve]'") from error
    return uvicorn


class QueueFull(Exception):
    """Raised by :meth:`PredictionBatcher.submit` when the texts would not fit in the queue."""


class PredictionBatcher:
    """Gather the texts of concurrent requests into batches scored in one worker thread.

    Each request's texts are queued in chunks of at most ``max_batch_size``.
    A batch starts with the oldest chunk and takes the chunks that arrive
    within ``max_wait`` seconds of it, up to ``max_batch_size`` texts; ``score``
    runs it in the worker thread while the next batch gathers, and every
    request gets its own rows back. Chunks whose request went away (a
    client that disconnected) are dropped unscored.

    Parameters
    ----------
    score : callable
        ``score(texts)``: an array with one row per text. Called in the
        worker thread only, one batch at a time.
    max_batch_size : int
        The most texts scored at once.
    max_wait : float
        Seconds the first text of a batch waits for others.
    max_queue : int
        The most texts accepted and not yet scored; :meth:`submit` raises
        :class:`QueueFull` beyond it.

    Examples
    --------
    >>> import asyncio
    >>> import numpy as np
    >>> from skemo.serve import PredictionBatcher
    >>> async def main():
    ...     batcher = PredictionBatcher(lambda texts: np.array([[len(t)] for t in texts]),
    ...                                 max_batch_size=8, max_wait=0.005, max_queue=64)
    ...     await batcher.start()
    ...     answers = await asyncio.gather(batcher.submit(["a", "bb"]), batcher.submit(["ccc"]))
    ...     await batcher.close()
    ...     return [rows.ravel().tolist() for rows in answers]
    >>> asyncio.run(main())
    [[1, 2], [3]]
    """

    def __init__(self, score, *, max_batch_size, max_wait, max_queue):
        self.score = score
        self.max_batch_size = max_batch_size
        self.max_wait = max_wait
        self.max_queue = max_queue
        self.waiting = 0  # texts accepted and not yet scored
        self.closing = False
        self._queue = deque()  # (texts, future, arrival time) chunks
        self._queued = 0  # texts in _queue
        self._arrived = None
        self._task = None
        self._worker = None

    async def start(self):
        """Start the worker thread and the task that forms batches."""
        self._arrived = asyncio.Event()
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="skemo-serve")
        self._task = asyncio.create_task(self._form_batches())

    async def run_in_worker(self, function, *args):
        """Run ``function(*args)`` in the worker thread (between batches) and return its result."""
        return await asyncio.get_running_loop().run_in_executor(self._worker, function, *args)

    async def submit(self, texts):
        """Queue ``texts`` and wait for their scores.

        Parameters
        ----------
        texts : list of str

        Returns
        -------
        ndarray
            One row per text.

        Raises
        ------
        QueueFull
            If the server is closing, or the texts would take the waiting
            texts past ``max_queue``.
        """
        if self.closing:
            raise QueueFull("the server is shutting down.")
        if self.waiting + len(texts) > self.max_queue:
            raise QueueFull(f"the server is busy: {self.waiting} texts are waiting and "
                            f"{len(texts)} more would pass its queue of {self.max_queue}; "
                            f"retry in {RETRY_AFTER} s.")
        loop = asyncio.get_running_loop()
        futures = []
        for start in range(0, len(texts), self.max_batch_size):
            chunk = texts[start:start + self.max_batch_size]
            futures.append(loop.create_future())
            self._queue.append((chunk, futures[-1], loop.time()))
            self._queued += len(chunk)
        self.waiting += len(texts)
        self._arrived.set()
        return np.concatenate(await asyncio.gather(*futures))

    async def close(self):
        """Score what is queued, then stop the task and the worker thread."""
        self.closing = True
        if self._task is None:
            return
        self._arrived.set()
        await self._task
        self._worker.shutdown(wait=True)

    async def _wait_for_arrivals(self, timeout=None):
        self._arrived.clear()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._arrived.wait(), timeout)

    def _take_batch(self):
        """The oldest chunks, up to ``max_batch_size`` texts (at least one chunk)."""
        batch, size = [], 0
        while self._queue and (not batch or size + len(self._queue[0][0]) <= self.max_batch_size):
            chunk, future, _ = self._queue.popleft()
            self._queued -= len(chunk)
            if future.done():  # its request was cancelled
                self.waiting -= len(chunk)
                continue
            batch.append((chunk, future))
            size += len(chunk)
        return batch

    async def _form_batches(self):
        loop = asyncio.get_running_loop()
        while True:
            while not self._queue:
                if self.closing:
                    return
                await self._wait_for_arrivals()
            deadline = self._queue[0][2] + self.max_wait  # texts that waited go at once
            while (self._queued < self.max_batch_size and not self.closing
                   and (remaining := deadline - loop.time()) > 0):
                await self._wait_for_arrivals(remaining)
            batch = self._take_batch()
            if batch:
                await self._score(batch)

    async def _score(self, batch):
        texts = [text for chunk, _ in batch for text in chunk]
        try:
            scores = await self.run_in_worker(self.score, texts)
        except Exception as error:  # every request of the batch fails with it
            for _, future in batch:
                if not future.done():
                    future.set_exception(error)
            return
        finally:
            self.waiting -= len(texts)
        start = 0
        for chunk, future in batch:
            if not future.done():
                future.set_result(scores[start:start + len(chunk)])
            start += len(chunk)


class _BadRequest(Exception):
    """A request the client must change: ``status`` and ``detail`` say why."""

    def __init__(self, status, detail):
        super().__init__(detail)
        self.status, self.detail = status, detail


def _check_limits(limits):
    for name, value in limits.items():
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if name == "max_wait_ms" and not (number and value >= 0):
            raise ValueError(f"max_wait_ms must be a number >= 0, got {value!r}.")
        if name != "max_wait_ms" and not (number and isinstance(value, int) and value >= 1):
            raise ValueError(f"{name} must be a positive int, got {value!r}.")
    if limits["max_texts"] > limits["max_queue"]:
        raise ValueError(f"max_texts ({limits['max_texts']}) exceeds max_queue "
                         f"({limits['max_queue']}): a request that large could never be served.")


def _prediction_request(body, est, limits):
    """The texts, ``top_k`` and ``threshold`` of a ``POST /predict`` body, checked."""
    # deferred: it loads torch, which `skemo --help` (reading DEFAULT_LIMITS) does not
    from skemo.utils._validation import check_texts

    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise _BadRequest(400, f"the body is not valid JSON: {error}.") from None
    if not isinstance(payload, dict):
        raise _BadRequest(422, 'the body must be a JSON object: {"texts": [...]} or '
                               '{"text": "..."}.')
    unknown = sorted(set(payload) - set(PREDICT_FIELDS))
    if unknown:
        raise _BadRequest(422, f"unknown field(s) {', '.join(map(repr, unknown))}; "
                               f"expected {', '.join(map(repr, PREDICT_FIELDS))}.")
    if ("texts" in payload) == ("text" in payload):
        raise _BadRequest(422, 'give either "texts" (a list of strings) or "text" (a string).')
    if "text" in payload:
        if not isinstance(payload["text"], str):
            raise _BadRequest(422, f'"text" must be a string, got '
                                   f'{type(payload["text"]).__name__}.')
        texts = [payload["text"]]
    else:
        texts = payload["texts"]
        if not isinstance(texts, list):
            raise _BadRequest(422, f'"texts" must be a list of strings, got '
                                   f'{type(texts).__name__}.')
        if not texts:
            raise _BadRequest(422, '"texts" is empty; give at least one text.')
        if len(texts) > limits["max_texts"]:
            raise _BadRequest(413, f'{len(texts)} texts in one request; the limit is '
                                   f'{limits["max_texts"]}.')
    try:
        texts = check_texts(texts, name="texts")
    except (TypeError, ValueError) as error:
        raise _BadRequest(422, str(error)) from None
    for i, text in enumerate(texts):
        if not text.strip():
            raise _BadRequest(422, f"texts[{i}] is blank; a blank text has nothing to "
                                   "predict (as in skemo predict).")
        if len(text) > limits["max_chars"]:
            raise _BadRequest(413, f"texts[{i}] has {len(text)} characters; the limit is "
                                   f"{limits['max_chars']}.")
    top_k, threshold = payload.get("top_k"), payload.get("threshold")
    if isinstance(top_k, bool) or isinstance(threshold, bool):
        raise _BadRequest(422, "top_k and threshold take numbers (or 'all', 'tuned'), "
                               "not true/false.")
    try:  # the estimator's own checks, on one row of zeros
        est._prediction_records([""], np.zeros((1, len(est.classes_))), top_k)
        if threshold is not None and est.multilabel_:
            est.decision_thresholds(threshold)
    except ValueError as error:
        raise _BadRequest(422, str(error)) from None
    return texts, top_k, threshold


async def _read_body(request, max_bytes):
    """The request body, refused with 413 past ``max_bytes`` (declared or streamed)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise _BadRequest(413, f"the body has {declared} bytes; the limit is {max_bytes}.")
    body = bytearray()
    async for part in request.stream():
        body += part
        if len(body) > max_bytes:
            raise _BadRequest(413, f"the body passes the limit of {max_bytes} bytes.")
    return bytes(body)


def create_app(est, *, name=None, **limits):
    """The Starlette app that serves ``est`` (see the module docstring).

    Parameters
    ----------
    est : fitted estimator
        Shared by every request; its ``predict_proba`` runs in one worker
        thread, started with the app (its lifespan) and warmed up on one text.
    name : str or None, default=None
        The model's name in ``GET /health`` (e.g. the directory it was
        loaded from); None: the estimator's class name.
    **limits
        ``max_batch_size``, ``max_wait_ms``, ``max_queue``,
        ``max_body_bytes``, ``max_texts``, ``max_chars``: each replaces its
        value in :data:`DEFAULT_LIMITS`.

    Returns
    -------
    starlette.applications.Starlette
        Run it with uvicorn (:func:`run_server`), in as many processes as
        there are copies of the model that memory holds.

    Raises
    ------
    ValueError
        If a limit is not a positive number, or ``max_texts`` exceeds ``max_queue``.
    ImportError
        If Starlette is not installed.

    Examples
    --------
    A module of your own that ``uvicorn app:app --workers 2`` runs:

    >>> from skemo.cli import load_model
    >>> from skemo.serve import create_app
    >>> app = create_app(load_model("goemotions"), name="goemotions")  # doctest: +SKIP
    """
    _server_packages()
    from starlette.applications import Starlette
    from starlette.exceptions import HTTPException
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    unknown = sorted(set(limits) - set(DEFAULT_LIMITS))
    if unknown:
        raise TypeError(f"create_app() got unknown limits {unknown}; "
                        f"the limits are {list(DEFAULT_LIMITS)}.")
    limits = {**DEFAULT_LIMITS, **limits}
    _check_limits(limits)
    labels = list(est.label_names_)
    name = type(est).__name__ if name is None else name

    batcher = PredictionBatcher(est.predict_proba, max_batch_size=limits["max_batch_size"],
                                max_wait=limits["max_wait_ms"] / 1000,
                                max_queue=limits["max_queue"])

    @contextlib.asynccontextmanager
    async def lifespan(app):
        await batcher.start()
        await batcher.run_in_worker(est.predict_proba, ["warm-up"])  # builds the int8 copy
        app.state.ready = True
        try:
            yield
        finally:
            app.state.ready = False
            await batcher.close()

    async def predict(request):
        try:
            body = await _read_body(request, limits["max_body_bytes"])
            texts, top_k, threshold = _prediction_request(body, est, limits)
            proba = await batcher.submit(texts)
        except _BadRequest as error:
            return JSONResponse({"detail": error.detail}, status_code=error.status)
        except QueueFull as error:
            return JSONResponse({"detail": str(error)}, status_code=503,
                                headers={"Retry-After": str(RETRY_AFTER)})
        return JSONResponse({"predictions": est._prediction_records(texts, proba, top_k,
                                                                    threshold)})

    async def health(request):
        ready = getattr(request.app.state, "ready", False) and not batcher.closing
        return JSONResponse({"status": "ok" if ready else "unavailable", "ready": ready,
                             "model": name, "estimator": type(est).__name__,
                             "labels": labels, "multilabel": bool(est.multilabel_),
                             "waiting_texts": batcher.waiting},
                            status_code=200 if ready else 503)

    async def label_names(request):
        return JSONResponse({"labels": labels})

    async def http_error(request, error):
        return JSONResponse({"detail": error.detail}, status_code=error.status_code,
                            headers=error.headers)

    return Starlette(routes=[Route("/predict", predict, methods=["POST"]),
                             Route("/health", health, methods=["GET"]),
                             Route("/labels", label_names, methods=["GET"])],
                     exception_handlers={HTTPException: http_error}, lifespan=lifespan)


@contextlib.contextmanager
def _signals_end_quietly():
    """Let SIGINT/SIGTERM, once uvicorn has shut down on them, end nothing more.

    uvicorn handles both signals while it serves, then raises the one it got
    again under the handlers it found; with these no-op handlers in place the
    process goes on to exit with status 0.
    """
    handled = (signal.SIGINT, signal.SIGTERM)
    previous = {sig: signal.signal(sig, lambda *_: None) for sig in handled}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run_server(est, *, host="127.0.0.1", port=8000, name=None, log_level="info", **limits):
    """Serve ``est`` on ``host:port`` until SIGINT or SIGTERM (``skemo serve``).

    Binds the port, prints ``serving NAME on http://HOST:PORT`` to standard
    error (the port bound, where ``port=0`` asks for a free one), and runs
    the app of :func:`create_app` in uvicorn. On SIGINT or SIGTERM it stops
    accepting connections, answers the requests it holds and returns.

    Parameters
    ----------
    est : fitted estimator
    host : str, default="127.0.0.1"
        The address to listen on; ``"0.0.0.0"`` listens on every interface.
    port : int, default=8000
        0 takes a free port.
    name : str or None, default=None
        As in :func:`create_app`.
    log_level : str, default="info"
        uvicorn's log level (``"info"`` logs every request).
    **limits
        As in :func:`create_app`.

    Raises
    ------
    OSError
        If the address cannot be bound (e.g. the port is taken).
    """
    uvicorn = _server_packages()
    app = create_app(est, name=name, **limits)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.create_server((host, port), family=family)
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if family == socket.AF_INET6 else host
    print(f"serving {name or type(est).__name__} on http://{shown}:{bound} "
          "(Ctrl+C to stop)", file=sys.stderr, flush=True)
    server = uvicorn.Server(uvicorn.Config(app, log_level=log_level))
    with _signals_end_quietly():
        server.run(sockets=[sock])
