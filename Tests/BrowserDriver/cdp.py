"""A small driver for headless Chromium over the DevTools protocol, standard library only.

Chromium is started with ``--remote-debugging-pipe``: it reads protocol commands from file
descriptor 3 and writes answers and events to descriptor 4, each message one JSON text ended by
a NUL byte. No port is opened and no WebSocket is needed.

Usage: ``python3 cdp.py PLAN.json``. The plan is ``{"chromium": path, "steps": [...]}``; each step
is one of

- ``{"op": "viewport", "width": w, "height": h, "mobile": bool, "scale": s}``
- ``{"op": "navigate", "url": u}`` (waits for the load event)
- ``{"op": "wait", "expr": js, "timeout": seconds}`` (until the expression is truthy)
- ``{"op": "eval", "expr": js, "as": name}`` (the value, awaited, goes to ``results[name]``)
- ``{"op": "type", "selector": css, "text": t}`` (focus, then real key input)
- ``{"op": "click", "selector": css}`` (a real mouse click at the element's centre)
- ``{"op": "screenshot", "path": file}`` (the whole page, PNG)

It prints one JSON object: ``results``, ``console`` (console errors and warnings, uncaught
exceptions, browser log entries), ``violations`` (Content-Security-Policy violations the pages
reported), ``requests`` (every URL requested) and ``responses`` (every URL answered with its
status), and ``error`` if a step failed (then it exits 1, after a screenshot ``failure.png``
beside the plan).
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Any

# Recorded in every document before its own scripts run (the DevTools protocol's scripts are
# not subject to the page's policy): the page's policy violations, for the driver to collect.
WATCH_VIOLATIONS = """
window.__pmViolations = [];
document.addEventListener('securitypolicyviolation', (e) => window.__pmViolations.push(
  {directive: e.violatedDirective, blocked: e.blockedURI, source: e.sourceFile, line: e.lineNumber, sample: e.sample}));
