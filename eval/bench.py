"""Speed and memory benchmark (``make bench``).

All in one run on this machine, medians of ``--reps`` repetitions after one
warm-up:

* batch throughput (sentences/s) of the transformer in fp32, on its int8 fast
  path, and of the TF-IDF + LR baseline, on ``--sentences`` real sentences
  from the seeds (whole documents, in order);
* latency of scoring the sample article in a warm process (ms);
* wall time of a cold ``credscore score seeds/belgorod-legion-raid.txt
  --format json`` process and its peak resident memory (MB).

    python -m eval.bench --output eval/reports/bench.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from model.io import atomic_output
from training.data import group_documents, load_rows

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "seeds/belgorod-legion-raid.txt"


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import torch

    return {"cpu": cpu, "cores": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "python": platform.python_version(), "torch": torch.__version__, "platform": platform.platform()}


def timed(fn, reps: int) -> list[float]:
    fn()  # warm-up
    out = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def documents(path: Path, n_sentences: int) -> list[list[str]]:
    docs, total = [], 0
    for doc in group_documents(load_rows([path])):
        docs.append([r["text"] for r in doc])
        total += len(doc)
        if total >= n_sentences:
            break
    return docs


def cold_start(model_dir: Path | None, reps: int) -> tuple[list[float], float]:
    """Wall times of fresh ``credscore score`` processes and the largest child peak RSS (MB)."""
    cmd = [sys.executable, "-m", "model.cli", "score", str(SAMPLE), "--format", "json"]
    if model_dir:
        cmd += ["--model", str(model_dir)]
    times = []
    for _ in range(reps + 1):
        t = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
        times.append(time.perf_counter() - t)
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return times[1:], peak_kb / 1024


def run(model_dir: Path | None, data: Path, n_sentences: int, reps: int) -> dict:
    from eval.baselines import TfidfLogRegBaseline
    from model.api import load_model

    docs = documents(data, n_sentences)
    n = sum(len(d) for d in docs)
    text = SAMPLE.read_text(encoding="utf-8")
    result = {"machine": machine(), "sentences": n, "reps": reps, "throughput_sentences_per_s": {},
              "runs_s": {}}
    for name, fast in (("transformer_fp32", False), ("transformer_fast", True)):
        model = load_model(model_dir, fast=fast)
        runs = timed(lambda: model.predict_documents(docs), reps)
        result["runs_s"][name] = runs
        result["throughput_sentences_per_s"][name] = n / statistics.median(runs)
        if fast:
            lat = timed(lambda: model.score(text), max(reps, 5))
            result["warm_latency_ms_sample_article"] = 1000 * statistics.median(lat)
            result["runs_s"]["warm_latency"] = lat
    baseline = TfidfLogRegBaseline(random_state=0).fit(load_rows([data]))
    runs = timed(lambda: baseline.predict_proba(docs), reps)
    result["runs_s"]["tfidf_lr"] = runs
    result["throughput_sentences_per_s"]["tfidf_lr"] = n / statistics.median(runs)
    tp = result["throughput_sentences_per_s"]
    result["fast_vs_fp32_speedup"] = tp["transformer_fast"] / tp["transformer_fp32"]
    cold, peak = cold_start(model_dir, reps)
    result["runs_s"]["cold_start"] = cold
    result["cold_start_s"] = statistics.median(cold)
    result["cold_start_peak_rss_mb"] = peak
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--data", type=Path, default=ROOT / "seeds/train.jsonl")
    parser.add_argument("--sentences", type=int, default=2000)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--output", type=Path, default=ROOT / "eval/reports/bench.json")
    args = parser.parse_args()
    result = run(args.model, args.data, args.sentences, args.reps)
    with atomic_output(args.output) as fh:
        json.dump(result, fh, indent=2)
    print(json.dumps({k: v for k, v in result.items() if k != "runs_s"}, indent=2))


if __name__ == "__main__":
    main()
