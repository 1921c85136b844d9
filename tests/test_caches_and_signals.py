"""Issue 17 point 8: caches are rebuilt when stale, fall back to one reused per-user folder, and no temporary
file outlives its process (SIGTERM cleans up; leftovers of a SIGKILLed process are swept by the next run)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from credscore.atomic import sweep_stale_temporaries
from tests.conftest import ROOT, make_rows, write_jsonl


@pytest.fixture()
def private_tmp(tmp_path, monkeypatch):
    """The system temporary directory, redirected: the per-user fallback cache lives below it."""
    import tempfile

    folder = tmp_path / "systmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def _compile(model_dir):
    from credscore.backends.onnx_cache import ensure_compiled
    from credscore.model_dir import ModelDirectory

    return ensure_compiled(model_dir, ModelDirectory(model_dir).config())


def test_an_edited_manifest_is_detected_and_rebuilt(tiny_model_dir, tmp_path, monkeypatch, private_tmp):
    from credscore.backends.onnx_cache import _is_complete

    monkeypatch.setenv("CREDSCORE_CACHE_DIR", str(tmp_path / "cache"))
    compiled = _compile(tiny_model_dir)
    manifest_path = compiled / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["feature_dim"] = "abc"  # checksums of the graphs still match; the manifest does not
    manifest_path.write_text(json.dumps(manifest))
    assert not _is_complete(compiled)
    again = _compile(tiny_model_dir)
    assert again == compiled and _is_complete(again)
    assert isinstance(json.loads(manifest_path.read_text())["feature_dim"], int)


def test_a_cache_path_that_is_a_file_falls_back_to_one_reused_user_folder(tiny_model_dir, tmp_path, monkeypatch,
                                                                         private_tmp, caplog):
    import credscore.backends.onnx_cache as onnx_cache

    blocker = tmp_path / "cache-is-a-file"
    blocker.write_text("x")
    monkeypatch.setenv("CREDSCORE_CACHE_DIR", str(blocker))
    first = _compile(tiny_model_dir)
    assert first.parent == private_tmp / f"credscore-{os.getuid()}" and (first / "manifest.json").exists()
    assert (first.parent.stat().st_mode & 0o777) == 0o700
    builds = []
    monkeypatch.setattr(onnx_cache, "_build", lambda *a: builds.append(a))
    assert _compile(tiny_model_dir) == first and builds == []  # the next run reuses it: no rebuild
    assert blocker.read_text() == "x"


def test_a_fallback_folder_of_another_owner_or_mode_is_not_used(private_tmp):
    from credscore.backends.onnx_cache import user_fallback_root

    planted = private_tmp / f"credscore-{os.getuid()}"
    planted.mkdir(mode=0o777)
    os.chmod(planted, 0o777)  # writable by others: someone could swap graphs in
    assert user_fallback_root() is None
    os.chmod(planted, 0o700)
    assert user_fallback_root() == planted


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_leftovers_of_a_killed_process_are_swept_and_live_ones_kept(tmp_path):
    dead, alive = _dead_pid(), os.getppid()
    stale_file = tmp_path / f".out.json.credscore-{dead}.abcd1234.tmp"
    stale_file.write_text("partial")
    stale_dir = tmp_path / f".onnx-int8-0123.credscore-{dead}.xyz98765.tmp"
    stale_dir.mkdir()
    (stale_dir / "encoder.onnx").write_bytes(b"half")
    live = tmp_path / f".out.json.credscore-{alive}.live0000.tmp"
    live.write_text("in progress")
    foreign = tmp_path / ".out.json.user-notes.tmp"
    foreign.write_text("not ours")
    removed = sweep_stale_temporaries(tmp_path)
    assert set(removed) == {stale_file, stale_dir}
    assert live.exists() and foreign.exists()


def test_the_next_output_sweeps_stale_temporaries(tiny_model_dir, tmp_path):
    from tests.inprocess import run_cli

    stale = tmp_path / f".out.json.credscore-{_dead_pid()}.abcd1234.tmp"
    stale.write_text("partial")
    article = tmp_path / "a.txt"
    article.write_text("The ministry said it rained.")
    outcome = run_cli("score", str(article), "--format", "json", "-o", str(tmp_path / "out.json"),
                      "--model", str(tiny_model_dir))
    assert outcome.code == 0, outcome.stderr
    assert not stale.exists() and (tmp_path / "out.json").exists()


def test_sigterm_during_predict_leaves_no_temporary_and_the_old_output(tiny_model_dir, tmp_path):
    rows = [dict(r, doc_id=f"{r['doc_id']}-{k}") for k in range(3000) for r in make_rows(1, 10, seed=k % 7)]
    src = write_jsonl(tmp_path / "rows.jsonl", rows)  # 30,000 rows: a run of many seconds
    out = tmp_path / "out" / "pred.jsonl"
    out.parent.mkdir()
    out.write_text("previous\n")
    proc = subprocess.Popen([sys.executable, "-m", "credscore.cli", "predict", str(src), "-o", str(out),
                             "--model", str(tiny_model_dir)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    deadline = time.monotonic() + 240
    while not list(out.parent.glob(".pred.jsonl.*.tmp")):  # wait until it is writing its temporary file
        assert proc.poll() is None, proc.communicate()[1].decode()
        assert time.monotonic() < deadline, "the temporary output never appeared"
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err.decode()
    assert err.decode().strip().splitlines()[-1] == "terminated: nothing was written"
    assert out.read_text() == "previous\n"
    assert [p.name for p in out.parent.iterdir()] == ["pred.jsonl"]


def test_sigterm_inside_a_folder_build_removes_the_half_built_folder(tmp_path):
    """What the CLI's SIGTERM handler raises unwinds through atomic_directory like Ctrl-C."""
    from credscore.atomic import atomic_directory
    from credscore.cli import Terminated

    with pytest.raises(Terminated):
        with atomic_directory(tmp_path / "onnx-int8-key") as tmp:
            (tmp / "encoder.onnx").write_bytes(b"half")
            raise Terminated()
    assert list(tmp_path.iterdir()) == []