"""


class Browser:
    def __init__(self, chromium: str) -> None:
        self.profile = tempfile.mkdtemp(prefix="pm-chromium-")
        to_browser_r, self.to_browser = os.pipe()
        self.from_browser, from_browser_w = os.pipe()

        def descriptors() -> None:
            # Moved out of the way first, so that neither pipe end is overwritten by the other.
            reading = fcntl.fcntl(to_browser_r, fcntl.F_DUPFD, 10)
            writing = fcntl.fcntl(from_browser_w, fcntl.F_DUPFD, 10)
            os.dup2(reading, 3)
            os.dup2(writing, 4)

        arguments = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--remote-debugging-pipe", f"--user-data-dir={self.profile}", "--no-first-run",
                     "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
                     "--disable-sync", "--disable-component-update", "--disable-default-apps", "--mute-audio",
                     "--hide-scrollbars", "--password-store=basic", "--use-mock-keychain", "about:blank"]
        # Its log goes to a file (it writes much, and a full pipe would stall it).
        self.log = open(os.path.join(self.profile, "chromium.log"), "wb")
        self.process = subprocess.Popen(arguments, preexec_fn=descriptors, pass_fds=(3, 4),
                                        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self.log)
        os.close(to_browser_r)
        os.close(from_browser_w)
        self.buffer = b""
        self.next_id = 0
        self.events: list[dict[str, Any]] = []
        self.session: str | None = None

    def close(self) -> None:
        try:
            self.command("Browser.close", session=False, timeout=5)
        except Exception:
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()
        shutil.rmtree(self.profile, ignore_errors=True)

    def _read(self, timeout: float) -> dict[str, Any] | None:
        """The next message, or None if none arrived within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([self.from_browser], [], [], left)
            if not ready:
                return None
            chunk = os.read(self.from_browser, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed its DevTools pipe: " + self._stderr())
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def _stderr(self) -> str:
        self.log.flush()
        with open(self.log.name, "rb") as f:
            return f.read().decode("utf-8", "replace")[-2000:]

    def command(self, method: str, params: dict[str, Any] | None = None, session: bool = True,
                timeout: float = 30) -> dict[str, Any]:
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            message["sessionId"] = self.session
        os.write(self.to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            answer = self._read(max(0.0, deadline - time.monotonic()))
            if answer is None:
                raise TimeoutError(f"{method} had no answer within {timeout} s")
            if answer.get("id") == self.next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer.get("result", {})
            self.events.append(answer)

    def wait_event(self, method: str, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            for event in self.events[seen:]:
                if event.get("method") == method:
                    self.events.remove(event)
                    return event
            seen = len(self.events)
            message = self._read(max(0.0, deadline - time.monotonic()))
            if message is None:
                raise TimeoutError(f"no {method} within {timeout} s")
            self.events.append(message)

    def attach(self) -> None:
        targets = self.command("Target.getTargets", session=False)["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        self.session = self.command("Target.attachToTarget", {"targetId": page["targetId"], "flatten": True},
                                    session=False)["sessionId"]
        for domain in ("Page", "Runtime", "Network", "Log"):
            self.command(domain + ".enable")
        self.command("Page.addScriptToEvaluateOnNewDocument", {"source": WATCH_VIOLATIONS})

    def evaluate(self, expression: str) -> Any:
        result = self.command("Runtime.evaluate", {"expression": expression, "awaitPromise": True,
                                                   "returnByValue": True, "userGesture": True})
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            raise RuntimeError("script failed: " + str(details.get("exception", {}).get("description") or details.get("text")))
        return result.get("result", {}).get("value")


def run(plan: dict[str, Any], plan_path: str) -> int:
    out: dict[str, Any] = {"results": {}, "console": [], "violations": [], "requests": [], "responses": []}
    browser = Browser(plan["chromium"])
    failed = False
    step: dict[str, Any] = {}

    def harvest_violations() -> None:
        try:
            out["violations"].extend(browser.evaluate("window.__pmViolations || []") or [])
            browser.evaluate("window.__pmViolations = []")
        except Exception:
            pass

    try:
        browser.attach()
        for step in plan["steps"]:
            op = step["op"]
            if op == "viewport":
                browser.command("Emulation.setDeviceMetricsOverride", {
                    "width": step["width"], "height": step["height"], "deviceScaleFactor": step.get("scale", 1),
                    "mobile": step.get("mobile", False)})
                browser.command("Emulation.setTouchEmulationEnabled", {"enabled": step.get("mobile", False)})
            elif op == "navigate":
                harvest_violations()
                browser.command("Page.navigate", {"url": step["url"]})
                browser.wait_event("Page.loadEventFired", step.get("timeout", 30))
            elif op == "wait":
                deadline = time.monotonic() + step.get("timeout", 20)
                while not browser.evaluate(step["expr"]):
                    if time.monotonic() > deadline:
                        raise TimeoutError("waited in vain for: " + step["expr"])
                    time.sleep(0.05)
            elif op == "eval":
                out["results"][step["as"]] = browser.evaluate(step["expr"])
            elif op == "type":
                browser.evaluate(f"document.querySelector({json.dumps(step['selector'])}).focus()")
                browser.command("Input.insertText", {"text": step["text"]})
            elif op == "click":
                box = browser.evaluate(f"""(() => {{ const e = document.querySelector({json.dumps(step['selector'])});
                    if (!e) return null; e.scrollIntoView({{block: 'center'}}); const r = e.getBoundingClientRect();
                    return {{x: r.left + r.width / 2, y: r.top + r.height / 2}}; }})()""")
                if box is None:
                    raise RuntimeError("nothing to click at " + step["selector"])
                for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
                    browser.command("Input.dispatchMouseEvent", {"type": kind, "x": box["x"], "y": box["y"],
                                                                 "button": "left", "clickCount": 1})
            elif op == "screenshot":
                metrics = browser.command("Page.getLayoutMetrics")
                size = metrics.get("cssContentSize") or metrics["contentSize"]
                shot = browser.command("Page.captureScreenshot", {
                    "format": "png", "captureBeyondViewport": True,
                    "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}})
                os.makedirs(os.path.dirname(step["path"]) or ".", exist_ok=True)
                with open(step["path"], "wb") as f:
                    f.write(base64.b64decode(shot["data"]))
            else:
                raise ValueError("unknown step " + op)
        harvest_violations()
    except Exception as error:
        failed = True
        out["error"] = f"{type(error).__name__}: {error} (at step {json.dumps(step)})"
        try:
            shot = browser.command("Page.captureScreenshot", {"format": "png"})
            with open(os.path.join(os.path.dirname(os.path.abspath(plan_path)), "failure.png"), "wb") as f:
                f.write(base64.b64decode(shot["data"]))
        except Exception:
            pass
    finally:
        for event in browser.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Network.requestWillBeSent":
                out["requests"].append(params["request"]["url"])
            elif method == "Network.responseReceived":
                out["responses"].append({"url": params["response"]["url"], "status": params["response"]["status"]})
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "warning", "assert"):
                out["console"].append(" ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", [])))
            elif method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                out["console"].append("uncaught: " + str(details.get("exception", {}).get("description") or details.get("text")))
            elif method == "Log.entryAdded" and params["entry"].get("level") in ("error", "warning"):
                out["console"].append(f"{params['entry'].get('source')}: {params['entry'].get('text')} {params['entry'].get('url', '')}")
        browser.close()
    print(json.dumps(out))
    return 1 if failed else 0


if __name__ == "__main__":
    with open(sys.argv[1]) as f:
        sys.exit(run(json.load(f), sys.argv[1]))
