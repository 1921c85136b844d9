"""The command line: help, version, errors as one line with stable exit codes."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, make_rows, write_jsonl

SAMPLE = ROOT / "seeds/belgorod-legion-raid.txt"


def run(*args, stdin: bytes | None = None, timeout=300):
    return subprocess.run([sys.executable, "-m", "credscore.cli", *args], capture_output=True, input=stdin,
                          cwd=ROOT, timeout=timeout)


def test_version_and_help():
    out = run("--version")
    assert out.returncode == 0 and out.stdout.decode().startswith("credscore ")
    for cmd in ("score", "predict", "train", "eval"):
        res = run(cmd, "--help")
        assert res.returncode == 0, cmd
        assert b"Usage" in res.stdout


def _one_line_error(res, code, fragment):
    err = res.stderr.decode()
    assert res.returncode == code, err
    assert "Traceback" not in err
    assert fragment in err


def test_bad_inputs_exit_2_with_one_line(tmp_path, tiny_model_dir):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    blank = tmp_path / "blank.txt"
    blank.write_text("  \n\t\n")
    png = tmp_path / "x.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20)
    folder = tmp_path / "nothing"
    folder.mkdir()
    cases = [(tmp_path / "missing.txt", "no such file"), (empty, "is empty"), (blank, "only whitespace"),
             (png, "binary"), (folder, "no text files")]
    for path, fragment in cases:
        _one_line_error(run("score", str(path), "--model", str(tiny_model_dir)), 2, fragment)


def test_missing_model_is_a_clear_error(tmp_path):
    _one_line_error(run("score", str(SAMPLE), "--model", str(tmp_path / "nomodel")), 2, "model directory not found")


def test_unknown_option_is_usage_error():
    res = run("score", "--format", "pdf", str(SAMPLE))
    assert res.returncode == 2 and b"Traceback" not in res.stderr


def test_score_json_schema_and_stdin(tiny_model_dir):
    res = run("score", "-", "--format", "json", "--model", str(tiny_model_dir), stdin=SAMPLE.read_bytes())
    assert res.returncode == 0, res.stderr.decode()
    doc = json.loads(res.stdout)
    assert doc["model"]["name"] == "tiny-test"
    text = SAMPLE.read_text(encoding="utf-8")
    for s in doc["sentences"]:
        assert text[s["start"]:s["end"]] == s["text"]
        assert set(s["attribution"]) == {"label", "confidence", "scores"}
        assert abs(sum(s["hedging"]["scores"].values()) - 1) < 1e-3
    assert 0 <= doc["profile"]["reliability"] <= 100
    assert {"components", "explanations", "attribution_shares"} <= set(doc["profile"])


def test_score_many_inputs_gives_json_lines(tmp_path, tiny_model_dir):
    for i in range(2):
        (tmp_path / f"a{i}.txt").write_text(f"The minister said it rained on day {i}. It did.")
    res = run("score", str(tmp_path), "--format", "json", "--model", str(tiny_model_dir))
    lines = res.stdout.decode().strip().splitlines()
    assert res.returncode == 0 and len(lines) == 2
    assert [json.loads(l)["input"] for l in lines] == [str(tmp_path / "a0.txt"), str(tmp_path / "a1.txt")]


def test_output_file_written_atomically(tmp_path, tiny_model_dir):
    out = tmp_path / "report.html"
    res = run("score", str(SAMPLE), "--format", "html", "--output", str(out), "--model", str(tiny_model_dir))
    assert res.returncode == 0, res.stderr.decode()
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]  # no temporary left behind


def test_predict_keeps_fields_and_adds_predictions(tmp_path, tiny_model_dir):
    rows = make_rows(3, 4)
    for r in rows:
        r["extra"] = "kept"
    src = write_jsonl(tmp_path / "in.jsonl", list(reversed(rows)))
    out = tmp_path / "out.jsonl"
    res = run("predict", str(src), "--output", str(out), "--model", str(tiny_model_dir))
    assert res.returncode == 0, res.stderr.decode()
    got = [json.loads(l) for l in out.read_text().splitlines()]
    assert len(got) == len(rows)
    assert all(r["extra"] == "kept" and r["pred_attribution"] in r["attribution_scores"] for r in got)
    assert all(r["pred_model"] == {"name": "tiny-test", "version": "unversioned"} for r in got)
    assert [r["sent_index"] for r in got if r["doc_id"] == "doc2"] == [0, 1, 2, 3]
    by_key = {(r["doc_id"], r["sent_index"]): r for r in got}
    for r in got:  # source mentions: offsets into the row's own text; continuations by sent_index
        assert all(r["text"][m["start"]:m["end"]] == m["text"] and m["role"] in ("source", "channel")
                   for m in r["pred_sources"])
        assert r["pred_source_of"] is None or (r["doc_id"], r["pred_source_of"]) in by_key


def test_predict_reports_bad_line_number(tmp_path, tiny_model_dir):
    src = write_jsonl(tmp_path / "bad.jsonl", [json.dumps(make_rows(1, 1)[0]), "{oops"])
    out = tmp_path / "out.jsonl"
    out.write_text("previous\n")
    _one_line_error(run("predict", str(src), "--output", str(out), "--model", str(tiny_model_dir)), 2,
                    f"{src}:2: invalid JSON")
    assert out.read_text() == "previous\n"


def test_train_refuses_bad_data_with_line_number(tmp_path):
    rows = make_rows(2, 2)
    bad = write_jsonl(tmp_path / "train.jsonl", [json.dumps(rows[0]), json.dumps({**rows[1], "hedging": "maybe"})])
    dev = write_jsonl(tmp_path / "dev.jsonl", rows[:1])
    _one_line_error(run("train", str(bad), "--dev", str(dev), "--output", str(tmp_path / "m")), 2,
                    f"{bad}:2: unknown hedging label 'maybe'")


def test_html_format_takes_one_article(tmp_path, tiny_model_dir):
    for i in range(2):
        (tmp_path / f"a{i}.txt").write_text("The minister said it rained.")
    _one_line_error(run("score", str(tmp_path), "--format", "html", "--model", str(tiny_model_dir)), 2,
                    "one article at a time")


def test_atomic_output_gets_the_umask_mode_not_0600(tmp_path):
    """Outputs are written through a temporary file (mkstemp: 0600) but end with the usual mode."""
    import os

    from credscore.atomic import atomic_output

    old = os.umask(0o022)
    try:
        with atomic_output(tmp_path / "out.json") as fh:
            fh.write("{}")
    finally:
        os.umask(old)
    assert (tmp_path / "out.json").stat().st_mode & 0o777 == 0o644


def test_help_shows_defaults_and_no_bool_placeholders():
    for cmd in ("score", "predict", "train", "eval", "prepare"):
        text = run(cmd, "--help").stdout.decode()
        assert "<bool>" not in text, cmd
    assert "[default: table]" in " ".join(run("score", "--help").stdout.decode().split())


def test_stdout_by_default_and_json_lines_for_folders(tmp_path, tiny_model_dir):
    folder = tmp_path / "one"
    folder.mkdir()
    (folder / "a.txt").write_text("The ministry said it would reopen. It rained.", encoding="utf-8")
    res = run("score", str(folder), "--format", "json", "-o", "-", "--model", str(tiny_model_dir))
    assert res.returncode == 0, res.stderr.decode()
    lines = res.stdout.decode().splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["sentences"][0]["index"] == 0  # a folder: JSON Lines
    assert not (tmp_path / "-").exists()
    rows = write_jsonl(tmp_path / "rows.jsonl", make_rows(2, 3))
    res = run("predict", str(rows), "--model", str(tiny_model_dir))
    assert res.returncode == 0, res.stderr.decode()
    assert len(res.stdout.decode().splitlines()) == 6
    assert res.stderr.decode().count("\n") == 1  # one line: "wrote 6 rows to stdout"
    res = run("eval", str(rows), "--model", str(tiny_model_dir))
    assert res.returncode == 0, res.stderr.decode()
    assert res.stdout.decode().startswith("# Evaluation: ")
