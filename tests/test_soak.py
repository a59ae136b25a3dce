"""Soak test: predict_proba over 100k short texts streams with bounded memory."""

import os
import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent("""
    import numpy as np
    from skemo import FineTunedEmotionClassifier
    from tests.conftest import tiny_params

    def peak_rss_mb():
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024

    rng = np.random.RandomState(0)
    words = np.array("i am so happy sad angry today this is great awful love it".split())
    X = [" ".join(rng.choice(words, 6)) for _ in range(200)]
    est = FineTunedEmotionClassifier(**tiny_params(max_epochs=1, batch_size=256,
                                                   validation_fraction=None))
    est.fit(X, ["a", "b"] * 100)
    big = [" ".join(rng.choice(words, rng.randint(1, 12))) for _ in range(100_000)]
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset the peak-RSS counter
    before = peak_rss_mb()
    proba = est.predict_proba(big)
    print(proba.shape[0], np.isfinite(proba).all(), peak_rss_mb() - before)
""")


@pytest.mark.slow
def test_predict_proba_on_100k_texts_has_bounded_memory():
    if not os.path.exists("/proc/self/clear_refs"):
        pytest.skip("needs Linux /proc to measure peak memory")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = subprocess.run([sys.executable, "-c", SCRIPT], cwd=root, capture_output=True,
                         text=True, timeout=600, env={**os.environ, "PYTHONPATH": root})
    assert out.returncode == 0, out.stderr[-2000:]
    rows, finite, grown_mb = out.stdout.split()[-3:]
    assert int(rows) == 100_000 and finite == "True"
    # token ids of 100k short texts take ~60 MB; the outputs stream batch by batch
    assert float(grown_mb) < 400, f"peak RSS grew by {grown_mb} MB"
