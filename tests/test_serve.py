"""``skemo serve``: the HTTP server run in a subprocess on a tiny saved model, and its batcher.

The server tests start ``python -m skemo.cli serve`` on a free loopback port
and talk to it with :mod:`http.client`; the batcher tests drive
:class:`skemo.serve.PredictionBatcher` in an event loop of their own.
"""

import asyncio
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import skemo
from skemo import FineTunedEmotionClassifier
from skemo.cli import main
from skemo.serve import PredictionBatcher, QueueFull, create_app

from .conftest import tiny_params

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")

TEXTS = ["Thank you so much, this made my day!", "I can't believe they did that.", "ok",
         "Ça me fait plaisir 😊", "lol", "This is the worst service I have ever had."]
#: Limits of the main server, small enough to pass in a test.
LIMITS = ["--max-texts", "8", "--max-chars", "200", "--max-body-bytes", "4000"]
STARTUP_S = 180  # loading torch and the model on a busy machine


@pytest.fixture(scope="module")
def model(multilabel_data, tmp_path_factory):
    X, Y, names = multilabel_data
    est = FineTunedEmotionClassifier(**tiny_params(max_epochs=1, label_names=names)).fit(X, Y)
    path = tmp_path_factory.mktemp("serve") / "model"
    est.save(path)
    return path


class Server:
    """``skemo serve MODEL --port 0 ...`` in a subprocess; ``port`` once it listens."""

    def __init__(self, model, *options, log):
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            [str(Path(skemo.__file__).parent.parent), os.environ.get("PYTHONPATH", "")])}
        self.log = log
        with open(log, "wb") as stderr:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "skemo.cli", "serve", str(model), "--port", "0", "-q",
                 *options], stdout=subprocess.DEVNULL, stderr=stderr, env=env)
        self.port = self._wait_until_ready()

    def _wait_until_ready(self):
        deadline = time.monotonic() + STARTUP_S
        port = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited ({self.process.returncode}):\n"
                                   + self.log.read_text(errors="replace"))
            if port is None:
                found = re.search(r"serving .* on http://127\.0\.0\.1:(\d+)",
                                  self.log.read_text(errors="replace"))
                port = found and int(found.group(1))
            if port is not None:
                try:
                    if request(port, "GET", "/health")[0] == 200:
                        return port
                except OSError:
                    pass
            time.sleep(0.2)
        raise RuntimeError("the server did not get ready:\n" + self.log.read_text())

    def stop(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)


def request(port, method, path, body=None, headers=None):
    """``(status, headers, JSON answer)`` of one request; a dict body is sent as JSON."""
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), json.loads(response.read())
    finally:
        connection.close()


def predict(port, payload):
    return request(port, "POST", "/predict", payload)


@pytest.fixture(scope="module")
def server(model, tmp_path_factory):
    running = Server(model, *LIMITS, log=tmp_path_factory.mktemp("log") / "server.log")
    try:
        yield running
    finally:
        running.stop()


