"""The default model: `embedded` is the base model plus the adapter the package ships (checked against its
manifest and model card), `embedded-base` the raw base model."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from aoi.graph.models import ModelError, load_model
from aoi.graph.models.llamacpp import EMBEDDED_NAME
from aoi.models import ADAPTER_FILE, AdapterError, manifest, package_dir, sha256_of, ship_adapter, shipped_adapter
from aoi.training.tiny import build_tiny_gguf


def test_shipping_writes_a_manifest_and_a_damaged_adapter_is_refused(tmp_path: Path) -> None:
    adapter = build_tiny_gguf(tmp_path / "a.gguf")
    package = tmp_path / "pkg"
    package.mkdir()
    assert shipped_adapter(package) is None  # no manifest: nothing shipped

    shipped = ship_adapter(adapter, {"steps": 3}, package)

    meta = manifest(package)
    assert meta is not None and meta["sha256"] == sha256_of(adapter) and meta["steps"] == 3
    assert shipped_adapter(package) == shipped
    shipped.write_bytes(shipped.read_bytes()[:-1] + b"\0")
    with pytest.raises(AdapterError, match="does not match its manifest"):
        shipped_adapter(package)
    shipped.unlink()
    with pytest.raises(AdapterError, match="no such file"):
        shipped_adapter(package)


def test_an_oversized_adapter_is_not_shipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("aoi.models.MAX_ADAPTER_BYTES", 10)
    with pytest.raises(AdapterError, match="under 10"):
        ship_adapter(build_tiny_gguf(tmp_path / "a.gguf"), {}, tmp_path)


def test_a_damaged_shipped_adapter_is_a_clear_model_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(directory: Path | None = None) -> Path:
        raise AdapterError("default-adapter.gguf does not match its manifest")

    monkeypatch.setattr("aoi.models.shipped_adapter", broken)
    with pytest.raises(ModelError, match="does not match"):
        load_model("embedded")
    assert load_model("embedded-base").name == EMBEDDED_NAME  # the base model stays usable


def test_the_shipped_adapter_matches_its_model_card_and_loads_with_the_base() -> None:
    meta = manifest()
    embedded = load_model("embedded")
    if meta is None:  # a checkout before the first adapter was shipped
        assert embedded.name == EMBEDDED_NAME
        return
    card = (package_dir() / "MODEL_CARD.md").read_text()
    assert re.search(rf"sha256[^0-9a-f]*{meta['sha256']}", card), "MODEL_CARD.md must state the adapter's sha256"
    assert sha256_of(package_dir() / ADAPTER_FILE) == meta["sha256"]
    assert embedded.name == f"{EMBEDDED_NAME}+lora:{ADAPTER_FILE}"
    with embedded as model:
        assert model.complete([{"role": "user", "content": "Say ok."}], max_tokens=2).completion_tokens >= 1
    with load_model("embedded-base") as base:
        assert base.name == EMBEDDED_NAME
        assert base.complete([{"role": "user", "content": "Say ok."}], max_tokens=2).completion_tokens >= 1


def test_aoi_train_ship_copies_the_adapter_records_the_run_and_updates_the_card(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from click.testing import CliRunner

    from aoi.cli import main

    package = tmp_path / "pkg"
    package.mkdir()
    (package / "MODEL_CARD.md").write_text("Adapter sha256: `0000`\n")
    monkeypatch.setattr("aoi.models.package_dir", lambda: package)
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text(json.dumps({"mode": "sft", "lora_r": 32}))
    (run / "train_log.jsonl").write_text(json.dumps({"step": 7, "elapsed_s": 70.0, "loss": 0.3}) + "\n")
    adapter = build_tiny_gguf(tmp_path / "adapter.gguf")

    result = CliRunner().invoke(main, ["train", "ship", "--adapter-gguf", str(adapter), "--run", str(run)])

    assert result.exit_code == 0, result.output
    meta = manifest(package)
    assert meta is not None and meta["steps"] == 7 and meta["config"]["lora_r"] == 32
    assert (package / "MODEL_CARD.md").read_text() == f"Adapter sha256: `{sha256_of(adapter)}`\n"
    missing = CliRunner().invoke(main, ["train", "ship", "--adapter-gguf", str(tmp_path / "no.gguf"),
                                        "--run", str(run)])
    assert missing.exit_code != 0 and "does not exist" in missing.output
