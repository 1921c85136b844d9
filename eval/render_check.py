"""Render an HTML report in real headless Chromium: check it and take a screenshot.

Checks that every sentence of the article is shown in the rendered page, and
that no script ran (the page's Content-Security-Policy forbids scripts and
the article text is escaped).  Used by tests/test_html.py and to make the
README screenshot:

    python -m credscore.eval.render_check seeds/belgorod-legion-raid.txt --screenshot docs/report-screenshot.png
    python -m credscore.eval.render_check seeds/belgorod-legion-raid.txt --web-screenshot docs/web-screenshot.png

``--web-screenshot`` starts ``credscore serve``, pastes the article into its
page in Chromium (driven by Playwright), and saves the form and the report.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import subprocess
import tempfile
from pathlib import Path

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium() -> str | None:
    """Path of a Chromium binary, or None."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def _run(args: list[str], timeout: int = 120) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run([chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
                              capture_output=True, text=True, timeout=timeout)


def rendered_dom(html_path: Path) -> str:
    """The DOM after Chromium loaded the page (scripts, if any could run, have run)."""
    return _run(["--dump-dom", html_path.resolve().as_uri()]).stdout


def visible_text(html_path: Path) -> str:
    """The text Chromium lays out, via its DOM dump with tags removed."""
    from selectolax.lexbor import LexborHTMLParser as HTMLParser

    tree = HTMLParser(rendered_dom(html_path))
    body = tree.body
    return " ".join(body.text(separator=" ").split()) if body else ""


def screenshot(html_path: Path, out: Path, width: int = 1200, height: int = 1600) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    _run([f"--screenshot={out.resolve()}", f"--window-size={width},{height}", "--hide-scrollbars",
          html_path.resolve().as_uri()])


@contextlib.contextmanager
def serving(model: Path | None = None, port: int = 8765, wait_s: float = 60.0):
    """``credscore serve`` on 127.0.0.1:``port`` in a child process, once it accepts connections; stopped on exit."""
    import socket
    import sys
    import time

    cmd = [sys.executable, "-m", "credscore.cli", "serve", "--port", str(port)] + (["--model", str(model)] if model else [])
    server = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:  # the model loads before the port opens
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.5)
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.terminate()
        server.wait(timeout=30)


@contextlib.contextmanager
def browser_page(**page_options):
    """A Playwright page in the system's Chromium (headless, with the flags of :data:`CHROMIUM_FLAGS`)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=[f for f in CHROMIUM_FLAGS if f != "--headless"])
        try:
            yield browser.new_page(**page_options)
        finally:
            browser.close()


def web_screenshots(article: Path, out: Path, model: Path | None = None, port: int = 8765) -> None:
    """Screenshots of the web app: ``out`` (the page with the article pasted) and ``out``'s ``-report`` twin."""
    with serving(model, port) as url, browser_page(viewport={"width": 1100, "height": 900}) as page:
        page.goto(url)
        page.fill("textarea[name=text]", article.read_text(encoding="utf-8"))
        page.screenshot(path=str(out))
        page.click("button[type=submit]")
        page.wait_for_selector("span.s")
        page.screenshot(path=str(out.with_name(out.stem + "-report" + out.suffix)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("article", type=Path)
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--screenshot", type=Path, default=None)
    parser.add_argument("--web-screenshot", type=Path, default=None)
    args = parser.parse_args()
    if chromium() is None:
        raise SystemExit("chromium not found: apt-get install chromium")
    from credscore.api import load_model

    result = load_model(args.model).score(args.article.read_text(encoding="utf-8"), name=str(args.article))
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "report.html"
        page.write_text(result.to_html(), encoding="utf-8")
        text = visible_text(page)
        missing = [s.index for s in result.sentences if " ".join(s.text.split()) not in text]
        print(f"{len(result.sentences) - len(missing)} of {len(result.sentences)} sentences shown"
              + (f"; missing: {missing}" if missing else ""))
        if args.screenshot:
            screenshot(page, args.screenshot)
            print(f"screenshot: {args.screenshot}")
    if args.web_screenshot:
        web_screenshots(args.article, args.web_screenshot, args.model)
        print(f"web screenshots: {args.web_screenshot} and its -report twin")
    if missing:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
