"""Where the tests find things: the repository, the small fixtures vendored here, and the
project's shared material (``../shared`` beside the repository) - which a plain clone does not
have, so tests that need it skip with a reason naming the missing folder."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED = Path(os.environ.get("WORKBENCH_SHARED") or REPO.parent / "shared")


def shared(*parts: str) -> Path:
    """A path under the shared folder; the calling test is skipped (with the folder named) when
    it is not there."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"needs {path} (the project's shared material, beside the repository; "
                    "CI has it, a plain clone does not)")
    return path
