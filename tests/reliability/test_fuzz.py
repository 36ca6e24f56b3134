"""Property-based fuzzing of the parsers (the targets are in fuzz_targets.py): each target runs
in a child process whose address space is capped, every example under a time limit, so that a
parser blowing up fails here with the input that did it instead of taking the machine down."""
from __future__ import annotations

import os
import resource
import subprocess
import sys

import pytest

from tests.paths import REPO

ADDRESS_SPACE = 3 * 1024 ** 3       # bytes: far above what these kilobyte inputs need


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


@pytest.mark.timeout(1800)
@pytest.mark.parametrize("target", ["transcript", "subtitles", "codebook"])
def test_parser_holds_under_fuzzing(target):
    env = {**os.environ, "PYTHONPATH": str(REPO), "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-m", "tests.reliability.fuzz_targets", target], cwd=REPO, env=env,
                          capture_output=True, text=True, preexec_fn=_limit, timeout=1700)
    assert proc.returncode == 0 and proc.stdout.strip().endswith("ok"), proc.stdout[-3000:] + proc.stderr[-3000:]
