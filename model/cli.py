"""The ``credscore`` command line (a thin layer over :mod:`model.api`).

Exit codes: 0 success, 1 runtime failure, 2 bad usage or bad input
(docs/errors.md).  Errors are one line on stderr, never a traceback
(set ``CREDSCORE_DEBUG=1`` to see one).
"""

from __future__ import annotations

import os
import sys
import warnings
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from model import __version__
from model.errors import EXIT_BAD_INPUT, EXIT_FAILURE, CredscoreError, InputError, NotBuiltError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="credscore: who vouches for what in a news article, and how firmly.")


class OutputFormat(str, Enum):
    table = "table"
    json = "json"
    html = "html"


def _stderr():
    from rich.console import Console

    return Console(stderr=True)


def _version(value: bool):
    if value:
        typer.echo(f"credscore {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                help="Show the version and exit.")] = False):
    """credscore: who vouches for what in a news article, and how firmly."""


ModelOpt = Annotated[Optional[Path], typer.Option("--model", "-m", help="Model directory (default: the shipped model).")]
FastOpt = Annotated[Optional[bool], typer.Option(
    "--fast/--no-fast", help="int8 ONNX Runtime fast path, or the fp32 PyTorch network (default: the model's setting).")]


@app.command()
def score(
    inputs: Annotated[list[str], typer.Argument(help="Article files, folders of .txt/.html files, or - for stdin.")],
    format: Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")] = OutputFormat.table,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write here (atomically) instead of stdout.")] = None,
    model_dir: ModelOpt = None,
    fast: FastOpt = None,
    html: Annotated[Optional[bool], typer.Option("--html/--no-html", help="Treat input as HTML (default: detect).")] = None,
    config: Annotated[Optional[Path], typer.Option("--config", help="Scoring weights override (JSON or TOML).")] = None,
):
    """Score articles: sentence labels and the reliability profile."""
    from model.api import load_model
    from model.inputs import read_articles
    from model.io import atomic_output
    from model.profile import ScoringConfig

    scoring = ScoringConfig.from_file(config) if config else None
    articles = read_articles(inputs, html=html)
    if format is OutputFormat.html and len(articles) > 1:
        raise InputError("--format html takes one article at a time")
    model = load_model(model_dir, fast=fast)
    many = len(articles) > 1
    results = _score_all(model, articles, scoring, progress=many)
    for r in results:
        for w in r.warnings:
            _stderr().print(f"[yellow]warning[/]: {r.name}: {w}", highlight=False)
    if format is OutputFormat.json:
        text = "".join(r.to_json() + "\n" for r in results) if many else results[0].to_json(indent=2) + "\n"
    elif format is OutputFormat.html:
        text = results[0].to_html()
    else:
        text = None
    if text is None:
        from rich.console import Console

        from model.render import render_table

        if output:
            with atomic_output(output) as fh:
                console = Console(file=fh, width=120, force_terminal=False)
                for r in results:
                    render_table(r, console)
        else:
            for r in results:
                render_table(r, Console())
    elif output:
        with atomic_output(output) as fh:
            fh.write(text)
    else:
        sys.stdout.write(text)


LONG_ARTICLE_SENTENCES = 500  # above this, a progress bar counts sentences


def _score_all(model, articles, scoring, progress: bool):
    """Score every article; a bar over articles when there are several, over sentences when one is long."""
    from rich.progress import Progress

    results = []
    with Progress(console=_stderr(), transient=True) as bar:
        task = bar.add_task("scoring", total=len(articles), visible=progress)
        for a in articles:
            sentences_task = None

            def advance(done: int, total: int) -> None:
                nonlocal sentences_task
                if total < LONG_ARTICLE_SENTENCES:
                    return
                if sentences_task is None:
                    sentences_task = bar.add_task(f"{a.name}: sentences", total=total)
                bar.update(sentences_task, completed=done)

            results.append(model.score(a.text, scoring, name=a.name, progress=advance))
            if sentences_task is not None:
                bar.remove_task(sentences_task)
            bar.advance(task)
    return results