def skemo_predict_lines(model, texts, capsys, monkeypatch, *options):
    """What ``skemo predict`` writes for ``texts`` (JSON lines input), as dicts."""
    import io

    lines = "".join(json.dumps({"text": text}) + "\n" for text in texts)
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(lines.encode())))
    assert main(["predict", str(model), "--input-format", "jsonl", *options]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


# ------------------------------------------------------------------------------ answers
@pytest.mark.parametrize("options, payload", [
    ([], {}),
    (["--top-k", "2"], {"top_k": 2}),
    (["--top-k", "all"], {"top_k": "all"}),
    (["--threshold", "0.2"], {"threshold": 0.2}),
])
def test_answers_are_those_of_skemo_predict(server, model, capsys, monkeypatch, options,
                                            payload):
    expected = skemo_predict_lines(model, TEXTS, capsys, monkeypatch, *options)
    status, _, answer = predict(server.port, {"texts": TEXTS, **payload})
    assert status == 200
    assert answer == {"predictions": expected}


def test_one_text_and_the_model_description(server, model):
    est = skemo.load(model)
    names = list(est.label_names_)
    status, _, answer = predict(server.port, {"text": "lol"})
    assert status == 200 and [record["text"] for record in answer["predictions"]] == ["lol"]
    record = answer["predictions"][0]
    proba = est.predict_proba(["lol"])[0]
    assert record["probabilities"] == {name: round(float(p), 4) for name, p in zip(names, proba)}
    assert set(record["labels"]) == {names[j] for j in np.flatnonzero(est.predict(["lol"])[0])}
    status, _, health = request(server.port, "GET", "/health")
    assert (status, health) == (200, {
        "status": "ok", "ready": True, "model": str(model),
        "estimator": "FineTunedEmotionClassifier", "labels": names, "multilabel": True,
        "waiting_texts": 0})
    assert request(server.port, "GET", "/labels")[::2] == (200, {"labels": names})


def test_concurrent_requests_all_get_their_own_answers(server, model):
    est = skemo.load(model)
    offline = est.predict_proba(TEXTS)
    rng = np.random.default_rng(0)
    jobs = [rng.choice(len(TEXTS), size=rng.integers(1, 6)).tolist() for _ in range(64)]
    answers = [None] * len(jobs)

    def client(indices):
        for i in indices:
            answers[i] = predict(server.port, {"texts": [TEXTS[j] for j in jobs[i]],
                                               "top_k": "all"})

    threads = [threading.Thread(target=client, args=(range(k, len(jobs), 16),))
               for k in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for job, (status, _, answer) in zip(jobs, answers):
        assert status == 200
        assert [record["text"] for record in answer["predictions"]] == [TEXTS[j] for j in job]
        for j, record in zip(job, answer["predictions"]):
            got = [record["probabilities"][name] for name in est.label_names_]
            np.testing.assert_allclose(got, offline[j], atol=6e-5)  # rounded to 4 decimals


# ------------------------------------------------------------------------ limits and errors
def test_an_oversized_body_is_refused(server):
    big = json.dumps({"texts": ["x" * 150] * 30}).encode()
    status, _, answer = request(server.port, "POST", "/predict", big)
    assert (status, answer) == (413, {"detail": f"the body has {len(big)} bytes; "
                                                "the limit is 4000."})

    def chunks():  # no Content-Length: the limit holds on the streamed body
        yield b'{"texts": ['
        for _ in range(40):
            yield b'"' + b"y" * 150 + b'", '
        yield b'"z"]}'

    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    connection.request("POST", "/predict", body=chunks(), encode_chunked=True,
                       headers={"Transfer-Encoding": "chunked"})
    response = connection.getresponse()
    assert response.status == 413
    assert json.loads(response.read()) == {"detail": "the body passes the limit of 4000 bytes."}
    connection.close()


@pytest.mark.parametrize("payload, message", [
    ({"texts": ["a"] * 9}, "9 texts in one request; the limit is 8."),
    ({"texts": ["ok", "é" * 201]}, "texts[1] has 201 characters; the limit is 200."),
    ({"text": "w" * 300}, "texts[0] has 300 characters; the limit is 200."),
])
def test_too_many_or_too_long_texts_are_refused(server, payload, message):
    status, _, answer = predict(server.port, payload)
    assert (status, answer) == (413, {"detail": message})


@pytest.mark.parametrize("body, status, message", [
    (b'{"texts": ["a",', 400, "the body is not valid JSON: Expecting value"),
    (b"\xff\xfe\xfa", 400, "the body is not valid JSON"),
    (b'["a", "b"]', 422, "the body must be a JSON object"),
    (b'{"texts": "one text"}', 422, '"texts" must be a list of strings, got str.'),
    (b'{"texts": ["a", 3]}', 422, "texts[1] is of type int; every item of texts must be a string."),
    (b'{"texts": ["a", null]}', 422, "texts[1] is None; every item of texts must be a string."),
    (b'{"texts": []}', 422, '"texts" is empty; give at least one text.'),
    (b'{"texts": ["a", " "]}', 422, "texts[1] is blank; a blank text has nothing to predict"),
    (b'{"text": ["a"]}', 422, '"text" must be a string, got list.'),
    (b'{"text": "a", "texts": ["b"]}', 422, 'give either "texts" (a list of strings) or "text"'),
    (b'{}', 422, 'give either "texts" (a list of strings) or "text"'),
    (b'{"texts": ["a"], "topk": 2}', 422, "unknown field(s) 'topk'; expected 'texts', 'text'"),
    (b'{"texts": ["\\ud800"]}', 422, "texts[0] is not valid Unicode: it holds the lone surrogate"),
    (b'{"texts": ["a"], "top_k": 0}', 422, "top_k must be None, a positive int or 'all', got 0."),
    (b'{"texts": ["a"], "top_k": true}', 422, "top_k and threshold take numbers"),
    (b'{"texts": ["a"], "threshold": 1.5}', 422, "The 'threshold' parameter of "
                                                 "FineTunedEmotionClassifier must be"),
])
def test_malformed_requests_say_what_is_wrong(server, body, status, message):
    got, headers, answer = request(server.port, "POST", "/predict", body)
    assert got == status and headers["content-type"] == "application/json"
    assert answer["detail"].startswith(message), answer


def test_unknown_routes_and_methods_answer_json(server):
    assert request(server.port, "GET", "/nowhere")[::2] == (404, {"detail": "Not Found"})
    assert request(server.port, "GET", "/predict")[::2] == (405, {"detail": "Method Not Allowed"})


def test_limits_are_checked(model):
    est = skemo.load(model)
    with pytest.raises(ValueError, match=r"max_texts \(10\) exceeds max_queue \(5\)"):
        create_app(est, max_texts=10, max_queue=5)
    with pytest.raises(ValueError, match="max_batch_size must be a positive int, got 0"):
        create_app(est, max_batch_size=0)
    with pytest.raises(TypeError, match=r"unknown limits \['max_size'\]"):
        create_app(est, max_size=3)


@pytest.mark.parametrize("argv, message", [
    (["--max-queue", "0"], "expected a positive integer, got '0'"),
    (["--max-wait-ms", "-1"], "expected a number of milliseconds >= 0, got '-1'"),
])
def test_bad_limit_options_are_usage_errors(model, argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["serve", str(model), *argv])
    assert exit_info.value.code == 2 and message in capsys.readouterr().err


def test_a_taken_port_and_a_missing_package_are_one_line_errors(model, capsys, monkeypatch):
    import socket

    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        assert main(["serve", str(model), "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("skemo serve: error: [Errno") and len(err.splitlines()) == 1
    monkeypatch.setitem(sys.modules, "starlette", None)
    assert main(["serve", str(model)]) == 2
    assert capsys.readouterr().err == ("skemo serve: error: skemo serve needs starlette and "
                                       "uvicorn: pip install 'skemo[serve]'\n")


def test_the_command_line_loads_no_server_package():
    code = ("import sys, skemo, skemo.cli; skemo.cli.build_parser();"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'starlette', 'uvicorn'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


# ------------------------------------------------------------------- overload and shutdown
@pytest.fixture(scope="module")
def slow_server(model, tmp_path_factory):
    """A server whose batches wait 3 s for more texts, with room for 4 waiting texts."""
    running = Server(model, "--max-queue", "4", "--max-texts", "4", "--max-batch-size", "64",
                     "--max-wait-ms", "3000", log=tmp_path_factory.mktemp("log") / "slow.log")
    try:
        yield running
    finally:
        running.stop()


def in_background(function, *args):
    """Start ``function(*args)`` in a thread; the returned list gets its result."""
    result = []
    thread = threading.Thread(target=lambda: result.append(function(*args)))
    thread.start()
    return thread, result


def wait_for_waiting_texts(port, count):
    while request(port, "GET", "/health")[2]["waiting_texts"] != count:
        time.sleep(0.02)


def test_a_full_queue_answers_503_with_retry_after(slow_server, model):
    thread, first = in_background(predict, slow_server.port, {"texts": ["a", "b", "c"]})
    wait_for_waiting_texts(slow_server.port, 3)
    status, headers, answer = predict(slow_server.port, {"texts": ["d", "e"]})
    assert status == 503 and headers["retry-after"] == "1"
    assert answer == {"detail": "the server is busy: 3 texts are waiting and 2 more would pass "
                                "its queue of 4; retry in 1 s."}
    thread.join()
    assert first[0][0] == 200
    offline = skemo.load(model).predict_proba(["a", "b", "c"])
    got = [[record["probabilities"][name] for name in skemo.load(model).label_names_]
           for record in first[0][2]["predictions"]]
    np.testing.assert_allclose(got, offline, atol=6e-5)
    # many at once: each is answered, or refused with 503, nothing else
    results = [None] * 12
    threads = [threading.Thread(target=lambda i=i: results.__setitem__(
        i, predict(slow_server.port, {"texts": ["x", "y"]})[0])) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(results) == {200, 503}


def test_sigterm_answers_the_requests_held_then_exits_0(slow_server):
    thread, held = in_background(predict, slow_server.port, {"texts": ["still here"]})
    wait_for_waiting_texts(slow_server.port, 1)
    slow_server.process.send_signal(signal.SIGTERM)
    thread.join()
    status, _, answer = held[0]
    assert status == 200 and answer["predictions"][0]["text"] == "still here"
    assert slow_server.process.wait(timeout=60) == 0
    log = slow_server.log.read_text()
    assert "Traceback" not in log


# -------------------------------------------------------------------------------- batcher
def run_batcher(scenario, **settings):
    """Run ``scenario(batcher)`` against a batcher whose scorer records each batch."""
    batches = []

    def score(texts):
        batches.append(list(texts))
        return np.array([[len(text)] for text in texts])

    async def main():
        batcher = PredictionBatcher(score, **{"max_batch_size": 4, "max_wait": 0.2,
                                              "max_queue": 10, **settings})
        await batcher.start()
        try:
            return await scenario(batcher)
        finally:
            await batcher.close()

    return asyncio.run(main()), batches


def test_concurrent_submissions_share_a_batch_of_at_most_max_batch_size():
    async def scenario(batcher):
        return await asyncio.gather(*(batcher.submit(texts) for texts in
                                      (["a"], ["bb", "ccc"], ["dddd", "e", "ff"])))

    answers, batches = run_batcher(scenario)
    assert [rows.ravel().tolist() for rows in answers] == [[1], [2, 3], [4, 1, 2]]
    # the third request does not fit beside the first two: it waits for the next batch
    assert batches == [["a", "bb", "ccc"], ["dddd", "e", "ff"]]


def test_a_large_request_is_split_into_batches():
    async def scenario(batcher):
        return await batcher.submit(["x" * n for n in range(1, 10)])

    answer, batches = run_batcher(scenario, max_wait=0.0)
    assert answer.ravel().tolist() == list(range(1, 10))
    assert [len(batch) for batch in batches] == [4, 4, 1]


def test_the_queue_is_bounded_and_frees_as_texts_are_scored():
    async def scenario(batcher):
        first = asyncio.ensure_future(batcher.submit(["a"] * 8))
        await asyncio.sleep(0)
        assert batcher.waiting == 8
        with pytest.raises(QueueFull, match="8 texts are waiting and 3 more would pass"):
            await batcher.submit(["b"] * 3)
        await first
        assert batcher.waiting == 0
        return await batcher.submit(["b"] * 3)

    answer, _ = run_batcher(scenario, max_wait=0.01)
    assert answer.ravel().tolist() == [1, 1, 1]


def test_a_cancelled_request_is_not_scored_and_close_scores_what_waits():
    async def scenario(batcher):
        gone = asyncio.ensure_future(batcher.submit(["gone"]))
        kept = asyncio.ensure_future(batcher.submit(["kept"]))
        await asyncio.sleep(0)
        gone.cancel()
        await batcher.close()  # does not wait max_wait: scores what is queued, then stops
        with pytest.raises(QueueFull, match="shutting down"):
            await batcher.submit(["late"])
        return (await kept).ravel().tolist(), batcher.waiting

    (kept, waiting), batches = run_batcher(scenario, max_wait=60)
    assert (kept, waiting, batches) == ([4], 0, [["kept"]])


def test_a_failing_batch_fails_its_requests_only():
    def score(texts):
        if "boom" in texts:
            raise RuntimeError("boom")
        return np.zeros((len(texts), 1))

    async def main():
        batcher = PredictionBatcher(score, max_batch_size=1, max_wait=0.0, max_queue=4)
        await batcher.start()
        results = await asyncio.gather(batcher.submit(["boom"]), batcher.submit(["fine"]),
                                       return_exceptions=True)
        await batcher.close()
        return results, batcher.waiting

    (failed, fine), waiting = asyncio.run(main())
    assert isinstance(failed, RuntimeError) and fine.tolist() == [[0.0]] and waiting == 0
