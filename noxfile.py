"""Version matrix: ``make matrix`` (all) or ``nox -s "tests-3.12(django='6.0')"`` (one).

django-eventstream 5.3 needs Django 5+, so Django 4.2 cannot be supported; Django 6.0 needs
Python 3.12+. Interpreters come from pyenv (see the Makefile's PATH).
"""

from __future__ import annotations

import nox

nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = True

PYTHONS = ["3.11", "3.12", "3.13"]
DJANGOS = ["5.2", "6.0"]


@nox.session(python=PYTHONS)
@nox.parametrize("django", DJANGOS)
def tests(session: nox.Session, django: str) -> None:
    if django == "6.0" and session.python == "3.11":
        session.skip("Django 6.0 needs Python 3.12 or newer")
    # django-dashboards too: its adapter's tests run on every combination (it works on both).
    session.install("-e", ".[test,django-dashboards]", f"django~={django}.0")
    session.run("python", "-m", "pytest", *session.posargs)
