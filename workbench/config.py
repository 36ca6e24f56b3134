"""Settings from the environment (and ``.streamlit/secrets.toml`` for the app).

Precedence: explicit argument > environment variable > secrets file > default.
"""
from __future__ import annotations

import getpass
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_DATABASE_URL = "sqlite:///workbench.db"
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _secrets() -> dict:
    path = Path(".streamlit") / "secrets.toml"
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError):
        return {}


def _default_coder() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in some containers
        return "coder"


@dataclass(frozen=True)
class Settings:
    """Where the workbench keeps things and who is working."""

    database_url: str = DEFAULT_DATABASE_URL
    coder: str = field(default_factory=_default_coder)
    exports_dir: Path = PROJECT_ROOT / "exports"
    media_dir: Path = Path("media")
    demo_dir: Path = PROJECT_ROOT / "transcripts"
    codebooks_dir: Path = PROJECT_ROOT / "codebooks"
    max_upload_bytes: int = 200 * 1024 * 1024


def load_settings(database_url: str | None = None, coder: str | None = None) -> Settings:
    """Settings for this process: arguments win over ``WORKBENCH_*`` variables and secrets."""
    secrets = _secrets().get("workbench", {})
    url = (database_url or os.environ.get("WORKBENCH_DATABASE_URL")
           or secrets.get("database_url") or DEFAULT_DATABASE_URL)
    who = coder or os.environ.get("WORKBENCH_CODER") or secrets.get("coder") or _default_coder()
    media = Path(os.environ.get("WORKBENCH_MEDIA_DIR") or secrets.get("media_dir") or "media")
    exports = Path(os.environ.get("WORKBENCH_EXPORTS_DIR") or secrets.get("exports_dir")
                   or PROJECT_ROOT / "exports")
    limit_mb = os.environ.get("WORKBENCH_MAX_UPLOAD_MB") or secrets.get("max_upload_mb")
    try:
        max_upload = int(float(limit_mb) * 1024 * 1024) if limit_mb else Settings.max_upload_bytes
    except ValueError:
        max_upload = Settings.max_upload_bytes
    return Settings(database_url=url, coder=who, media_dir=media, exports_dir=exports, max_upload_bytes=max_upload)
