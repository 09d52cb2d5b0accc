"""Debian's Chromium for Playwright: the one launch of the browser tests and demo/screenshot.py."""

from __future__ import annotations

import shutil

from playwright.sync_api import Browser, Playwright

# Headless in a sandbox-less container, without talking to Google's services.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def launch(playwright: Playwright) -> Browser:
    """Debian's ``chromium`` (never a browser Playwright downloads); RuntimeError without it."""
    executable = shutil.which("chromium")
    if executable is None:
        raise RuntimeError("Debian's chromium is not installed (make test installs it).")
    return playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
