"""A page opened in Debian's real Chromium, headless, driven over the DevTools protocol on a pipe (standard library only).

`load(path)` starts Chromium with `--remote-debugging-pipe` (requests on
its fd 3, replies and events on fd 4, each a JSON text ending in NUL),
opens the file in a new tab, waits for its load event, evaluates a script
in it and returns the value, with every console message, log entry
(Content-Security-Policy refusals, failed loads) and uncaught exception the
page produced. Everything is bounded by one deadline; the browser and its
helpers are one process group, ended when done. No network is needed or
used: the browser's own services are switched off and the page is a file.
"""

from __future__ import annotations

import fcntl
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEADLINE = 60.0
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check", "--disable-extensions",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-default-apps",
    "--metrics-recording-only", "--mute-audio", "--remote-debugging-pipe",
]


def browser() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    assert found, "chromium is not installed: apt-get install -y chromium (make debs does)"
    return found


@dataclass
class Loaded:
    value: Any  # what the script evaluated to
    console: list[dict] = field(default_factory=list)  # Runtime.consoleAPICalled: {"type", "text"}
    log: list[dict] = field(default_factory=list)  # Log.entryAdded: {"level", "source", "text", "url"}
    exceptions: list[str] = field(default_factory=list)  # Runtime.exceptionThrown

    @property
    def errors(self) -> list[str]:
        """Everything a developer console would show as an error or a warning."""
        found = [f"console.{m['type']}: {m['text']}" for m in self.console if m["type"] in ("error", "warning", "assert")]
        found += [f"{e['source']} {e['level']}: {e['text']}" for e in self.log if e["level"] in ("error", "warning")]
        return found + [f"exception: {text}" for text in self.exceptions]


class _Pipe:
    def __init__(self, to_browser: int, from_browser: int, deadline: float) -> None:
        self.out, self.inp, self.deadline = to_browser, from_browser, deadline
        self.buffer = b""
        self.next_id = 0
        self.events: list[dict] = []

    def _read(self) -> dict:
        while b"\0" not in self.buffer:
            left = self.deadline - time.monotonic()
            assert left > 0, "chromium did not answer in time"
            ready, _, _ = select.select([self.inp], [], [], left)
            if ready:
                chunk = os.read(self.inp, 1 << 16)
                assert chunk, "chromium closed its DevTools pipe"
                self.buffer += chunk
        message, _, self.buffer = self.buffer.partition(b"\0")
        return json.loads(message)

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        self.next_id += 1
        request: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            request["sessionId"] = session
        os.write(self.out, json.dumps(request).encode() + b"\0")
        while True:
            message = self._read()
            if message.get("id") == self.next_id:
                assert "error" not in message, f"{method}: {message['error']}"
                return message.get("result", {})
            self.events.append(message)

    def wait_for(self, method: str, session: str) -> None:
        while True:
            for event in self.events:
                if event.get("method") == method and event.get("sessionId") == session:
                    return
            self.events.append(self._read())


def load(path: Path, script: str, *, deadline: float = DEADLINE) -> Loaded:
    """Open `path` in headless Chromium, evaluate `script` (an expression) once it has loaded, and return it with the page's messages."""
    to_browser_r, to_browser_w = os.pipe()
    from_browser_r, from_browser_w = os.pipe()

    def on_fds_3_and_4() -> None:
        # Out of the way first (either end may itself be 3 or 4), then onto 3 and 4, inheritable.
        ends = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (to_browser_r, from_browser_w)]
        for number, fd in zip((3, 4), ends):
            os.dup2(fd, number)

    with tempfile.TemporaryDirectory(prefix="report-chromium-") as profile:
        process = subprocess.Popen(
            [browser(), *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=on_fds_3_and_4, close_fds=False, start_new_session=True,
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        pipe = _Pipe(to_browser_w, from_browser_r, time.monotonic() + deadline)
        try:
            target = pipe.send("Target.createTarget", {"url": "about:blank"})["targetId"]
            session = pipe.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            for domain in ("Page", "Runtime", "Log"):
                pipe.send(f"{domain}.enable", session=session)
            pipe.send("Page.navigate", {"url": path.resolve().as_uri()}, session)
            pipe.wait_for("Page.loadEventFired", session)
            result = pipe.send("Runtime.evaluate", {"expression": script, "returnByValue": True}, session)
            assert "exceptionDetails" not in result, result["exceptionDetails"]
            loaded = Loaded(result["result"].get("value"))
            for event in pipe.events:
                params = event.get("params", {})
                if event.get("method") == "Runtime.consoleAPICalled":
                    loaded.console.append({"type": params["type"], "text": " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", []))})
                elif event.get("method") == "Log.entryAdded":
                    entry = params["entry"]
                    loaded.log.append({k: entry.get(k, "") for k in ("level", "source", "text", "url")})
                elif event.get("method") == "Runtime.exceptionThrown":
                    loaded.exceptions.append(params["exceptionDetails"].get("text", ""))
            pipe.send("Browser.close")
            process.wait(timeout=max(1.0, pipe.deadline - time.monotonic()))
            return loaded
        finally:
            os.close(to_browser_w)
            os.close(from_browser_r)
            try:
                os.killpg(process.pid, signal.SIGKILL)  # the group this browser started: any helper left behind
            except ProcessLookupError:
                pass
            process.wait(timeout=10)
