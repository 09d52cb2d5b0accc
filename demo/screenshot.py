"""Screenshot a running demo with headless Debian Chromium (Playwright, the ``test`` extra).

    python demo/screenshot.py http://127.0.0.1:7999/ docs/demo-dashboard.png

Waits until the dashboard (ours, or a django-dashboards page with SSE components) reports
"live", then a few seconds for its charts, and saves a 1280x800 PNG. Exits non-zero when the
page never goes live.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time

from dashboards_sse.testing import CHROMIUM_FLAGS as CHROMIUM_ARGS
from playwright.sync_api import sync_playwright


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("output")
    parser.add_argument("--wait", type=float, default=5.0, help="seconds after going live")
    args = parser.parse_args()
    executable = shutil.which("chromium")
    if executable is None:
        print("screenshot: no `chromium` on PATH", file=sys.stderr)
        return 2
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(args.url)
            page.wait_for_selector("[data-dsse-status=live]", timeout=15_000)
            time.sleep(args.wait)
            # Our own pages ([data-dsse-root], SVG charts) or django-dashboards' (Plotly).
            status = page.get_attribute("[data-dsse-status]", "data-dsse-status")
            points = page.eval_on_selector_all(
                "svg.dsse-chart-svg", "svgs => svgs.map(s => Number(s.dataset.points))"
            ) + page.eval_on_selector_all(
                ".js-plotly-plot", "plots => plots.map(p => p.data[0].x.length)"
            )
            page.screenshot(path=args.output)
        finally:
            browser.close()
    print(f"screenshot: {args.output} (status {status}, chart points {points})")
    return 0 if status == "live" else 1


if __name__ == "__main__":
    sys.exit(main())
