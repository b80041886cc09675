"""Loading the model to train, and the prompt text it is trained on.

CPU: the GGUF (the embedded Gemma 3 270M by default) is dequantized into transformers (`gguf_file=`), in float32,
and LoRA is added by TRL from a peft config. GPU: Unsloth loads the same weights (4-bit, its own LoRA) — Unsloth is
imported only there. Either way the dequantized checkpoint is cached next to the GGUF (`<data>/models/hf/...`), so
only the first run pays the ~40 s conversion.

The prompt text is built exactly as the agent's llama.cpp backend builds it (Gemma turns, the system message folded
into the first user turn), so a trained model sees at training time the bytes it will see in the agent.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aoi.graph.models.base import Message

if TYPE_CHECKING:
    from aoi.training.config import TrainConfig

END_OF_TURN = "<end_of_turn>"


def prompt_text(messages: list[Message]) -> str:
    """The chat prompt exactly as `LlamaCppModel` renders it (without the BOS token, which tokenizing adds)."""
    from llama_cpp.llama_chat_format import format_gemma

    from aoi.graph.models.llamacpp import gemma_messages

    return format_gemma(gemma_messages(messages)).prompt


def base_gguf(base: str) -> Path:
    """The GGUF file a `base` names: `embedded` (assembled on first use) or a path.

    Raises:
        ModelError: the file is missing or is not a GGUF.
    """
    from aoi.graph.models.llamacpp import check_gguf, embedded_model_path

    return embedded_model_path() if base in ("embedded", "embedded-base") else check_gguf(Path(base))


def hf_checkpoint(gguf_path: Path) -> Path:
    """A transformers checkpoint (model + tokenizer) dequantized from `gguf_path`, cached by the file's identity."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from aoi.store.db import data_dir

    stat = gguf_path.stat()
    key = hashlib.sha256(f"{gguf_path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:12]
    target = data_dir() / "models" / "hf" / f"{gguf_path.stem}-{key}"
    if (target / "config.json").is_file():
        return target
    partial = target.with_name(target.name + ".partial")
    tokenizer = AutoTokenizer.from_pretrained(str(gguf_path.parent), gguf_file=gguf_path.name)
    model = AutoModelForCausalLM.from_pretrained(str(gguf_path.parent), gguf_file=gguf_path.name,
                                                 dtype="float32")
    # transformers marks a GGUF-loaded model as "quantized with gguf"; its weights are plain float32 by now.
    model.hf_quantizer = None
    model.config.__dict__.pop("quantization_config", None)
    model.save_pretrained(str(partial))
    tokenizer.save_pretrained(str(partial))
    partial.rename(target)
    return target


def use_gpu(cfg: TrainConfig) -> bool:
    import torch

    if cfg.device == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device 'cuda' was asked for but torch sees no GPU; use --device cpu or auto")
    return cfg.device == "cuda" or (cfg.device == "auto" and torch.cuda.is_available())


def use_bf16(cfg: TrainConfig) -> bool:
    """Whether to train in bf16 mixed precision (see `TrainConfig.precision`)."""
    import torch

    if cfg.precision != "auto":
        return cfg.precision == "bf16"
    return use_gpu(cfg) or bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())


def load_for_training(cfg: TrainConfig) -> tuple[Any, Any, Any]:
    """(model, tokenizer, peft_config): the base model to train, its tokenizer, and the LoRA config TRL applies
    (None when the loader already added LoRA, as Unsloth does)."""
    from peft import LoraConfig
    from transformers import AutoModelForCausalLM, AutoTokenizer

    checkpoint = hf_checkpoint(base_gguf(cfg.base))
    if use_gpu(cfg):
        return _load_unsloth(cfg, checkpoint)
    tokenizer = AutoTokenizer.from_pretrained(str(checkpoint))
    model = AutoModelForCausalLM.from_pretrained(str(checkpoint), dtype="float32")
    lora = LoraConfig(r=cfg.lora_r, lora_alpha=cfg.lora_alpha, lora_dropout=cfg.lora_dropout,
                      target_modules=list(cfg.target_modules), task_type="CAUSAL_LM")
    _stop_at_turn_end(model, tokenizer)
    return model, tokenizer, lora


def _load_unsloth(cfg: TrainConfig, checkpoint: Path) -> tuple[Any, Any, None]:  # pragma: no cover - GPU only
    from unsloth import FastLanguageModel

    model, tokenizer = FastLanguageModel.from_pretrained(model_name=str(checkpoint), load_in_4bit=True,
                                                         max_seq_length=8192)
    model = FastLanguageModel.get_peft_model(model, r=cfg.lora_r, lora_alpha=cfg.lora_alpha,
                                             lora_dropout=cfg.lora_dropout, target_modules=list(cfg.target_modules),
                                             random_state=cfg.seed)
    _stop_at_turn_end(model, tokenizer)
    return model, tokenizer, None


def _stop_at_turn_end(model: Any, tokenizer: Any) -> None:
    """Generation ends at Gemma's `<end_of_turn>` as well as at EOS (llama.cpp stops there in the agent)."""
    turn_end = tokenizer.convert_tokens_to_ids(END_OF_TURN)
    eos = model.generation_config.eos_token_id
    ids = [eos] if isinstance(eos, int) else list(eos or [])
    if isinstance(turn_end, int) and turn_end != tokenizer.unk_token_id and turn_end not in ids:
        model.generation_config.eos_token_id = [*ids, turn_end]
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
