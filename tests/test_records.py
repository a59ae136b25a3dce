"""The tables in RESULTS.md and the docs are rendered from the benchmark records."""

import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def test_generated_tables_match_the_records():
    result = subprocess.run([sys.executable, "report.py", "--check"], cwd=BENCHMARKS,
                            capture_output=True, text=True)
    assert result.returncode == 0, (result.stdout + result.stderr
                                    + "\nrun `python benchmarks/report.py` to regenerate")


def test_every_record_says_where_and_when_it_ran():
    sys.path.insert(0, str(BENCHMARKS))
    try:
        from _records import RESULTS, read
    finally:
        sys.path.remove(str(BENCHMARKS))
    names = [path.stem for path in RESULTS.glob("*.jsonl")]
    assert names
    for name in names:
        for record in read(name):
            assert {"date", "commit", "device", "threads", "cores_shared",
                    "benchmark"} <= record.keys(), (name, record)
