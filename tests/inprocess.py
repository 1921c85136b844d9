"""Run the ``credscore`` entry point inside the test process (fast enough for fuzzing)."""

from __future__ import annotations

import io
import json
import sys
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from unittest import mock


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str


def run_cli(*args: str, stdin: bytes = b"") -> Outcome:
    """``credscore ARGS`` through :func:`credscore.cli.main`, with captured streams and its exit code."""
    from credscore import cli

    out, err = io.StringIO(), io.StringIO()
    fake_stdin = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
    code = 0
    with mock.patch.object(sys, "argv", ["credscore", *args]), mock.patch.object(sys, "stdin", fake_stdin), \
            redirect_stdout(out), redirect_stderr(err):
        try:
            cli.main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
    return Outcome(code, out.getvalue(), err.getvalue())


def _refuse_constant(name):
    raise AssertionError(f"{name} in output")


def assert_honest(outcome: Outcome, json_output: str | None = None) -> None:
    """Exit 0 or 2; a failure is exactly one ``error:`` line; no traceback; JSON output holds no NaN/Infinity."""
    assert outcome.code in (0, 2), (outcome.code, outcome.stderr)
    assert "Traceback" not in outcome.stderr and "Traceback" not in outcome.stdout
    lines = outcome.stderr.splitlines()
    if outcome.code == 2:
        assert len(lines) == 1 and lines[0].startswith("error: "), outcome.stderr
        assert "internal error" not in lines[0]
    else:
        assert all(line.startswith(("warning: ", "credscore: ", "wrote ", "note: ")) for line in lines), outcome.stderr
    assert "\x1b" not in outcome.stderr
    if outcome.code == 0 and json_output == "document":  # one (indented) JSON document
        json.loads(outcome.stdout, parse_constant=_refuse_constant)
    if outcome.code == 0 and json_output == "lines":
        for line in outcome.stdout.splitlines():
            if line.strip():
                json.loads(line, parse_constant=_refuse_constant)
