"""A tiny, randomly initialised Gemma 3 model as a GGUF file, built offline in a second.

It has the embedded model's architecture (`gemma3`: QK-norm, sandwich norms, GeGLU, tied embeddings, head_dim 256)
and file conventions (norm weights stored as HF + 1, a sentencepiece vocabulary with byte fallback and Gemma's turn
tokens), so the whole training path — GGUF → transformers → LoRA → SFT/GRPO → GGUF → llama.cpp — runs on it in
seconds. Tests, the training notebook and `aoi train tiny-model` use it; it knows nothing.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from pathlib import Path

SPECIALS = ("<pad>", "<eos>", "<bos>", "<unk>", "<start_of_turn>", "<end_of_turn>")
"""Ids 0-5, as in Gemma's vocabulary order for the first four."""
_WORDS = ("▁the", "▁is", "▁to", "▁of", "▁and", "tool", "args", "action", "probe", "submit", "summary", "phase",
          "hypothesis", "confidence", "service", "get_", "logs", "pods", "user", "model", "▁{", '":', '▁"', '",')


@dataclass(frozen=True, slots=True)
class TinyConfig:
    hidden: int = 64
    layers: int = 2
    heads: int = 2
    kv_heads: int = 1
    head_dim: int = 256
    """256 like the embedded model, so transformers' default attention scale matches llama.cpp's."""
    intermediate: int = 128
    context: int = 2048
    sliding_window: int = 512


def tiny_vocab() -> tuple[list[str], list[float], list[int]]:
    """(tokens, scores, token types) of a small sentencepiece vocabulary with byte fallback."""
    from gguf import TokenType

    tokens = list(SPECIALS)
    types = [TokenType.CONTROL, TokenType.CONTROL, TokenType.CONTROL, TokenType.UNKNOWN, TokenType.CONTROL,
             TokenType.CONTROL]
    tokens += [f"<0x{b:02X}>" for b in range(256)]
    types += [TokenType.BYTE] * 256
    pieces = ["▁", *[c for c in string.printable if c not in " \t\n\r\x0b\x0c"], *_WORDS]
    tokens += pieces
    types += [TokenType.NORMAL] * len(pieces)
    scores = [0.0] * (len(SPECIALS) + 256) + [-float(i) for i in range(len(pieces))]
    return tokens, scores, [int(t) for t in types]


def build_tiny_gguf(path: str | Path, *, seed: int = 0, config: TinyConfig | None = None) -> Path:
    """Write a tiny random Gemma 3 GGUF (F32) to `path` and return it."""
    import numpy as np
    from gguf import GGUFWriter, LlamaFileType

    cfg = config or TinyConfig()
    rng = np.random.default_rng(seed)
    tokens, scores, types = tiny_vocab()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = GGUFWriter(str(path), "gemma3")
    writer.add_name("aoi-tiny-gemma3")
    writer.add_file_type(LlamaFileType.ALL_F32)
    writer.add_context_length(cfg.context)
    writer.add_embedding_length(cfg.hidden)
    writer.add_block_count(cfg.layers)
    writer.add_feed_forward_length(cfg.intermediate)
    writer.add_head_count(cfg.heads)
    writer.add_head_count_kv(cfg.kv_heads)
    writer.add_key_length(cfg.head_dim)
    writer.add_value_length(cfg.head_dim)
    writer.add_layer_norm_rms_eps(1e-6)
    writer.add_rope_freq_base(1_000_000.0)
    writer.add_sliding_window(cfg.sliding_window)
    writer.add_tokenizer_model("llama")
    writer.add_tokenizer_pre("default")
    writer.add_token_list(tokens)
    writer.add_token_scores(scores)
    writer.add_token_types(types)
    writer.add_bos_token_id(2)
    writer.add_eos_token_id(1)
    writer.add_unk_token_id(3)
    writer.add_pad_token_id(0)
    writer.add_add_bos_token(True)
    writer.add_add_eos_token(False)
    writer.add_add_space_prefix(False)

    def matrix(rows: int, cols: int) -> np.ndarray:
        return (rng.standard_normal((rows, cols)) * 0.05).astype(np.float32)

    def norm(size: int) -> np.ndarray:  # stored as HF + 1, like every Gemma GGUF
        return (1.0 + rng.standard_normal(size) * 0.05).astype(np.float32)

    q, kv = cfg.heads * cfg.head_dim, cfg.kv_heads * cfg.head_dim
    writer.add_tensor("token_embd.weight", matrix(len(tokens), cfg.hidden))
    for i in range(cfg.layers):
        for name, value in (("attn_norm", norm(cfg.hidden)), ("attn_q", matrix(q, cfg.hidden)),
                            ("attn_k", matrix(kv, cfg.hidden)), ("attn_v", matrix(kv, cfg.hidden)),
                            ("attn_q_norm", norm(cfg.head_dim)), ("attn_k_norm", norm(cfg.head_dim)),
                            ("attn_output", matrix(cfg.hidden, q)), ("post_attention_norm", norm(cfg.hidden)),
                            ("ffn_norm", norm(cfg.hidden)), ("ffn_gate", matrix(cfg.intermediate, cfg.hidden)),
                            ("ffn_up", matrix(cfg.intermediate, cfg.hidden)),
                            ("ffn_down", matrix(cfg.hidden, cfg.intermediate)), ("post_ffw_norm", norm(cfg.hidden))):
            writer.add_tensor(f"blk.{i}.{name}.weight", value)
    writer.add_tensor("output_norm.weight", norm(cfg.hidden))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path
