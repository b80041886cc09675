"""Training: episodes → datasets (`export`), verifiable rewards (`rewards`), SFT and GRPO with TRL (`trainer`), and
the trained weights back into a GGUF the agent loads (`gguf_export`).

Heavy dependencies (torch, transformers, trl, peft, datasets, gguf) are imported inside functions, never here.
"""
