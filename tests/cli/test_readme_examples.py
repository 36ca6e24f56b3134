"""The README's command examples run, in the README's order, against the demo as `workbench demo`
builds it. Reference lines that show a syntax (SOURCE, CODING_ID, a | b, [optional]) and the
few commands that need something outside the repository are skipped, each for a reason written
here - and those reasons must still match a line of the README, so this list cannot rot."""
from __future__ import annotations

import glob
import re
import shlex

from tests.cli.test_cli import runner, wb  # noqa: F401 - the CLI runner and its fixture
from tests.paths import REPO
from workbench.cli import app

# A command starting like this is not run, for this reason.
NEEDS_OUTSIDE = {
    "workbench transcribe": "needs recordings of your own (tests/transcription runs real ones)",
    "workbench worker": "runs until stopped (tests/transcription runs it once)",
    "workbench llm set": "needs an LLM server (tests/autocode/test_llm.py starts a stub one)",
    "workbench import interviews/": "names a folder of your own",
    "workbench cases import cases.csv": "names a file of your own",
    "workbench codebook load my-codebook.yaml": "names a file of your own",
    "workbench restore backups/study-20261123.db": "names a dated backup of your own",
    "workbench export-transcript interview-07": "names a recording transcribed above",
}
PLACEHOLDER = re.compile(r"\b(SOURCE|CODE|CODING_ID|ID|NAME|FILES?)\b|\||\[[-\w/. ]+\]| / workbench ")


def readme_commands() -> list[str]:
    """Every ``workbench ...`` line of the README's bash blocks, continuations joined, comments cut."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", text, re.S):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.strip()
            if line.startswith("workbench "):
                commands.append(re.split(r"\s#\s", line)[0].strip())
    return commands


def _args(command: str) -> list[str]:
    out = []
    for token in shlex.split(command)[1:]:
        if token.startswith(("transcripts/", "codebooks/")):
            token = str(REPO / token)
        out.extend(sorted(glob.glob(token)) if "*" in token and "/" in token else [token])
    return out


def test_the_readme_commands_run_on_the_demo(wb, monkeypatch):  # noqa: F811
    monkeypatch.chdir(wb.tmp)                     # outputs (reports, exports) land in the test's folder
    commands = readme_commands()
    skipped = {}
    ran = []
    for command in commands:
        reason = next((why for start, why in NEEDS_OUTSIDE.items() if command.startswith(start)), None)
        if reason is None and PLACEHOLDER.search(command):
            reason = "shows a syntax"
        if reason:
            skipped[command] = reason
            continue
        if command.startswith("workbench import-qdpx"):
            # The README imports a file from another tool: here, the project exported just before.
            command = command.replace("from-nvivo.qdpx", "study.qdpx --name Copy")
        result = runner.invoke(app, _args(command))
        if "import-qdpx" in command:               # two projects now: the rest is about the demo
            monkeypatch.setenv("WORKBENCH_PROJECT", "Demo: IT/electronics vs textile SMEs")
        assert result.exit_code == 0, f"README example failed: {command}\n{result.output}\n{result.exception!r}"
        ran.append(command)
    assert len(ran) >= 30 and "workbench demo" in ran
    for start in NEEDS_OUTSIDE:                   # every reason still names a README line
        assert any(c.startswith(start) for c in commands), f"no README line starts with {start!r} any more"
    assert (wb.tmp / "roles.docx").stat().st_size > 10_000 and (wb.tmp / "study.qdpx").exists()
