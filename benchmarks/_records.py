"""Benchmark records: one JSON object per run, appended to ``benchmarks/results/*.jsonl``.

Each record says what ran (script, dataset, split sizes, method, parameters,
seed), where (date, commit, CPU or GPU name and flags, threads, whether other
work shared the cores) and what it measured (metrics, timings). Tables are
rendered from the records, never typed.
"""

import datetime
import json
import os
import platform
import subprocess
from pathlib import Path

import torch

RESULTS = Path(__file__).parent / "results"
#: CPU flags that decide which kernels run (bf16/int8 matrix units).
KERNEL_FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16", "amx_int8")


def device_name():
    """The GPU's name where one is used, else the CPU's model name and kernel flags."""
    if torch.cuda.is_available():
        return torch.cuda.get_device_name(0)
    name, flags = platform.machine(), []
    try:
        with open("/proc/cpuinfo") as f:
            info = f.read()
        name = next(line.split(":", 1)[1].strip() for line in info.splitlines()
                    if line.startswith("model name"))
        present = set(next(line for line in info.splitlines()
                           if line.startswith("flags")).split(":", 1)[1].split())
        flags = [flag for flag in KERNEL_FLAGS if flag in present]
    except (OSError, StopIteration):
        pass
    return f"{name} [{' '.join(flags)}]" if flags else name


def commit():
    """The source tree's commit (with ``+dirty`` when it has uncommitted changes)."""
    def git(*args):
        return subprocess.run(["git", *args], capture_output=True, text=True,
                              cwd=Path(__file__).parent).stdout.strip()
    head = git("rev-parse", "--short", "HEAD") or "unknown"
    return head + ("+dirty" if git("status", "--porcelain", "--untracked-files=no") else "")


def append(name, record, shared_cores=False):
    """Append ``record`` (a dict) with its provenance to ``results/<name>.jsonl``."""
    RESULTS.mkdir(exist_ok=True)
    full = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "commit": commit(),
        "device": device_name(),
        "threads": torch.get_num_threads(),
        "cores_shared": bool(shared_cores or os.environ.get("SKEMO_BENCH_SHARED")),
        **record,
    }
    with open(RESULTS / f"{name}.jsonl", "a") as f:
        f.write(json.dumps(full) + "\n")
    return full


def read(name):
    """Every record of ``results/<name>.jsonl``, oldest first."""
    path = RESULTS / f"{name}.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
