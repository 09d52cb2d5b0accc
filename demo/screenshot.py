"""Screenshot a running demo with headless Debian Chromium (Playwright, the ``test`` extra).

    python demo/screenshot.py http://127.0.0.1:7999/ docs/demo-dashboard.png

Waits until the dashboard (ours, or a django-dashboards page with SSE components) reports
"live", then a few seconds for its charts, and saves a PNG (1280x800 unless --width/--height).
Exits non-zero when the page never goes live.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout
from tests.browser.chromium import launch


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("output")
    parser.add_argument("--wait", type=float, default=5.0, help="seconds after going live")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=800)
    parser.add_argument("--full-page", action="store_true", help="the whole page, scrolled")
    parser.add_argument("--color-scheme", choices=["dark", "light"], help="prefers-color-scheme")
    args = parser.parse_args()
    with sync_playwright() as playwright:
        try:
            browser = launch(playwright)
        except RuntimeError as exc:
            print(f"screenshot: {exc}", file=sys.stderr)
            return 2
        try:
            page = browser.new_page(
                viewport={"width": args.width, "height": args.height},
                color_scheme=args.color_scheme,
            )
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
            page.screenshot(path=args.output, full_page=args.full_page)
        finally:
            browser.close()
    print(f"screenshot: {args.output} (status {status}, chart points {points})")
    return 0 if status == "live" else 1


if __name__ == "__main__":
    sys.exit(main())
