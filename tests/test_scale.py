"""Archive scoring: streaming JSONL/Parquet in and out, error rows, --resume, --workers (tiny random model)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from credscore.archive import JsonlSink, done_ids, iter_records, partial_path
from credscore.batch_scoring import MAX_ARTICLE_CHARS, score_records, score_stream
from credscore.formats.parquet import article_schema, records_to_table, shard_ids, write_shard
from credscore.eval.scale_bench import max_difference
from tests.conftest import ROOT

TEXTS = ["The ministry said the bridge would reopen on Monday. It rained all day.",
         "A source said the talks may collapse. Reuters reported a delay.",
         "Jane Doe said the plant will close. The mayor declined to comment."]


def articles(n: int) -> list[dict]:
    return [{"id": f"a{i}", "text": TEXTS[i % len(TEXTS)] + f" Day {i}.", "outlet": f"o{i % 2}"} for i in range(n)]


def run(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "credscore.cli", *args], capture_output=True, cwd=ROOT,
                          timeout=timeout)


def write_rows(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def profiles(rows):
    return {r["id"]: (r["profile"], [s["attribution"]["label"] for s in r["sentences"]]) for r in rows if not r["error"]}


def test_records_match_score_and_bad_articles_become_error_rows(tiny_model):
    recs = articles(3) + [{"id": "empty", "text": ""}, {"id": "blank", "text": " \n"},
                          {"id": "bin", "text": "PK\x00\x03 junk"}, {"id": "long", "text": "x" * (MAX_ARTICLE_CHARS + 1)},
                          {"id": "notext", "title": "t"}, {"id": "clash", "text": "It rained.", "profile": 1}]
    out = score_records(tiny_model, recs)
    assert [r["id"] for r in out] == [r["id"] for r in recs]
    for rec, row in zip(recs[:3], out[:3]):
        assert row["error"] is None and row["outlet"] == rec["outlet"] and "text" not in row
        expected = tiny_model.score(rec["text"], name=rec["id"]).to_dict()
        assert {k: row[k] for k in expected} == expected
    reasons = {r["id"]: r["error"] for r in out[3:]}
    assert reasons == {"empty": "is empty", "blank": "holds only whitespace", "bin": "looks like binary data, not text",
                       "long": f"too long: {MAX_ARTICLE_CHARS + 1:,} characters (limit {MAX_ARTICLE_CHARS:,})",
                       "notext": "no text (expected a string field 'text')",
                       "clash": "input field 'profile' is reserved for the output; rename it"}
    assert all("\n" not in r for r in reasons.values())


def test_one_failing_article_does_not_take_its_batch_down(tiny_model):
    recs = [{"id": "ok", "text": TEXTS[0]}, {"id": "punct", "text": "..."}, {"id": "ok2", "text": TEXTS[1]}]
    out = score_records(tiny_model, recs)
    assert out[0]["error"] is None and out[2]["error"] is None
    assert out[1]["error"] is None or "no sentences" in out[1]["error"]


def test_readers_stream_jsonl_parquet_and_folders(tmp_path):
    rows = articles(4)
    jsonl = tmp_path / "a.jsonl"
    jsonl.write_text(json.dumps(rows[0]) + "\n{oops\n[1]\n\n" + json.dumps({"text": "No id here."}) + "\n")
    parquet = tmp_path / "a.parquet"
    pq.write_table(pa.Table.from_pylist(rows[1:]), parquet)
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "x.txt").write_text("The minister said so.")
    (folder / "y.txt").write_bytes(b"")
    got = list(iter_records([str(jsonl), str(parquet), str(folder)]))
    assert [g["id"] for g in got] == ["a0", f"{jsonl}:2", f"{jsonl}:3", f"{jsonl}:5", "a1", "a2", "a3",
                                      str(folder / "x.txt"), str(folder / "y.txt")]
    assert "invalid JSON" in got[1]["error"] and got[2]["error"].endswith("expected a JSON object")
    assert got[4]["outlet"] == "o1" and got[-1]["error"].endswith("is empty")


def test_parquet_shards_have_one_fixed_schema_and_nested_sentences(tiny_model, tmp_path):
    out = score_records(tiny_model, articles(2) + [{"id": "bad", "text": ""}])
    folder = str(tmp_path / "out")
    write_shard(records_to_table(out[:1]), folder)
    write_shard(records_to_table(out[1:]), folder)  # holds only an error row for one article
    table = pq.read_table(folder)
    assert table.num_rows == 3 and shard_ids(folder) == {"a0", "a1", "bad"}
    assert table.schema.field("sentences").type == article_schema().field("sentences").type
    back = {r["id"]: r for r in table.to_pylist()}
    assert back["a0"]["sentences"] == out[0]["sentences"] and back["a0"]["profile"] == out[0]["profile"]
    assert back["bad"]["error"] == "is empty" and back["bad"]["profile"] is None
    assert not [p for p in os.listdir(folder) if p.startswith(".")]  # no temporary left behind
    write_shard(records_to_table(out[:1]), folder)  # the same batch again (a retry): same name, no duplicate
    assert pq.read_table(folder).num_rows == 3


def test_workers_keep_input_order_and_match_one_process(tiny_model, tiny_model_dir, tmp_path):
    class Collect:
        def __init__(self):
            self.rows = []

        def write(self, rows):
            self.rows += rows

    recs = articles(9)
    one, two = Collect(), Collect()
    kwargs = {"model_dir": str(tiny_model_dir), "backend": "torch"}
    score_stream(iter(recs), one, kwargs, workers=1, batch_size=2, model=tiny_model)
    score_stream(iter(recs), two, kwargs, workers=2, batch_size=2)
    assert [r["id"] for r in two.rows] == [r["id"] for r in recs]
    # torch's sums depend on its thread count (all cores here, one per worker): equal to the last digits
    assert max_difference(profiles(two.rows), profiles(one.rows)) < 1e-6


def test_cli_jsonl_and_parquet_with_resume(tmp_path, tiny_model_dir):
    src = write_rows(tmp_path / "in.jsonl", articles(5) + [{"id": "bad", "text": ""}])
    out = tmp_path / "out.jsonl"
    res = run("score", str(src), "--format", "jsonl", "-o", str(out), "--model", str(tiny_model_dir))
    assert res.returncode == 0, res.stderr.decode()
    rows = [json.loads(l) for l in out.read_text().splitlines()]
    assert [r["id"] for r in rows] == ["a0", "a1", "a2", "a3", "a4", "bad"] and rows[-1]["error"] == "is empty"
    assert "5 articles, 1 error rows" in res.stderr.decode()
    # more articles arrive: --resume scores only the new ones
    write_rows(src, articles(7))
    res = run("score", str(src), "--format", "jsonl", "-o", str(out), "--resume", "--model", str(tiny_model_dir))
    assert res.returncode == 0, res.stderr.decode()
    ids = [json.loads(l)["id"] for l in out.read_text().splitlines()]
    assert ids == ["a0", "a1", "a2", "a3", "a4", "bad", "a5", "a6"]
    assert not partial_path(out).exists()

    folder = tmp_path / "shards"
    res = run("score", str(src), "--format", "parquet", "-o", str(folder), "--model", str(tiny_model_dir))
    assert res.returncode == 0, res.stderr.decode()
    table = pq.read_table(folder)
    assert sorted(table.column("id").to_pylist()) == [f"a{i}" for i in range(7)]
    assert profiles(table.to_pylist()) == profiles([json.loads(l) for l in out.read_text().splitlines()])  # same process setup
    again = run("score", str(src), "--format", "parquet", "-o", str(folder), "--model", str(tiny_model_dir))
    assert again.returncode == 2 and b"--resume" in again.stderr
    res = run("score", str(src), "--format", "parquet", "-o", str(folder), "--resume", "--model", str(tiny_model_dir))
    assert res.returncode == 0 and b"7 already in the output" in res.stderr
    assert pq.read_table(folder).num_rows == 7


def test_cli_refuses_bad_archive_options(tmp_path, tiny_model_dir):
    src = write_rows(tmp_path / "in.jsonl", articles(2))
    cases = [(["--format", "parquet"], "-o FOLDER"), (["--format", "table", "--resume", "-o", "x"], "archives are scored"),
             (["--format", "jsonl", "--resume"], "--resume"), (["--format", "jsonl", "--workers", "0"], "at least 1"),
             (["--format", "jsonl", "--engine", "spark"], "--engine"),
             (["--format", "jsonl", "--engine", "ray", "-o", "x"], "--format parquet")]
    for extra, fragment in cases:
        res = run("score", str(src), *extra, "--model", str(tiny_model_dir))
        assert res.returncode == 2 and fragment in res.stderr.decode() and b"Traceback" not in res.stderr, extra


def test_killed_run_resumes_without_duplicates(tmp_path, tiny_model_dir):
    """SIGKILL mid-run leaves a partial file of whole rows (a cut last line is dropped); --resume completes it."""
    src = write_rows(tmp_path / "in.jsonl", articles(400))
    out = tmp_path / "out.jsonl"
    proc = subprocess.Popen([sys.executable, "-m", "credscore.cli", "score", str(src), "--format", "jsonl", "-o", str(out),
                             "--model", str(tiny_model_dir), "--backend", "torch"], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    partial = partial_path(out)
    deadline = time.time() + 120
    while time.time() < deadline and (not partial.exists() or partial.stat().st_size == 0):
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not out.exists() and partial.exists()
    with open(partial, "a") as fh:
        fh.write('{"id": "a39')  # what a kill in the middle of a write leaves
    written = done_ids(str(out), parquet=False)
    assert 0 < len(written) < 400
    res = run("score", str(src), "--format", "jsonl", "-o", str(out), "--resume", "--model", str(tiny_model_dir))
    assert res.returncode == 0, res.stderr.decode()
    ids = [json.loads(l)["id"] for l in out.read_text().splitlines()]
    assert sorted(ids) == sorted(f"a{i}" for i in range(400)) and len(ids) == 400


def test_jsonl_sink_leaves_an_existing_output_until_done(tmp_path):
    out = tmp_path / "o.jsonl"
    out.write_text("previous\n")
    sink = JsonlSink(out)
    sink.write([{"id": "x"}])
    assert out.read_text() == "previous\n"
    sink.close()
    assert out.read_text() == '{"id": "x"}\n'


def test_folder_of_articles_streams_with_error_rows(tmp_path, tiny_model_dir):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text("The minister said it rained. It did.")
    (folder / "b.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20)
    res = run("score", str(folder), "--format", "json", "--workers", "2", "--model", str(tiny_model_dir))
    assert res.returncode == 0, res.stderr.decode()
    rows = [json.loads(l) for l in res.stdout.decode().splitlines()]
    assert [r["input"] if r["error"] is None else r["error"] for r in rows] == [
        str(folder / "a.txt"), f"{folder / 'b.txt'}: looks like a binary file, not text"]


def test_parquet_input_needs_id_and_text(tmp_path, tiny_model_dir):
    src = tmp_path / "a.parquet"
    pq.write_table(pa.Table.from_pylist([{"id": "x", "body": "No text column."}]), src)
    res = run("score", str(src), "--format", "jsonl", "--model", str(tiny_model_dir))
    assert res.returncode == 2 and b"needs the columns id and text (missing: text)" in res.stderr
    assert b"Traceback" not in res.stderr


def test_ctrl_c_keeps_what_was_written_for_resume(tmp_path, tiny_model_dir):
    src = write_rows(tmp_path / "in.jsonl", articles(400))
    out = tmp_path / "out.jsonl"
    out.write_text("previous\n")
    proc = subprocess.Popen([sys.executable, "-m", "credscore.cli", "score", str(src), "--format", "jsonl", "-o", str(out),
                             "--model", str(tiny_model_dir), "--backend", "torch"], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    partial = partial_path(out)
    deadline = time.time() + 120
    while time.time() < deadline and (not partial.exists() or partial.stat().st_size == 0):
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err.decode()
    assert b"Traceback" not in err and b"rerun with --resume" in err
    assert out.read_text() == "previous\n" and partial.stat().st_size > 0
