"""``workbench``: the command line over the same library functions the app calls.

One module per command group; each registers its commands on the app in ``base``. The imports
below put every command on ``workbench --help``, in the order of a study: projects, sources,
codebooks, coding, autocoding, analysis, exports, transcription, storage.
"""
from __future__ import annotations

# isort: off
from workbench.cli import projects, sources, codebooks, coding, autocode, analysis, exports  # noqa: F401
from workbench.cli import words, assist, transcription, storage  # noqa: F401
# isort: on
from workbench.cli.base import app

__all__ = ["app", "main"]


def main() -> None:
    """Console-script entry point."""
    app()
