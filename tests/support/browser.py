"""Open a page in headless Chromium and read the verdict of ``verify.html`` from its DOM."""

from __future__ import annotations

import contextlib
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
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    proc = subprocess.Popen(
        [browser, "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", f"--user-data-dir={profile}", "--virtual-time-budget=10000",
         "--dump-dom", page.resolve().as_uri()],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8",
        start_new_session=True)
    try:
        out, err = proc.communicate(timeout=120)
    finally:
        _end_session(proc, profile)
    if proc.returncode != 0 or "<html" not in out:
        raise RuntimeError(f"chromium failed ({proc.returncode}): {err[-2000:]}")
    return out


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


class DevTools:
    """Drive a headless Chromium over ``--remote-debugging-pipe`` (the DevTools protocol).

    Used to choose files in the page's file picker as a person would (``DOM.setFileInputFiles``
    fires the same ``change`` event), then read the verdict.
    """

    def __init__(self, browser: str, page: Path):
        self.profile = tempfile.mkdtemp(prefix="chromium-profile-")
        # The browser reads commands on fd 3 and answers on fd 4. Keep the pipes' own fds
        # above 4, so that moving one onto 3 cannot close the other (after many tests the
        # lowest free fds, which os.pipe hands out, may well be 3 and 4).
        cmd_r, self.cmd_w = (_above_4(fd) for fd in os.pipe())
        self.resp_r, resp_w = (_above_4(fd) for fd in os.pipe())

        def wire():
            os.dup2(cmd_r, 3)
            os.dup2(resp_w, 4)

        self.proc = subprocess.Popen(
            [browser, "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--no-first-run", f"--user-data-dir={self.profile}", "--remote-debugging-pipe",
             page.resolve().as_uri()],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=wire, close_fds=False, start_new_session=True)
        os.close(cmd_r)
        os.close(resp_w)
        self.buffer = b""
        self.next_id = 0
        self.session = None
        page_id = self._page_target()
        self.session = self.call("Target.attachToTarget", targetId=page_id,
                                 flatten=True)["sessionId"]

    def _page_target(self, timeout: float = 30.0) -> str:
        """The page's target id, once the browser has opened it (it may take a moment)."""
        import time

        end = time.monotonic() + timeout
        while time.monotonic() < end:
            targets = self.call("Target.getTargets")["targetInfos"]
            pages = [t["targetId"] for t in targets if t["type"] == "page"]
            if pages:
                return pages[0]
            time.sleep(0.1)
        raise TimeoutError("chromium opened no page")

    def call(self, method: str, **params):
        """Send one command and return its result (events in between are skipped)."""
        import json

        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params}
        if self.session:
            message["sessionId"] = self.session
        os.write(self.cmd_w, json.dumps(message).encode() + b"\0")
        while True:
            while b"\0" not in self.buffer:
                chunk = os.read(self.resp_r, 65536)
                if not chunk:
                    raise RuntimeError("chromium closed the DevTools pipe")
                self.buffer += chunk
            raw, self.buffer = self.buffer.split(b"\0", 1)
            reply = json.loads(raw)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def evaluate(self, expression: str):
        """The value of a JavaScript expression in the page (promises awaited)."""
        result = self.call("Runtime.evaluate", expression=expression, awaitPromise=True,
                           returnByValue=True)
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 30.0):
        """Poll a JavaScript expression until it is truthy; return its value."""
        import time

        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                value = self.evaluate(expression)
            except RuntimeError as exc:  # the page is still loading: no context to evaluate in
                if "chromium closed" in str(exc):
                    raise
                value = None
            if value:
                return value
            time.sleep(0.1)
        raise TimeoutError(expression)

    def choose_files(self, selector: str, paths: list[Path]) -> None:
        """Choose ``paths`` in the file input ``selector``, as a person would."""
        root = self.call("DOM.getDocument")["root"]["nodeId"]
        node = self.call("DOM.querySelector", nodeId=root, selector=selector)["nodeId"]
        self.call("DOM.setFileInputFiles", nodeId=node, files=[str(p.resolve()) for p in paths])

    def close(self) -> None:
        """End the browser and its helper processes, and remove its profile."""
        os.close(self.cmd_w)
        os.close(self.resp_r)
        _end_session(self.proc, self.profile)


def _end_session(proc: subprocess.Popen, profile: str) -> None:
    """End the browser and every helper process of its session, then remove its profile.

    The browser runs in a session of its own (``start_new_session``), so its process group
    holds its helpers too (renderer, network, crash handler). They can outlive it for a
    moment and write into the profile: the folder is removed once none is left.
    """
    import signal
    import time

    for attempt in range(50):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        if proc.poll() is None:
            proc.wait(timeout=30)
        try:
            shutil.rmtree(profile)
            return
        except FileNotFoundError:
            return
        except OSError:  # a helper still writing: try again in a moment
            if attempt == 49:
                raise
            time.sleep(0.1)


def _above_4(fd: int) -> int:
    """Return a duplicate of ``fd`` numbered 10 or more, closing ``fd``."""
    import fcntl

    high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return high

