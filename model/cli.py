"""The ``credscore`` command line: the composition root (a thin layer over :mod:`credscore.api`).

Only this module reaches the training and evaluation packages, and only
lazily, inside the ``train``, ``calibrate``, ``suggest`` and ``eval`` commands: the inference core never
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
    """The console for notes and errors: no markup is read and untrusted text is made inert (docs/errors.md)."""
    from credscore.terminal_text import inert_console

    return inert_console(stderr=True)


def _say(kind: str, style: str, message: object) -> None:
    """One line on stderr, ``kind: message``, with ``message`` made inert and kept on one line."""
    from rich.text import Text

    from credscore.terminal_text import one_line

    _stderr().print(Text.assemble((kind, style), ": " + one_line(message)), soft_wrap=True)


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
    """Call ``write(stream, terminal)`` on stdout or on ``output`` (:func:`credscore.output_target.open_output`)."""
    if _to_stdout(output):
        write(sys.stdout, sys.stdout.isatty())
        return
    from credscore.output_target import open_output

    with open_output(output) as fh:
        write(fh, False)


def _check_output(output: str | None) -> None:
    """Refuse a bad ``--output`` before inputs are read or the model loads."""
    if not _to_stdout(output):
        from credscore.output_target import check_output_file

        check_output_file(output)


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
    max_input_mb: Annotated[Optional[float], typer.Option(
        "--max-input-mb", metavar="MB", help="Largest article read, in MB (default: $CREDSCORE_MAX_INPUT_MB, else 64).",
        show_default=False)] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Skip articles whose id is already in the output.")] = False,
    workers: Annotated[int, typer.Option("--workers", metavar="N", help="Local processes scoring at once.")] = 1,
    engine: Annotated[str, typer.Option("--engine", metavar="NAME", help="local, or ray (Ray Data; pip install 'credscore[ray]').")] = "local",
    actors: Annotated[int, typer.Option("--actors", metavar="N", help="Ray: model actors.")] = 2,
    cpus_per_actor: Annotated[float, typer.Option("--cpus-per-actor", metavar="N", help="Ray: CPUs per actor.")] = 1.0,
):
    """Score articles: sentence labels and the reliability profile (archives: docs/scale.md)."""
    from credscore.api import load_model
    from credscore.bounded_read import max_input_bytes
    from credscore.archive_scoring import score_archive, wants_archive
    from credscore.formats import FORMATS
    from credscore.reading import read_articles
    from credscore.scoring import ScoringConfig

    fmt = FORMATS.get(format)
    scoring = ScoringConfig.from_file(config) if config else None
    if not fmt.writes_folder:  # a folder of shards is checked by the archive writer
        _check_output(output)
    if wants_archive(inputs, format, engine, workers, resume):
        model_kwargs = {"model_dir": model_dir, "backend": backend, "scoring": scoring, "html": html}
        score_archive(inputs, format, None if _to_stdout(output) else output, model_kwargs, engine=engine,
                      workers=workers, resume=resume, actors=actors, cpus_per_actor=cpus_per_actor, console=_stderr())
        return
    articles = read_articles(inputs, html=html, max_bytes=max_input_bytes(max_input_mb))
    many = len(inputs) > 1 or any(Path(p).is_dir() for p in inputs if p != "-")
    if fmt.single_article and len(articles) > 1:
        raise InputError(f"--format {format} takes one article at a time")
    model = load_model(model_dir, backend=backend)
    results = _score_all(model, articles, scoring, progress=len(articles) > 1)
    for r in results:
        for w in r.warnings:
            _say("warning", "yellow", f"{r.name}: {w}")
    _write_text(output, lambda stream, terminal: fmt.write(results, stream, lines=many, terminal=terminal))


LONG_ARTICLE_SENTENCES = 500  # above this, a progress bar counts sentences


def _score_all(model, articles, scoring, progress: bool):
    """Score every article; a bar over articles when there are several, over sentences when one is long."""
    from rich.markup import escape
    from rich.progress import Progress

    from credscore.terminal_text import inert

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
                    sentences_task = bar.add_task(escape(inert(f"{a.name}: sentences")), total=total)
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

    _check_output(output)
    model = load_model(model_dir, backend=backend)
    n = predict_file(model, data, None if _to_stdout(output) else Path(output), console=_stderr())
    _stderr().print(f"wrote {n} rows to {'stdout' if _to_stdout(output) else output}")


@app.command()
def calibrate(
    model: Annotated[str, typer.Argument(metavar="MODEL", help="'default' or a model directory.", show_default=False)],
    dev: Annotated[list[Path], typer.Option("--dev", metavar="FILE", help=(
        "Labelled dev file (repeat for several): temperatures and decision offsets are fitted on it."),
        show_default=False)],
):
    """Refit a model's calibration (temperatures, decision offsets) on labelled dev data; weights unchanged."""
    from credscore.training.cli_train import run_calibration

    run_calibration(model, dev, console=_stderr())


