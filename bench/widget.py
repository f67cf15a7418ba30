"""Benchmark the optimizer explorer: slider input event to finished redraw, in Chromium.

Run as ``.venv/bin/python bench/widget.py`` after ``make book`` (about a minute). It serves the
built site (``_build/html``) on localhost, opens the "Step the optimizers" page in headless
Chromium (Debian's ``chromium``, or ``GDLAB_CHROMIUM``; the network outside localhost blocked) with
the first explorer set from the page address to kappa = 1000 and 500 iterations drawn
(``steps:500,t:500``), focuses a slider and presses the arrow keys 200 times, alternating left
and right, so that every event changes a setting and the runs are simulated and drawn anew.

Each event is timed in the page, from the input event's own timestamp (``event.timeStamp``,
when the browser created it) to the end of the redraw: the widget's ``input`` handler simulates
and rebuilds the SVG synchronously, and a listener that runs after it forces style and layout
of the explorer (``getBoundingClientRect``) before reading the clock. Nothing is deferred to a
later frame, so the figure is the whole cost of the redraw up to painting. The time to the next
painted frame (``requestAnimationFrame`` then a task) is printed beside it: it adds the wait for
the frame, which headless Chromium paces on its own timer.

Target: median <= 16 ms (one frame at 60 Hz).
"""

from __future__ import annotations

import functools
import os
import shutil
import statistics
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "_build" / "html"
PAGE = "chapters/optimizer_explorer.html"
EVENTS = 200
TARGET_MS = 16.0
# (name, hash settings, slider label): every scenario draws 500 iterations at kappa = 1000.
SCENARIOS = [
    ("GD, lr slider", "method:gd,kappa:1000,lr:0.001,steps:500,t:500", "\u03b7 (learning rate)"),
    (
        "heavy ball, beta slider",
        "method:heavy_ball,kappa:1000,lr:0.0036,beta:0.9,steps:500,t:500",
        "\u03b2 (momentum)",
    ),
    (
        "all four, lr slider",
        "method:all,kappa:1000,lr:0.001,beta:0.9,steps:500,t:500",
        "\u03b7 (learning rate)",
    ),
    (
        "GD, kappa slider (map redrawn)",
        "method:gd,kappa:1000,lr:0.001,steps:500,t:500",
        "\u03ba (condition number)",
    ),
]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-dev-shm-usage"]

# Installed once per page: times every input event on the explorer's sliders.
PROBE = """() => {
  const root = document.querySelector('.gdx');
  window.__latency = [];
  window.__toPaint = [];
  window.__redraws = 0;
  window.__simulations = new Set();
  const view = root.parentElement.__gdlabExplorer;
  const redraw = view.redraw.bind(view);
  view.redraw = () => {
    window.__redraws++;
    redraw();
    window.__simulations.add(view.simKey);
  };
  root.addEventListener('input', (event) => {
    const start = event.timeStamp;
    root.getBoundingClientRect();  // forces style and layout of the redrawn explorer
    for (const svg of root.querySelectorAll('svg')) svg.getBBox();
    window.__latency.push(performance.now() - start);
    requestAnimationFrame(() => setTimeout(() => window.__toPaint.push(performance.now() - start)));
  });
}"""


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve(directory: Path) -> tuple[ThreadingHTTPServer, str]:
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def measure(browser, url: str, settings: str, slider: str) -> tuple[list[float], list[float]]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.route(
        "**/*",
        lambda route: route.continue_() if route.request.url.startswith(url) else route.abort(),
    )
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{url}/{PAGE}#explorer={settings}", wait_until="load")
    page.wait_for_function(
        "() => { const v = document.querySelector('.gdx')?.parentElement.__gdlabExplorer;"
        " return v && v.settings().steps === 500 && v.settings().t === 500; }",
        timeout=30000,
    )
    drawn = page.evaluate(
        "() => document.querySelector('.gdx').parentElement.__gdlabExplorer.runs"
        ".map((r) => r.count)"
    )
    if min(drawn) != 501:
        raise RuntimeError(f"{settings}: a run stopped early ({drawn} iterates), not 500 drawn")
    explorer = page.locator(".gdx").first
    explorer.get_by_label(slider, exact=True).focus()
    page.evaluate(PROBE)
    for i in range(EVENTS):
        page.keyboard.press("ArrowLeft" if i % 2 == 0 else "ArrowRight")
    page.wait_for_function(f"() => window.__toPaint.length >= {EVENTS}", timeout=30000)
    # Every event redrew once, with the runs simulated anew (two settings, alternating).
    redraws, simulations = page.evaluate("() => [window.__redraws, window.__simulations.size]")
    if redraws != EVENTS or simulations != 2:
        raise RuntimeError(f"{settings}: {redraws} redraws, {simulations} distinct simulations")
    latency = page.evaluate("() => window.__latency")
    to_paint = page.evaluate("() => window.__toPaint")
    context.close()
    if errors or len(latency) != EVENTS:
        raise RuntimeError(f"{settings}: {len(latency)} events timed; page errors {errors}")
    return latency, to_paint


def summary(values: list[float]) -> str:
    ordered = sorted(values)
    p90 = ordered[int(0.9 * (len(ordered) - 1))]
    return f"median {statistics.median(ordered):6.2f}  p90 {p90:6.2f}  max {ordered[-1]:6.2f} ms"


def main() -> int:
    if not (SITE / PAGE).exists():
        print(f"no built page at {SITE / PAGE}: run `make book` first", file=sys.stderr)
        return 1
    chromium = os.environ.get("GDLAB_CHROMIUM") or shutil.which("chromium")
    if not chromium:
        print("Chromium not found (Debian's chromium package, or GDLAB_CHROMIUM)", file=sys.stderr)
        return 1
    from playwright.sync_api import sync_playwright

    server, url = serve(SITE)
    print(f"explorer redraw latency, {EVENTS} slider input events, kappa = 1000, 500 iterations")
    print(f"(Chromium headless, {os.cpu_count()} CPUs; target: median <= {TARGET_MS:g} ms)")
    results = {}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            for name, settings, slider in SCENARIOS:
                latency, to_paint = measure(browser, url, settings, slider)
                results[name] = statistics.median(latency)
                print(f"{name:32s} input to redrawn:   {summary(latency)}")
                print(f"{'':32s} input to next frame: {summary(to_paint)}")
            browser.close()
    finally:
        server.shutdown()
    headline = SCENARIOS[0][0]
    verdict = "meets" if results[headline] <= TARGET_MS else "MISSES"
    print(f"{headline}: median {results[headline]:.2f} ms {verdict} the {TARGET_MS:g} ms target")
    return 0


if __name__ == "__main__":
    sys.exit(main())
