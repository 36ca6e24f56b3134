"""The set-up scripts say what they do: pip's output becomes one line per package collected
(the first install took 100 silent seconds before), and the whole output goes to the log."""
from __future__ import annotations

import subprocess

from tests.paths import REPO

PIP_SAYS = """Collecting numpy>=2.0 (from -r requirements.txt (line 21))
  Downloading numpy-2.3.0-cp311-manylinux_2_28_x86_64.whl (16.6 MB)
Collecting pandas<4,>=2.2
Requirement already satisfied: six in ./.venv/lib/python3.11/site-packages
Installing collected packages: numpy, pandas, interview-workbench
Successfully installed numpy-2.3.0 pandas-2.3.1
"""


def test_pip_progress_prints_each_package_and_keeps_the_whole_log(tmp_path):
    log = tmp_path / "pip.log"
    out = subprocess.run(["bash", str(REPO / "scripts" / "pip_progress.sh"), str(log)], input=PIP_SAYS,
                         capture_output=True, text=True, check=True).stdout.splitlines()
    assert [line.split()[-1] for line in out[:2]] == ["numpy>=2.0", "pandas<4,>=2.2"]
    assert "writing 3 package(s)" in out[2] and len(out) == 3
    assert log.read_text() == PIP_SAYS
    quiet = subprocess.run(["bash", str(REPO / "scripts" / "pip_progress.sh"), str(log)],
                           input="Requirement already satisfied: six\n", capture_output=True, text=True).stdout
    assert quiet.strip() == "already installed"


def test_setup_says_its_steps():
    text = (REPO / "scripts" / "setup.sh").read_text()
    assert text.count("step ") >= 3 and "pip_progress.sh" in text and "First start" in text
