"""``credscore serve``: a local web app over the same API (FastAPI + uvicorn, extra ``credscore[serve]``).

Routes:

``GET /``
    a page where a person pastes an article or uploads a file (a plain HTML
    form: no scripts, works in any browser);
``POST /report``
    that form's target: the same self-contained HTML report as ``--format html``;
``POST /score``
    JSON ``{"text": ..., "name": ...}`` in, the JSON schema of
    ``docs/output-format.md`` out;
``GET /docs``, ``GET /openapi.json``
    the API description (``/docs`` is rendered here without external assets,
    since the app must work offline).

The model is loaded once per process, when the app is created.  Requests
larger than ``max_bytes`` get 413, unusable input 422, scoring that takes
longer than ``timeout_s`` 503; every error is a one-line JSON ``detail``
(or a short HTML page for the form), never a traceback.
"""

from __future__ import annotations

import asyncio
import html
from pathlib import Path

from fastapi import FastAPI, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Field

from credscore import __version__
from credscore.errors import CredscoreError

#: Defaults of the limits (documented in docs/serve.md): 2 MB per request, 60 s of scoring.
MAX_BYTES = 2_000_000
TIMEOUT_S = 60.0

_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; form-action 'self'">
<title>credscore</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; padding: 0 1rem; color: #1f1f1f; }}
textarea {{ width: 100%; height: 18rem; font: 1rem Georgia, serif; padding: 0.5rem; box-sizing: border-box; }}
button {{ font-size: 1rem; padding: 0.4rem 1.2rem; margin-top: 0.6rem; }}
.note {{ color: #555; font-size: 0.9rem; }}
</style></head><body>
<h1>credscore</h1>
<p>Who vouches for what in a news article, and how firmly. Paste an article or upload a text or HTML file:
each sentence gets a source type and a hedging level, and the article a sourcing profile.</p>
<form method="post" action="/report" enctype="multipart/form-data">
<label for="text">Article text</label>
<textarea id="text" name="text" placeholder="Paste the article here"></textarea>
<p><label for="file">or a file (.txt, .html):</label> <input id="file" type="file" name="file" accept=".txt,.html,.htm,.md,text/plain,text/html"></p>
<button type="submit">Score the article</button>
</form>
<p class="note">Runs on this computer; nothing is sent elsewhere. Labels are machine-made and the score describes
sourcing, not truth. Up to {max_kb:,} kB per article. Model {model} ({backend}), credscore {version}.
JSON API: <a href="/docs">/docs</a>.</p>
</body></html>
"""


class ScoreRequest(BaseModel):
    """Body of ``POST /score``."""

    text: str = Field(description="the article, plain text or HTML")
    name: str | None = Field(default=None, description="a name for the article, echoed as `input`")


def create_app(model_dir: Path | str | None = None, backend: str | None = None, *,
               max_bytes: int = MAX_BYTES, timeout_s: float = TIMEOUT_S) -> FastAPI:
    """The web app, with the model loaded once (see the module docstring for routes and limits)."""
    from credscore.api import load_model

    model = load_model(model_dir, backend=backend)
    app = FastAPI(title="credscore", version=__version__, docs_url=None, redoc_url=None,
                  description="Sentence-level attribution and hedging, and an article's sourcing profile.")
    lock = asyncio.Lock()  # one scoring at a time: the backends already use every core

    async def run_scoring(text: str, name: str | None):
        from credscore.reading import prepare_text

        article = prepare_text(text, name or "input")
        async with lock:
            return await asyncio.wait_for(asyncio.to_thread(model.score, article.text, None, name), timeout_s)

    @app.middleware("http")
    async def limit_size(request: Request, call_next):
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > max_bytes:
            return _error(request, 413, f"request too large: {int(declared):,} bytes (limit {max_bytes:,})")
        return await call_next(request)

    @app.exception_handler(CredscoreError)
    async def credscore_error(request: Request, exc: CredscoreError):
        return _error(request, 413 if isinstance(exc, RequestTooLarge) else 422, str(exc))

    @app.exception_handler(TimeoutError)
    async def timeout(request: Request, exc: TimeoutError):
        return _error(request, 503, f"scoring took longer than {timeout_s:g} s; try a shorter article")

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def index() -> str:
        return _PAGE.format(max_kb=max_bytes // 1000, model=html.escape(model.info["name"]),
                            backend=html.escape(model.info["backend"]), version=__version__)

    @app.post("/score", summary="Score an article: sentence labels and the sourcing profile (JSON)")
    async def score(body: ScoreRequest) -> dict:
        _check_length(body.text, max_bytes)
        return (await run_scoring(body.text, body.name)).to_dict()

    @app.post("/report", response_class=HTMLResponse, include_in_schema=False)
    async def report(text: str = Form(""), file: UploadFile | None = File(None)) -> str:
        name = None
        if file is not None and file.filename:
            data = await file.read(max_bytes + 1)
            _check_length(data, max_bytes)
            from credscore.reading import decode_bytes

            text, name = decode_bytes(data, file.filename), file.filename
        _check_length(text, max_bytes)
        return (await run_scoring(text, name)).to_html()

    @app.get("/docs", response_class=HTMLResponse, include_in_schema=False)
    async def docs() -> str:
        return _docs_page(app.openapi())

    return app


class RequestTooLarge(CredscoreError):
    """A request body over the app's size limit (HTTP 413)."""


def _check_length(data: str | bytes, max_bytes: int) -> None:
    size = len(data.encode("utf-8")) if isinstance(data, str) else len(data)
    if size > max_bytes:
        raise RequestTooLarge(f"article too large: over {max_bytes:,} bytes")


def _error(request: Request, status: int, detail: str):
    if request.url.path == "/report":  # the form: a short page a person can read, with a way back
        body = f"<!DOCTYPE html><meta charset=utf-8><title>credscore: error</title><p>{html.escape(detail)}</p>" \
               '<p><a href="/">Back</a></p>'
        return HTMLResponse(body, status_code=status)
    return JSONResponse({"detail": detail}, status_code=status)


def _docs_page(spec: dict) -> str:
    """The OpenAPI description as a plain page (FastAPI's own /docs loads scripts from a CDN)."""
    rows = []
    for path, methods in spec.get("paths", {}).items():
        for method, op in methods.items():
            rows.append(f"<h2><code>{method.upper()} {html.escape(path)}</code></h2><p>{html.escape(op.get('summary', ''))}</p>")
    schemas = "".join(
        f"<h3>{html.escape(name)}</h3><ul>"
        + "".join(f"<li><code>{html.escape(field)}</code>: {html.escape(str(prop.get('description', prop.get('type', ''))))}</li>"
                  for field, prop in schema.get("properties", {}).items()) + "</ul>"
        for name, schema in spec.get("components", {}).get("schemas", {}).items() if name == "ScoreRequest")
    return ("<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>credscore API</title>"
            "<style>body{font-family:system-ui,sans-serif;max-width:50rem;margin:2rem auto;padding:0 1rem}</style>"
            f"</head><body><h1>credscore API {html.escape(spec.get('info', {}).get('version', ''))}</h1>"
            "<p>The response of <code>POST /score</code> is the JSON schema of docs/output-format.md. "
            'Machine-readable description: <a href="/openapi.json">/openapi.json</a>.</p>'
            + "".join(rows) + "<h2>Request body</h2>" + schemas + "</body></html>")
