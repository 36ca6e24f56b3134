"""Settings from the environment (and ``.streamlit/secrets.toml`` for the app).

Precedence: explicit argument > environment variable > secrets file > default.
"""
from __future__ import annotations

import getpass
import json
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


LOOPBACK = ("127.0.0.1", "localhost", "::1")


def exposure_warning(address: str | None, login: bool = False) -> str | None:
    """What to tell the researcher when the app is reachable from other machines without a
    login (the default binds 127.0.0.1), or None. ``address`` is Streamlit's ``server.address``
    (empty: every interface); ``login``: an OpenID Connect login is configured ([auth])."""
    if login or (address or "").strip().strip("[]") in LOOPBACK:
        return None
    where = f"on {address}" if address else "on every network interface"
    return (f"This workbench listens {where} and has no login: anyone who can reach this machine can read "
            "and change every interview. Start it on 127.0.0.1 (scripts/start.sh does), or add an [auth] section "
            "to .streamlit/secrets.toml so that everyone logs in (see the README, 'Sharing the app').")


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
    return Settings(database_url=database_url_of(url), coder=who, media_dir=media, exports_dir=exports,
                    max_upload_bytes=max_upload)


def database_url_of(value: str) -> str:
    """A database URL, or a file path (``study.db``, ``~/projects/study.db``) as its SQLite URL:
    researchers type the file they mean."""
    value = value.strip()
    if "://" in value:
        return value
    return f"sqlite:///{Path(value).expanduser().resolve()}"


def model_cache_dir() -> Path:
    """Where models shipped in packages are unpacked or joined once (``WORKBENCH_MODEL_CACHE``,
    else the user's cache folder)."""
    base = os.environ.get("WORKBENCH_MODEL_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "interview-workbench", "models")
    return Path(base)


@dataclass(frozen=True)
class LLMSettings:
    """An OpenAI-compatible endpoint for the LLM suggester; none is used unless one is set."""

    url: str = ""                                   # e.g. http://127.0.0.1:11434/v1 (Ollama)
    model: str = ""
    api_key: str = field(default="", repr=False)    # never printed
    timeout: float = 120.0                          # seconds per answer

    @property
    def configured(self) -> bool:
        return bool(self.url.strip() and self.model.strip())


def llm_settings_file() -> Path:
    """Where the app's settings page keeps the endpoint (``WORKBENCH_CONFIG_DIR``, else the user's
    config folder); readable by the user alone, since it may hold a key."""
    base = os.environ.get("WORKBENCH_CONFIG_DIR") or os.path.join(
        os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config"), "interview-workbench")
    return Path(base) / "llm.toml"


def load_llm_settings() -> LLMSettings:
    """The LLM endpoint: ``WORKBENCH_LLM_URL`` / ``_MODEL`` / ``_API_KEY`` / ``_TIMEOUT`` win over
    the ``[llm]`` section of secrets, which wins over the settings file."""
    try:
        with llm_settings_file().open("rb") as fh:
            saved = tomllib.load(fh).get("llm", {})
    except (OSError, tomllib.TOMLDecodeError):
        saved = {}
    secrets = _secrets().get("llm", {})

    def pick(key: str, default: str = "") -> str:
        return str(os.environ.get(f"WORKBENCH_LLM_{key.upper()}") or secrets.get(key) or saved.get(key) or default)
    try:
        timeout = float(pick("timeout", "120"))
    except ValueError:
        timeout = 120.0
    return LLMSettings(url=pick("url").strip(), model=pick("model").strip(), api_key=pick("api_key"),
                       timeout=max(timeout, 1.0))


def save_llm_settings(settings: LLMSettings) -> Path:
    """Keep the endpoint for the next sessions (mode 0600, written whole or not at all)."""
    path = llm_settings_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    # TOML basic strings take JSON's escapes for quotes, backslashes and control characters.
    lines = ["[llm]"] + [f"{key} = {json.dumps(str(value))}" for key, value in
                         (("url", settings.url), ("model", settings.model), ("api_key", settings.api_key),
                          ("timeout", settings.timeout))]
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    os.replace(tmp, path)
    return path