@app.command()
def predict(
    data: Annotated[Path, typer.Argument(help="JSON Lines rows (doc_id, sent_index, text; labels optional).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Output JSON Lines file (written atomically).")],
    model_dir: ModelOpt = None,
    fast: FastOpt = None,
):
    """Label every sentence of a JSON Lines file; keeps all input fields."""
    from model.api import load_model
    from model.batch import predict_file

    model = load_model(model_dir, fast=fast)
    n = predict_file(model, data, output, console=_stderr())
    _stderr().print(f"wrote {n} rows to {output}")


@app.command()
def train(
    data: Annotated[list[Path], typer.Argument(help="Training JSONL files or folders.")],
    dev: Annotated[Path, typer.Option("--dev", help="Dev JSONL file (model selection and calibration).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Model directory to write (atomically).")],
    init_from: Annotated[Optional[str], typer.Option("--init-from", help="'default' or a model directory to continue from.")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue an interrupted run from its checkpoint.")] = False,
    epochs: Annotated[Optional[int], typer.Option(help="Maximum epochs.")] = None,
    seed: Annotated[Optional[int], typer.Option(help="Random seed.")] = None,
    context: Annotated[Optional[str], typer.Option(help="Context mode: none, neighbours or bigru.")] = None,
    no_mapped: Annotated[bool, typer.Option("--no-mapped", help="Drop rows with annotator 'mapped'.")] = False,
):
    """Fine-tune a model on labelled data (see docs/data-format.md)."""
    from training.cli_train import run_training

    run_training(data, dev, output, init_from=init_from, resume=resume, epochs=epochs, seed=seed,
                 context=context, no_mapped=no_mapped, console=_stderr())


@app.command()
def prepare(model_dir: ModelOpt = None):
    """Build and cache the fast path's ONNX Runtime graphs of a model now (otherwise done on first use)."""
    from model.modeldir import DEFAULT_MODEL_DIR, read_model_meta
    from model.onnx_cache import ensure_compiled

    path = model_dir or DEFAULT_MODEL_DIR
    compiled = ensure_compiled(path, read_model_meta(path))
    _stderr().print(f"fast path ready: {compiled}", highlight=False)


@app.command(name="eval")
def evaluate(
    data: Annotated[Path, typer.Option("--data", help="Labelled JSONL file to evaluate on.")],
    model_dir: ModelOpt = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="Report folder (JSON, Markdown, PNG).")] = Path("eval/reports/latest"),
    fast: FastOpt = None,
):
    """Per-class metrics, confusion matrices and calibration on a labelled file."""
    from eval.report import evaluate_model_cli

    evaluate_model_cli(data, model_dir, output, fast=fast, console=_stderr())


def _log_to_stderr() -> None:
    """Show the library's progress notes (e.g. the one-time fast-path build) as ``credscore: ...`` on stderr."""
    import logging

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("credscore: %(message)s"))
    logger = logging.getLogger("credscore")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


def main() -> None:
    """Console entry point: maps exceptions to one-line errors and exit codes."""
    debug = os.environ.get("CREDSCORE_DEBUG") == "1"
    _log_to_stderr()
    if not debug:
        warnings.filterwarnings("ignore", category=FutureWarning)
        warnings.filterwarnings("ignore", category=DeprecationWarning)
    try:
        # Without standalone mode typer returns, rather than raises, the exit
        # code of typer.Exit, and turns Ctrl-C into exit code 130.
        returned = app(standalone_mode=False)
    except CredscoreError as exc:
        if debug:
            raise
        _stderr().print(f"[red]error[/]: {exc}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        _stderr().print("[red]interrupted[/]: nothing was written")
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except (typer.Abort,):
        sys.exit(EXIT_FAILURE)
    except typer.TyperException as exc:  # usage errors from typer's (vendored) click
        exc.show()
        sys.exit(EXIT_BAD_INPUT if exc.exit_code == 2 else exc.exit_code)
    except Exception as exc:  # anything unexpected: still one line
        if debug:
            raise
        _stderr().print(f"[red]error[/]: internal error ({type(exc).__name__}: {exc}); "
                        "set CREDSCORE_DEBUG=1 for details", highlight=False, soft_wrap=True)
        sys.exit(EXIT_FAILURE)
    code = returned if isinstance(returned, int) else 0
    if code == 130:
        _stderr().print("[red]interrupted[/]: nothing was written")
    sys.exit(code)


if __name__ == "__main__":
    main()