@app.command()
def train(
    data: Annotated[list[Path], typer.Argument(metavar="DATA", help="Training files (JSON Lines or CSV with a header) or folders.",
                                               show_default=False)],
    output: Annotated[Path, typer.Option("--output", "-o", metavar="DIR", help="Model directory to write (atomically).",
                                         show_default=False)],
    dev: Annotated[Optional[list[Path]], typer.Option("--dev", metavar="FILE", help=(
        "Dev file (model selection and calibration; repeat for several); absent: about 10% of the documents "
        "are held out, seeded."), show_default=False)] = None,
    init_from: Annotated[Optional[str], typer.Option("--init-from", metavar="MODEL", help="'default' or a model directory to continue from.",
                                                     show_default=False)] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue an interrupted run from its checkpoint.")] = False,
    epochs: Annotated[Optional[int], typer.Option(metavar="N", help="Maximum epochs (default: 3 from scratch, 4 with --init-from).",
                                                  show_default=False)] = None,
    lr: Annotated[Optional[float], typer.Option("--lr", metavar="RATE", help=(
        "Learning rate of what trains in the encoder (its layers, or the adapters with --finetune lora); the heads "
        "keep their ratio to it (default: layers 1e-4 or adapters 5e-4, heads 2e-3 from scratch; with --init-from "
        "adapters 5e-4 or layers 5e-5, heads 5e-4)."), show_default=False)] = None,
    seed: Annotated[Optional[int], typer.Option(metavar="N", help="Random seed (default: 13).", show_default=False)] = None,
    context: Annotated[Optional[str], typer.Option(metavar="MODE", help=(
        "Sentence-level layer over the document: none, neighbours or bigru (default: bigru)."), show_default=False)] = None,
    window_tokens: Annotated[Optional[int], typer.Option("--window-tokens", metavar="N", help=(
        "Tokens of a joint window of consecutive sentences (256-512); 0 reads each sentence alone (default: 0)."),
        show_default=False)] = None,
    finetune: Annotated[Optional[str], typer.Option("--finetune", metavar="WHAT", help=(
        "What trains in the encoder: layers (every weight but the embeddings, saved as 5.7 MB of int4 differences "
        "from the base) or lora (adapters on every layer, 2.7 MB) (default: layers; with --init-from, the "
        "parent's)."), show_default=False)] = None,
    no_context: Annotated[bool, typer.Option("--no-context", help=(
        "Rows without doc_id are each a document of their own (default: consecutive rows form one document)."))] = False,
    no_mapped: Annotated[bool, typer.Option("--no-mapped", help="Drop rows with annotator 'mapped'.")] = False,
    name: Annotated[Optional[str], typer.Option("--name", metavar="NAME", help="Model name (default: the output folder's name).",
                                                show_default=False)] = None,
    model_version: Annotated[Optional[str], typer.Option("--model-version", metavar="VERSION", help=(
        "Model version (default: the date and a digest of data, parent and settings)."), show_default=False)] = None,
):
    """Fine-tune a model on labelled data (see docs/data-format.md)."""
    import shlex

    from credscore.training.cli_train import run_training

    run_training(data, dev, output, init_from=init_from, resume=resume, epochs=epochs, lr=lr, seed=seed,
                 context=context, window_tokens=window_tokens, finetune=finetune, no_context=no_context, no_mapped=no_mapped, console=_stderr(), name=name,
                 version=model_version, command=shlex.join(["credscore", *sys.argv[1:]]))


@app.command()
def suggest(
    inputs: Annotated[list[str], typer.Argument(metavar="INPUT", help=(
        "Unlabelled rows (JSON Lines or CSV with a text column) or articles (.txt/.html files or folders)."),
        show_default=False)],
    n: Annotated[int, typer.Option("-n", metavar="N", help="How many sentences (or articles, with --unit article) to suggest.")] = 200,
    by: Annotated[str, typer.Option("--by", metavar="MEASURE", help="Uncertainty: margin (1 - top-two gap) or entropy.")] = "margin",
    head: Annotated[Optional[str], typer.Option("--head", metavar="TASK", help="Rank by this head only (default: the most uncertain of all).",
                                                show_default=False)] = None,
    unit: Annotated[str, typer.Option("--unit", metavar="UNIT", help="sentence or article (articles: mean over their sentences).")] = "sentence",
    output: OutputOpt = None,
    model_dir: ModelOpt = None,
    backend: BackendOpt = None,
):
    """What to label next: the sentences the model is least sure of, as rows ready to label (.csv output: a spreadsheet)."""
    from credscore.api import load_model
    from credscore.training.suggest import suggest_rows, write_suggestions

    model = load_model(model_dir, backend=backend)
    rows = suggest_rows(model, inputs, n, by=by, head=head, unit=unit)
    write_suggestions(rows, None if _to_stdout(output) else Path(output))
    _stderr().print(f"wrote {len(rows)} rows to label to {'stdout' if _to_stdout(output) else output}", highlight=False)


