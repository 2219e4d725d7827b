"""A small client for the Chrome DevTools Protocol over a pipe (`--remote-debugging-pipe`), with
the standard library only: open a page at a given viewport, run JavaScript in it, take a
screenshot, emulate print media and print to PDF, and time how long a report takes to draw its
charts (`Browser.time_charts`).

Chromium reads commands from file descriptor 3 and writes answers and events to 4; every message
is one JSON object followed by a NUL byte.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from socialroi.reports.pdf import HEADLESS_FLAGS

FLAGS = (*HEADLESS_FLAGS, "--hide-scrollbars", "--remote-debugging-pipe")


def _onto_3_and_4(read_end: int, write_end: int) -> None:
    """In the child: the command pipe's read end on fd 3, the message pipe's write end on 4
    (copied out of the way first, in case either already sits on 3 or 4)."""
    r, w = os.dup(read_end), os.dup(write_end)
    os.dup2(r, 3)
    os.dup2(w, 4)


#: Runs in each new document before the page's own scripts. When the page defines `Plotly`, wraps
#: `Plotly.newPlot` to keep each call's promise (it resolves once that chart has drawn, after any
#: automargin redraw and after `plotly_afterplot`). `window.__charts` resolves, once the document
#: is parsed (so every chart's script has run) and every such promise has settled, to: `ms`, the
#: `performance.now()` then (milliseconds since navigation start); `calls`, the charts Plotly was
#: asked to draw; `divs`, the chart divs in the page; `drawn`, those with a laid-out figure and an
#: SVG; `types`, the trace types the figures ask for; `registered`, the trace types the page's
#: plotly.js knows; `errors`, the messages of charts that failed.
DRAW_CLOCK = r"""
(() => {
  const pending = [];
  let plotly;
  Object.defineProperty(window, 'Plotly', {
    configurable: true,
    get() { return plotly; },
    set(value) {
      plotly = value;
      if (value && typeof value.newPlot === 'function' && !value.newPlot.__timed) {
        const newPlot = value.newPlot;
        value.newPlot = function (...args) {
          const done = newPlot.apply(this, args);
          pending.push(Promise.resolve(done).then(() => null, (e) => String(e && e.message || e)));
          return done;
        };
        value.newPlot.__timed = true;
      }
    },
  });
  const parsed = new Promise((resolve) => {
    if (document.readyState !== 'loading') resolve();
    else document.addEventListener('DOMContentLoaded', () => resolve());
  });
  window.__charts = parsed.then(() => Promise.all(pending)).then((outcomes) => {
    const ms = performance.now();
    const divs = [...document.querySelectorAll('.plotly-graph-div')];
    const types = new Set();
    for (const gd of divs) for (const tr of gd.data || []) types.add(tr.type || 'scatter');
    const known = plotly && plotly.PlotSchema ? Object.keys(plotly.PlotSchema.get().traces) : [];
    return {
      ms,
      calls: pending.length,
      divs: divs.length,
      drawn: divs.filter((gd) => gd._fullLayout && gd.querySelector('.main-svg')).length,
      types: [...types].sort(),
      registered: known.sort(),
      errors: outcomes.filter((o) => o !== null),
    };
  });
})();
"""


class CdpError(RuntimeError):
    """Chromium answered a command with an error, or did not answer in time."""


class Browser:
    """One headless Chromium and one page in it."""

    def __init__(self, chromium: str, profile: Path, *extra: str, timeout: float = 60.0) -> None:
        self.timeout = timeout
        cmd_r, self._cmd_w = os.pipe()
        self._out_r, out_w = os.pipe()
        # Chromium expects its ends on fds 3 (commands in) and 4 (messages out).
        self.proc = subprocess.Popen(
            [chromium, *FLAGS, f"--user-data-dir={profile}", *extra, "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            pass_fds=(3, 4),
            preexec_fn=lambda: _onto_3_and_4(cmd_r, out_w),  # noqa: PLW1509
        )
        os.close(cmd_r)
        os.close(out_w)
        self._buf = b""
        self._id = 0
        self.events: list[dict[str, Any]] = []
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.send("Target.attachToTarget", targetId=target, flatten=True)[
            "sessionId"
        ]
        self.call("Page.enable")
        self.call("Runtime.enable")

    def _read(self) -> dict[str, Any]:
        deadline = time.monotonic() + self.timeout
        while b"\0" not in self._buf:
            if time.monotonic() > deadline:
                raise CdpError("no answer from chromium")
            chunk = os.read(self._out_r, 1 << 20)
            if not chunk:
                raise CdpError("chromium closed the pipe")
            self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        message: dict[str, Any] = json.loads(raw)
        return message

    def send(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        self._id += 1
        msg: dict[str, Any] = {"id": self._id, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        os.write(self._cmd_w, json.dumps(msg).encode() + b"\0")
        while True:
            got = self._read()
            if got.get("id") == self._id:
                if "error" in got:
                    raise CdpError(f"{method}: {got['error']}")
                result: dict[str, Any] = got.get("result", {})
                return result
            self.events.append(got)

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """A command to the page."""
        return self.send(method, self.session, **params)

    def wait_event(self, method: str) -> dict[str, Any]:
        for i, ev in enumerate(self.events):
            if ev.get("method") == method:
                return self.events.pop(i)
        while True:
            ev = self._read()
            if ev.get("method") == method:
                return ev
            self.events.append(ev)

    def viewport(self, width: int, height: int, *, mobile: bool = False) -> None:
        self.call(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=mobile,
        )

    def open(self, url: str, *, settle: float = 0.5) -> None:
        """Navigate and wait for the load event, then for `settle` seconds of script time."""
        self.events = [e for e in self.events if e.get("method") != "Page.loadEventFired"]
        self.call("Page.navigate", url=url)
        self.wait_event("Page.loadEventFired")
        time.sleep(settle)

    def time_charts(self, url: str) -> dict[str, Any]:
        """Open `url` with `DRAW_CLOCK` installed and return what it reports once every chart
        has drawn (`ms`: milliseconds from navigation start), with `cpu_ms` and `script_ms`:
        the CPU time the page's main thread had spent by then on all its tasks and on running
        script (Chromium's TaskDuration and ScriptDuration in thread time, which a busy machine
        inflates far less than the wall-clock `ms`)."""
        script = self.call("Page.addScriptToEvaluateOnNewDocument", source=DRAW_CLOCK)
        self.call("Performance.enable", timeDomain="threadTicks")
        try:
            self.open(url, settle=0)
            timing: dict[str, Any] = self.js("window.__charts")
            metrics = self.call("Performance.getMetrics")["metrics"]
        finally:
            self.call("Performance.disable")
            self.call("Page.removeScriptToEvaluateOnNewDocument", identifier=script["identifier"])
        got = {m["name"]: float(m["value"]) for m in metrics}
        timing["cpu_ms"] = got["TaskDuration"] * 1000
        timing["script_ms"] = got["ScriptDuration"] * 1000
        return timing

    def js(self, expression: str) -> Any:
        """The value of `expression` (awaited when it is a promise)."""
        got = self.call(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in got:
            raise CdpError(str(got["exceptionDetails"]))
        return got["result"].get("value")

    def screenshot(self, path: Path) -> Path:
        data = self.call("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def pdf(self, path: Path, *, width_in: float, height_in: float) -> Path:
        data = self.call(
            "Page.printToPDF",
            paperWidth=width_in,
            paperHeight=height_in,
            printBackground=True,
            preferCSSPageSize=True,
        )["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def console(self) -> list[str]:
        """Console messages and uncaught exceptions seen so far."""
        out = []
        for ev in self.events:
            if ev.get("method") == "Runtime.consoleAPICalled":
                args = ev["params"].get("args", [])
                out.append(" ".join(str(a.get("value", a.get("description", ""))) for a in args))
            elif ev.get("method") == "Runtime.exceptionThrown":
                out.append(str(ev["params"]["exceptionDetails"].get("text")))
        return out

    def close(self) -> None:
        with suppress(CdpError, OSError):
            self.send("Browser.close")
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._cmd_w, self._out_r):
            with suppress(OSError):
                os.close(fd)
        if self.proc.stderr is not None:
            self.proc.stderr.close()


@contextmanager
def browser(chromium: str, profile: Path, *extra: str) -> Iterator[Browser]:
    b = Browser(chromium, profile, *extra)
    try:
        yield b
    finally:
        b.close()
