"""Open a page in headless Chromium and read the verdict of ``verify.html`` from its DOM."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    """The browser to use: ``$CHROMIUM``, else the first candidate on the PATH."""
    explicit = os.environ.get("CHROMIUM")
    if explicit:
        return explicit if Path(explicit).is_file() else shutil.which(explicit)
    return next((found for name in CANDIDATES if (found := shutil.which(name))), None)


def dump_dom(browser: str, page: Path) -> str:
    """The page's DOM after its scripts ran (no network, a throw-away profile)."""
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        done = subprocess.run(
            [browser, "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--no-first-run", f"--user-data-dir={profile}", "--virtual-time-budget=10000",
             "--dump-dom", page.resolve().as_uri()],
            capture_output=True, text=True, encoding="utf-8", timeout=120, check=False)
    if done.returncode != 0 or "<html" not in done.stdout:
        raise RuntimeError(f"chromium failed ({done.returncode}): {done.stderr[-2000:]}")
    return done.stdout


class _Verdict(HTMLParser):
    def __init__(self):
        super().__init__()
        self.depth = 0
        self.parts: list[str] = []
        self.items: list[str] = []

    def handle_starttag(self, tag, attrs):
        if self.depth:
            self.depth += 1
            if tag == "li":
                self.items.append("")
        elif dict(attrs).get("id") == "verdict":
            self.depth = 1

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth:
            self.parts.append(data)
            if self.items and self.depth >= 3:
                self.items[-1] += data


def verdict(dom: str) -> tuple[str, list[str]]:
    """The verdict element's text and its list items (differences, then notes)."""
    parser = _Verdict()
    parser.feed(dom)
    return "".join(parser.parts).strip(), parser.items