@app.command()
def prepare(model_dir: ModelOpt = None,
            backend: Annotated[Optional[str], typer.Option("--backend", "-b", metavar="NAME", help=(
                "ONNX backend to build (default: the model's own backend when it is an ONNX one, else onnx-int8)."),
                show_default=False)] = None):
    """Build and cache an ONNX Runtime backend's graphs now (otherwise done on first use)."""
    from credscore.backends import configured_backend
    from credscore.backends.onnx_cache import PRECISIONS, ensure_compiled
    from credscore.model_dir import ModelDirectory

    if backend is None:
        own = configured_backend(ModelDirectory(model_dir).config())
        backend = own if own.startswith("onnx-") else "onnx-int8"
    precision = backend.removeprefix("onnx-")
    if not backend.startswith("onnx-") or precision not in PRECISIONS:
        raise InputError(f"--backend: expected one of {', '.join('onnx-' + p for p in PRECISIONS)}, got {backend!r}")
    directory = ModelDirectory(model_dir)
    compiled = ensure_compiled(directory.path, directory.config(), precision)
    _stderr().print(f"{backend} ready: {compiled}")


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


@app.command()
def serve(
    model_dir: ModelOpt = None,
    backend: BackendOpt = None,
    host: Annotated[str, typer.Option(help="Address to bind (127.0.0.1: this computer only).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    max_bytes: Annotated[int, typer.Option("--max-bytes", help="Largest request accepted, in bytes.")] = 2_000_000,
    timeout: Annotated[float, typer.Option(help="Longest scoring time per request, in seconds.")] = 60.0,
):
    """Run the local web app: paste or upload an article, get the report; JSON API at /score, docs at /docs."""
    try:
        import uvicorn

        from credscore.serve import create_app
    except ImportError:
        raise InputError("credscore serve needs the web extra: pip install 'credscore[serve]'") from None
    app_ = create_app(model_dir, backend, max_bytes=max_bytes, timeout_s=timeout)
    _stderr().print(f"credscore serving on http://{host}:{port}/ (Ctrl-C to stop)", highlight=False)
    uvicorn.run(app_, host=host, port=port, log_level="warning")


def _log_to_stderr() -> None:
    """Show the library's progress notes (e.g. the one-time fast-path build) as ``credscore: ...`` on stderr.

    Installed once per process (``main`` may run several times in one process, as in the tests).
    """
    import logging

    from credscore.terminal_text import one_line

    class OneLine(logging.Formatter):
        def format(self, record):
            return "credscore: " + one_line(record.getMessage())

    logger = logging.getLogger("credscore")
    if not any(getattr(h, "_credscore", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler._credscore = True
        handler.setFormatter(OneLine())
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings as one ``warning: ...`` line (Python's default adds the source line and location)."""
    _say("warning", "yellow", message)


class Terminated(BaseException):
    """SIGTERM arrived: unwinds like Ctrl-C, so temporary files are removed on the way out."""


def _on_sigterm(signum, frame):
    raise Terminated()


def _install_sigterm():
    """Route SIGTERM to :class:`Terminated`; returns the previous handler (``None`` off the main thread)."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, _on_sigterm)


def _usage_error(exc) -> None:
    """A click usage error as one line: its message and where to find help."""
    ctx = getattr(exc, "ctx", None)
    hint = f" (see: {ctx.command_path} --help)" if ctx is not None else ""
    _say("error", "red", exc.format_message() + hint)


def main() -> None:
    """Console entry point: maps exceptions to one-line errors and exit codes."""
    debug = os.environ.get("CREDSCORE_DEBUG") == "1"
    _log_to_stderr()
    if not debug:
        warnings.filterwarnings("ignore", category=FutureWarning)
        warnings.filterwarnings("ignore", category=DeprecationWarning)
    shown, previous_sigterm = warnings.showwarning, _install_sigterm()
    warnings.showwarning = _show_warning
    try:
        code = _run(debug)
    finally:  # main() may run inside another program (the tests): leave its handlers as they were
        warnings.showwarning = shown
        if previous_sigterm is not None:
            import signal

            signal.signal(signal.SIGTERM, previous_sigterm)
    sys.exit(code)


def _run(debug: bool) -> int:
    """Run the app; returns the exit code after printing at most one line for a failure."""
    try:
        # Without standalone mode typer returns, rather than raises, the exit
        # code of typer.Exit, and turns Ctrl-C into exit code 130.
        returned = app(standalone_mode=False)
    except CredscoreError as exc:
        if debug:
            raise
        _say("error", "red", exc)
        return exc.exit_code
    except KeyboardInterrupt:
        _say("interrupted", "red", "nothing was written")
        return 130
    except Terminated:
        _say("terminated", "red", "nothing was written")
        return 143
    except typer.Exit as exc:
        return exc.exit_code
    except (typer.Abort,):
        return EXIT_FAILURE
    except typer.TyperException as exc:  # usage errors from typer's (vendored) click
        _usage_error(exc)
        return EXIT_BAD_INPUT if exc.exit_code == 2 else exc.exit_code
    except Exception as exc:  # anything unexpected: still one line
        if debug:
            raise
        _say("error", "red", f"internal error ({type(exc).__name__}: {exc}); set CREDSCORE_DEBUG=1 for details")
        return EXIT_FAILURE
    code = returned if isinstance(returned, int) else 0
    if code == 130:
        _say("interrupted", "red", "nothing was written")
    return code


if __name__ == "__main__":
    main()
