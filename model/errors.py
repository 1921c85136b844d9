"""Exceptions with a message meant for the user, and the exit codes they map to.

The CLI prints ``str(error)`` on one line and exits with ``error.exit_code``;
nothing else of the traceback reaches the user.
"""

from __future__ import annotations

#: Stable exit codes of the ``credscore`` command (see docs/errors.md).
EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2


class CredscoreError(Exception):
    """Base class: a failure we can explain in one line."""

    exit_code = EXIT_FAILURE


class InputError(CredscoreError):
    """The user's input (text, data file, option) is unusable."""

    exit_code = EXIT_BAD_INPUT


class DataValidationError(InputError):
    """A labelled-data file failed validation; ``problems`` lists every bad row."""

    #: At most this many problems are listed in the message; the rest are counted.
    SHOWN = 20

    def __init__(self, problems: list[str]):
        self.problems = problems
        if len(problems) <= 1:
            super().__init__(problems[0] if problems else "invalid data")
            return
        # Every problem at once (up to a cap), so one run shows the user all there is to fix,
        # on one line like every other error (docs/errors.md).
        shown = "; ".join(problems[:self.SHOWN])
        more = f"; ... and {len(problems) - self.SHOWN} more" if len(problems) > self.SHOWN else ""
        super().__init__(f"{len(problems)} problems in the data: {shown}{more}")


class ModelLoadError(CredscoreError):
    """A model directory is missing, incomplete or corrupted."""

    exit_code = EXIT_BAD_INPUT

