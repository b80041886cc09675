"""The trained default model: a LoRA adapter for the embedded Gemma 3 270M, shipped inside the package.

`load_model("embedded")` is the base model plus this adapter when the package holds one (`shipped_adapter()`),
`load_model("embedded-base")` the raw base model. `adapter.json` names the adapter file and its sha256, which the
model card (`MODEL_CARD.md`) states too; the file is checked against it before llama.cpp reads it, so a damaged or
swapped adapter is refused rather than silently loaded. `ship_adapter` writes both (`make train-default`).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from importlib import resources
from pathlib import Path
from typing import Any

MANIFEST = "adapter.json"
ADAPTER_FILE = "default-adapter.gguf"
MAX_ADAPTER_BYTES = 20 * 1024 * 1024
"""The shipped adapter's size limit: it travels inside the wheel."""


class AdapterError(ValueError):
    """The shipped adapter does not match its manifest (damaged, replaced or too large)."""


def package_dir() -> Path:
    return Path(str(resources.files(__name__)))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def manifest(directory: Path | None = None) -> dict[str, Any] | None:
    """The shipped adapter's manifest, or None when the package ships no adapter."""
    path = (directory or package_dir()) / MANIFEST
    return json.loads(path.read_text()) if path.is_file() else None


def shipped_adapter(directory: Path | None = None) -> Path | None:
    """The shipped adapter's path, checked against its manifest; None when there is none.

    Raises:
        AdapterError: the file is missing, too large, or its sha256 differs from the manifest's.
    """
    directory = directory or package_dir()
    meta = manifest(directory)
    if meta is None:
        return None
    path = directory / ADAPTER_FILE
    if not path.is_file():
        raise AdapterError(f"{MANIFEST} names {ADAPTER_FILE} but the package has no such file; reinstall AOI")
    if path.stat().st_size > MAX_ADAPTER_BYTES or sha256_of(path) != meta.get("sha256"):
        raise AdapterError(f"{path} does not match its manifest (size or sha256); reinstall AOI, or use "
                           "--model embedded-base")
    return path


def ship_adapter(adapter_gguf: Path, facts: dict[str, Any], directory: Path | None = None) -> Path:
    """Copy `adapter_gguf` into the package as the default adapter and write its manifest (sha256, size and
    `facts`: data, steps, time, scores). Returns the shipped path.

    Raises:
        AdapterError: the adapter is larger than `MAX_ADAPTER_BYTES`.
    """
    directory = directory or package_dir()
    size = adapter_gguf.stat().st_size
    if size > MAX_ADAPTER_BYTES:
        raise AdapterError(f"{adapter_gguf} is {size} bytes; a shipped adapter must stay under {MAX_ADAPTER_BYTES}")
    target = directory / ADAPTER_FILE
    shutil.copyfile(adapter_gguf, target)
    meta = {"file": ADAPTER_FILE, "sha256": sha256_of(target), "bytes": size, **facts}
    (directory / MANIFEST).write_text(json.dumps(meta, indent=2) + "\n")
    return target
