"""A trained LoRA adapter back into the agent: a merged GGUF, or a llama.cpp LoRA-adapter GGUF.

Both follow `shared/notes/gguf-roundtrip.md` (measured there on the embedded model):

* `merged` (default): a complete GGUF. Every metadata field and every tensor the adapter does not change is copied
  byte for byte from the base GGUF (re-quantizing K-quants is not idempotent); each changed matrix is written as
  W + (alpha/r)·B·A over the dequantized original, in F16 (or F32 / Q8_0). One self-contained file:
  `aoi diagnose --model trained.gguf`.
* `adapter`: `<tensor>.lora_a` / `.lora_b` with `adapter.lora.alpha` set (without it llama.cpp silently uses scale
  1): `aoi diagnose --model base.gguf+lora:adapter.gguf`.

The merge is done on the GGUF side from the adapter's safetensors, so it needs neither transformers nor the base
model loaded into torch. Only LoRA on linear layers is supported (what `aoi train` produces); an adapter with
`modules_to_save` or DoRA is refused.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

ChangedType = Literal["f16", "f32", "q8_0"]
_PEFT_PREFIX = "base_model.model."


class GGUFExportError(ValueError):
    """The adapter cannot be exported onto this base; the message says why."""


@dataclass(frozen=True, slots=True)
class ExportSummary:
    path: Path
    changed: int
    copied: int
    bytes: int


def read_adapter(adapter_dir: str | Path) -> tuple[dict[str, Any], dict[str, tuple[Any, Any]]]:
    """(adapter_config, {hf module name: (A, B)}) of a peft LoRA adapter folder, as float32 numpy arrays.

    Raises:
        GGUFExportError: the folder is not a LoRA adapter this export supports.
    """
    import numpy as np
    from safetensors.numpy import load_file

    folder = Path(adapter_dir)
    config_path, weights_path = folder / "adapter_config.json", folder / "adapter_model.safetensors"
    if not config_path.is_file() or not weights_path.is_file():
        raise GGUFExportError(f"{folder} is not a LoRA adapter folder (adapter_config.json and "
                              f"adapter_model.safetensors); train one with `aoi train sft|grpo`")
    config = json.loads(config_path.read_text())
    if config.get("peft_type", "LORA") != "LORA" or config.get("modules_to_save") or config.get("use_dora"):
        raise GGUFExportError("only plain LoRA on linear layers can be exported (no modules_to_save, no DoRA)")
    tensors = load_file(str(weights_path))
    pairs: dict[str, dict[str, Any]] = {}
    for key, value in tensors.items():
        for part in ("lora_A", "lora_B"):
            marker = f".{part}."
            if marker in key:
                module = key.split(marker)[0].removeprefix(_PEFT_PREFIX)
                pairs.setdefault(module, {})[part] = value.astype(np.float32)
    incomplete = [m for m, p in pairs.items() if set(p) != {"lora_A", "lora_B"}]
    if incomplete or not pairs:
        raise GGUFExportError(f"adapter {folder} has no complete LoRA pairs ({', '.join(incomplete) or 'none'})")
    return config, {m: (p["lora_A"], p["lora_B"]) for m, p in pairs.items()}


def lora_scale(config: dict[str, Any]) -> float:
    r, alpha = float(config["r"]), float(config["lora_alpha"])
    return alpha / math.sqrt(r) if config.get("use_rslora") else alpha / r


def gguf_names(base: Any, modules: list[str]) -> dict[str, str]:
    """HF module name → GGUF tensor name (`model.layers.0.self_attn.q_proj` → `blk.0.attn_q.weight`).

    Raises:
        GGUFExportError: a module has no tensor in the base GGUF.
    """
    import gguf

    arch = str(bytes(base.fields["general.architecture"].parts[-1]), "utf-8")
    arch_enum = next(k for k, v in gguf.MODEL_ARCH_NAMES.items() if v == arch)
    layers = int(base.fields[f"{arch}.block_count"].parts[-1][0])
    name_map = gguf.get_tensor_name_map(arch_enum, layers)
    present = {t.name for t in base.tensors}
    names = {}
    for module in modules:
        mapped = name_map.get_name(module)
        if mapped is None or f"{mapped}.weight" not in present:
            raise GGUFExportError(f"the adapter's module {module} has no tensor in the base GGUF "
                                  f"(was it trained on another model?)")
        names[module] = f"{mapped}.weight"
    return names


def export_merged(adapter_dir: str | Path, base_gguf: str | Path, out_path: str | Path, *,
                  changed_type: ChangedType = "f16") -> ExportSummary:
    """Write base + LoRA as one GGUF at `out_path` (see the module docstring).

    Raises:
        GGUFExportError: the adapter does not fit the base.
    """
    import numpy as np
    from gguf import GGMLQuantizationType, GGUFReader, GGUFWriter, quants

    config, pairs = read_adapter(adapter_dir)
    base = GGUFReader(str(base_gguf))
    arch = str(bytes(base.fields["general.architecture"].parts[-1]), "utf-8")
    by_tensor = {name: module for module, name in gguf_names(base, list(pairs)).items()}
    scale = lora_scale(config)
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    writer = GGUFWriter(str(partial), arch)
    _copy_fields(base, writer)
    changed = copied = 0
    for tensor in base.tensors:
        module = by_tensor.get(tensor.name)
        if module is None:
            writer.add_tensor(tensor.name, np.asarray(tensor.data), raw_dtype=tensor.tensor_type)
            copied += 1
            continue
        a, b = pairs[module]
        weight = quants.dequantize(tensor.data, tensor.tensor_type).astype(np.float32)
        merged = weight + scale * (b @ a)
        if merged.shape != weight.shape:
            raise GGUFExportError(f"{tensor.name}: the adapter's delta is {merged.shape}, the base is {weight.shape}")
        if changed_type == "f32":
            writer.add_tensor(tensor.name, merged)
        elif changed_type == "f16":
            writer.add_tensor(tensor.name, merged.astype(np.float16))
        else:
            writer.add_tensor(tensor.name, quants.quantize(merged, GGMLQuantizationType.Q8_0),
                              raw_dtype=GGMLQuantizationType.Q8_0)
        changed += 1
    _finish(writer)
    partial.replace(out)
    return ExportSummary(out, changed, copied, out.stat().st_size)


def export_adapter(adapter_dir: str | Path, base_gguf: str | Path, out_path: str | Path) -> ExportSummary:
    """Write the LoRA as a llama.cpp adapter GGUF for `base_gguf` (load with `lora_path=`).

    Raises:
        GGUFExportError: the adapter does not fit the base.
    """
    import gguf
    import numpy as np

    config, pairs = read_adapter(adapter_dir)
    base = gguf.GGUFReader(str(base_gguf))
    arch = str(bytes(base.fields["general.architecture"].parts[-1]), "utf-8")
    names = gguf_names(base, list(pairs))
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    writer = gguf.GGUFWriter(str(out), arch)
    writer.add_string(gguf.Keys.General.TYPE, gguf.GGUFType.ADAPTER)
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    # llama.cpp scales by alpha / r with r read from lora_b; rsLoRA's alpha/sqrt(r) needs alpha*sqrt(r) here.
    r = float(config["r"])
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, lora_scale(config) * r)
    for module in sorted(pairs):
        a, b = pairs[module]
        writer.add_tensor(f"{names[module]}.lora_a", np.ascontiguousarray(a, dtype=np.float32))
        writer.add_tensor(f"{names[module]}.lora_b", np.ascontiguousarray(b, dtype=np.float32))
    _finish(writer)
    return ExportSummary(out, len(pairs), 0, out.stat().st_size)


def _copy_fields(base: Any, writer: Any) -> None:
    """Every metadata field but the virtual `GGUF.*` ones and the architecture (the writer adds it)."""
    import gguf

    for field in base.fields.values():
        if field.name.startswith("GGUF.") or field.name == "general.architecture":
            continue
        if field.name == "general.alignment":
            writer.add_custom_alignment(int(field.parts[-1][0]))
            continue
        kind = field.types[0]
        sub = field.types[-1] if kind == gguf.GGUFValueType.ARRAY else None
        writer.add_key_value(field.name, field.contents(), kind, sub_type=sub)


def _finish(writer: Any) -> None:
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
