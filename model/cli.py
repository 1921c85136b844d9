"""The ``credscore`` command line: the composition root (a thin layer over :mod:`credscore.api`).

Only this module reaches the training and evaluation packages, and only
lazily, inside the ``train`` and ``eval`` commands: the inference core never
imports them.  Exit codes: 0 success, 1 runtime failure, 2 bad usage or bad
input (docs/errors.md).  Errors are one line on stderr, never a traceback
(set ``CREDSCORE_DEBUG=1`` to see one).
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path
from typing import Annotated, Optional

import typer

from credscore import __version__
from credscore.errors import EXIT_BAD_INPUT, EXIT_FAILURE, CredscoreError, InputError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False, rich_markup_mode=None,
                  context_settings={"show_default": True},
                  help="credscore: who vouches for what in a news article, and how firmly.")


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


def _backend_help() -> str:
    from credscore.backends import BACKENDS

    return f"Inference backend: {', '.join(BACKENDS.names())} (default: the model's setting)."


def _format_help() -> str:
    from credscore.formats import FORMATS

    return "Output format: " + "; ".join(f"{name} ({f.description})" for name, f in FORMATS.items()) + "."


ModelOpt = Annotated[Optional[Path], typer.Option("--model", "-m", metavar="DIR", help="Model directory (default: the shipped model).",
                                                  show_default=False)]
BackendOpt = Annotated[Optional[str], typer.Option("--backend", "-b", metavar="NAME", help=_backend_help(), show_default=False)]
OutputOpt = Annotated[Optional[str], typer.Option("--output", "-o", metavar="FILE", help="Write here (atomically); - or absent: stdout.",
                                                  show_default=False)]


def _to_stdout(output: str | None) -> bool:
    return output in (None, "-")


def _write_text(output: str | None, write) -> None:
    """Call ``write(stream, terminal)`` on stdout or on an atomically replaced file."""
    if _to_stdout(output):
        write(sys.stdout, sys.stdout.isatty())
        return
    from credscore.atomic import atomic_output

    with atomic_output(Path(output)) as fh:
        write(fh, False)


@app.command()
def score(
    inputs: Annotated[list[str], typer.Argument(metavar="INPUT", help="Article files, folders of .txt/.html files, or - for stdin.",
                                                show_default=False)],
    format: Annotated[str, typer.Option("--format", "-f", metavar="NAME", help=_format_help())] = "table",
    output: OutputOpt = None,
    model_dir: ModelOpt = None,
    backend: BackendOpt = None,
    html: Annotated[Optional[bool], typer.Option("--html/--no-html", help="Treat input as HTML (default: detect).",
                                                 show_default=False)] = None,
    config: Annotated[Optional[Path], typer.Option("--config", metavar="FILE", help="Scoring weights override (JSON or TOML).",
                                                   show_default=False)] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Skip articles whose id is already in the output.")] = False,
    workers: Annotated[int, typer.Option("--workers", metavar="N", help="Local processes scoring at once.")] = 1,
    engine: Annotated[str, typer.Option("--engine", metavar="NAME", help="local, or ray (Ray Data; pip install 'credscore[ray]').")] = "local",
    actors: Annotated[int, typer.Option("--actors", metavar="N", help="Ray: model actors.")] = 2,
    cpus_per_actor: Annotated[float, typer.Option("--cpus-per-actor", metavar="N", help="Ray: CPUs per actor.")] = 1.0,
):
    """Score articles: sentence labels and the reliability profile (archives: docs/scale.md)."""
    from credscore.api import load_model
    from credscore.archive_scoring import score_archive, wants_archive
    from credscore.formats import FORMATS
    from credscore.reading import read_articles
    from credscore.scoring import ScoringConfig

    fmt = FORMATS.get(format)
    scoring = ScoringConfig.from_file(config) if config else None
    if wants_archive(inputs, format, engine, workers, resume):
        model_kwargs = {"model_dir": model_dir, "backend": backend, "scoring": scoring, "html": html}
        score_archive(inputs, format, None if _to_stdout(output) else output, model_kwargs, engine=engine,
                      workers=workers, resume=resume, actors=actors, cpus_per_actor=cpus_per_actor, console=_stderr())
        return
    articles = read_articles(inputs, html=html)
    many = len(inputs) > 1 or any(Path(p).is_dir() for p in inputs if p != "-")
    if fmt.single_article and len(articles) > 1:
        raise InputError(f"--format {format} takes one article at a time")
    model = load_model(model_dir, backend=backend)
    results = _score_all(model, articles, scoring, progress=len(articles) > 1)
    for r in results:
        for w in r.warnings:
            _stderr().print(f"[yellow]warning[/]: {r.name}: {w}", highlight=False)
    _write_text(output, lambda stream, terminal: fmt.write(results, stream, lines=many, terminal=terminal))


LONG_ARTICLE_SENTENCES = 500  # above this, a progress bar counts sentences


def _score_all(model, articles, scoring, progress: bool):
    """Score every article; a bar over articles when there are several, over sentences when one is long."""
    from rich.progress import Progress

    results = []
    console = _stderr()
    # Bars only on a terminal: a redirected stderr gets no cursor codes or blank lines.
    with Progress(console=console, transient=True, disable=not console.is_terminal) as bar:
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
    data: Annotated[Path, typer.Argument(metavar="DATA", help="JSON Lines rows (doc_id, sent_index, text; labels optional).",
                                         show_default=False)],
    output: OutputOpt = None,
    model_dir: ModelOpt = None,
    backend: BackendOpt = None,
):
    """Label every sentence of a JSON Lines file; keeps all input fields."""
    from credscore.api import load_model
    from credscore.file_prediction import predict_file

    model = load_model(model_dir, backend=backend)
    n = predict_file(model, data, None if _to_stdout(output) else Path(output), console=_stderr())
    _stderr().print(f"wrote {n} rows to {'stdout' if _to_stdout(output) else output}", highlight=False)


@app.command()
def train(
    data: Annotated[list[Path], typer.Argument(metavar="DATA", help="Training JSONL files or folders.", show_default=False)],
    dev: Annotated[Path, typer.Option("--dev", metavar="FILE", help="Dev JSONL file (model selection and calibration).",
                                      show_default=False)],
    output: Annotated[Path, typer.Option("--output", "-o", metavar="DIR", help="Model directory to write (atomically).",
                                         show_default=False)],
    init_from: Annotated[Optional[str], typer.Option("--init-from", metavar="MODEL", help="'default' or a model directory to continue from.",
                                                     show_default=False)] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue an interrupted run from its checkpoint.")] = False,
    epochs: Annotated[Optional[int], typer.Option(metavar="N", help="Maximum epochs (default: the training config's, 7).",
                                                  show_default=False)] = None,
    seed: Annotated[Optional[int], typer.Option(metavar="N", help="Random seed (default: 13).", show_default=False)] = None,
    context: Annotated[Optional[str], typer.Option(metavar="MODE", help="Context mode: none, neighbours or bigru (default: bigru).",
                                                   show_default=False)] = None,
    no_mapped: Annotated[bool, typer.Option("--no-mapped", help="Drop rows with annotator 'mapped'.")] = False,
):
    """Fine-tune a model on labelled data (see docs/data-format.md)."""
    from credscore.training.cli_train import run_training

    run_training(data, dev, output, init_from=init_from, resume=resume, epochs=epochs, seed=seed,
                 context=context, no_mapped=no_mapped, console=_stderr())


@app.command()
def prepare(model_dir: ModelOpt = None,
            backend: Annotated[str, typer.Option("--backend", "-b", metavar="NAME", help="ONNX backend to build.")] = "onnx-int8"):
    """Build and cache an ONNX Runtime backend's graphs now (otherwise done on first use)."""
    from credscore.backends.onnx_cache import PRECISIONS, ensure_compiled
    from credscore.model_dir import ModelDirectory

    precision = backend.removeprefix("onnx-")
    if not backend.startswith("onnx-") or precision not in PRECISIONS:
        raise InputError(f"--backend: expected one of {', '.join('onnx-' + p for p in PRECISIONS)}, got {backend!r}")
    directory = ModelDirectory(model_dir)
    compiled = ensure_compiled(directory.path, directory.config(), precision)
    _stderr().print(f"{backend} ready: {compiled}", highlight=False)


@app.command(name="eval")
def evaluate(
    data: Annotated[Path, typer.Argument(metavar="DATA", help="Labelled JSONL file to evaluate on.", show_default=False)],
    model_dir: ModelOpt = None,
    output: Annotated[Optional[Path], typer.Option(
        "--output", "-o", metavar="DIR", help="Report folder (metrics.json, report.md, PNG plots); absent: the report to stdout.",
        show_default=False)] = None,
    backend: BackendOpt = None,
):
    """Per-class metrics, confusion matrices and calibration on a labelled file."""
    from credscore.eval.report import evaluate_model_cli

    evaluate_model_cli(data, model_dir, output, backend=backend, console=_stderr())


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
