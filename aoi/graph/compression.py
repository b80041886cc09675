"""The Compressor: stateless, deterministic reduction of tool output to a character budget.

Raw tool output never reaches the Observer: `compress` always returns at most `budget_chars` characters of text in
all. It works rule-first, the way an error-pattern tool does: blank lines and consecutive repeats go, and in
log-like output (logs, events, traces) lines that differ only in numbers, ids, hashes, addresses and timestamps
collapse into their first occurrence with a `[×N]` count. Only if that is still over budget does the model
summarise (the paper's semantic compression), longest pieces first; what is still over budget after that is cut,
each piece to its fair share, keeping a table's header and error/warning lines before anything else.

`injection_flags` lives here too because it reads the same raw text: the heuristics that mark telemetry trying to
instruct the agent. They only flag; the graph decides (it refuses a write whose target appears only in flagged
text).
"""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aoi.tools.registry import WRITE_TOOLS

# -- data -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Observation:
    """One tool result as the probe returned it."""

    tool: str
    args: Mapping[str, Any]
    text: str
    error: bool = False
    """The tool reported an error (the text is its message)."""


@dataclass(frozen=True, slots=True)
class CompressedObservation:
    """One tool result as the Observer may see it."""

    tool: str
    args: Mapping[str, Any]
    text: str
    error: bool = False
    original_chars: int = 0
    """Length of the raw text, so the prompt can say how much was left out."""
    flags: tuple[str, ...] = ()
    """`injection_flags` of the raw text, computed before anything was cut (cutting must not hide them)."""


# -- rules ------------------------------------------------------------------------------------------------------
COUNT_SUFFIX = re.compile(r" \[×(\d+)\]$")
"""How a collapsed line carries its count; read back so that compressing twice changes nothing."""

_LOG_TOOLS = frozenset({"get_logs", "get_error_logs", "get_events", "get_traces"})
"""Only log-like output collapses similar lines; in YAML, describe output, alerts or a table two lines that differ only
in a number (`port: 5000`, `port: 8080`) are different facts."""
_KUBECTL_LOGS = re.compile(r"\b(?:logs|events)\b|\bget\s+(?:ev|events)\b")
"""A `kubectl` command line whose output is log-like."""

_VARIABLE_PARTS = tuple((re.compile(p, re.I), token) for p, token in (
    (r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2})?(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?", "<TS>"),
    (r"\b\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?\b", "<TS>"),
    (r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", "<UUID>"),
    (r"\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b", "<IP>"),
    (r"\b(?:0x)?(?=[0-9a-f]*\d)[0-9a-f]{8,}\b", "<HEX>"),
    (r"(?<![A-Za-z])[-+]?\d+(?:\.\d+)?", "<N>"),
))
"""Normalisation, in order, that makes two occurrences of one log statement look the same."""

_ERROR_LINE = re.compile(
    r"\b(?:error|errors|err|fatal|panic|exception|traceback|fail|failed|failure|failing|warn|warning|critical|"
    r"crash\w*|oomkilled|oom|backoff|crashloopbackoff|imagepullbackoff|errimagepull|unhealthy|refused|"
    r"timeout|timed out|deadline exceeded|denied|unauthorized|forbidden|notready|not ready|evicted|killed|"
    r"killing|unavailable|unreachable|pending|firing)\b|\blevel=(?:error|warn)|\b[EWF]\d{4} ", re.I)
_COLUMN = r"[A-Z][A-Z0-9_()%/.:-]*(?: [A-Z][A-Z0-9_()%/.:-]*)*"
_HEADER = re.compile(rf"^{_COLUMN}(?: {{2,}}{_COLUMN})+ *$")
"""A `kubectl get`-style header: upper-case column names separated by runs of spaces."""

SUMMARY_INPUT_CHARS = 6000
"""What the summariser is shown of one piece (cut like any other piece): a small model's context is small."""


def compress(observations: list[Observation], *, budget_chars: int,
             summarize: Callable[[str], str] | None = None) -> list[CompressedObservation]:
    """Reduce `observations` to at most `budget_chars` characters of text in all (the sum of `.text` lengths).

    Deterministic for deterministic `summarize`; compressing the output again with the same budget returns it
    unchanged. Error observations are compressed like the others.

    Raises:
        ValueError: `budget_chars` is negative.
        Exception: whatever `summarize` raises; the caller owns the model and decides whether to retry.
    """
    if budget_chars < 0:
        raise ValueError(f"budget_chars must be >= 0, got {budget_chars}")
    texts = [o.text if _CUT.search(o.text) else _collapse(o.text, similar=_is_log_like(o)) for o in observations]
    if summarize is not None and sum(map(len, texts)) > budget_chars:
        for i in sorted(range(len(texts)), key=lambda i: (-len(texts[i]), i)):
            if sum(map(len, texts)) <= budget_chars:
                break
            summary = _collapse(f"[model summary of {len(observations[i].text)} characters]\n"
                                + summarize(_cut(texts[i], SUMMARY_INPUT_CHARS)), similar=_is_log_like(observations[i]))
            if len(summary) < len(texts[i]):
                texts[i] = summary
    shares = fair_shares([len(t) for t in texts], budget_chars)
    return [CompressedObservation(o.tool, o.args, _cut(t, s), o.error, len(o.text), tuple(injection_flags(o.text)))
            for o, t, s in zip(observations, texts, shares, strict=True)]


def fair_shares(sizes: list[int], budget: int) -> list[int]:
    """Max-min fair split of `budget` over pieces of `sizes`: small pieces keep all they have, the rest share
    the remainder equally (earlier pieces get the odd characters). The shares sum to at most `budget`."""
    shares = [0] * len(sizes)
    left, pending = budget, sorted(range(len(sizes)), key=lambda i: (sizes[i], i))
    while pending:
        even = left // len(pending)
        if sizes[pending[0]] <= even:
            i = pending.pop(0)
            shares[i] = sizes[i]
            left -= sizes[i]
            continue
        extra = left - even * len(pending)
        for rank, i in enumerate(sorted(pending)):
            shares[i] = even + (1 if rank < extra else 0)
        break
    return shares


def _is_log_like(observation: Observation) -> bool:
    if observation.tool in _LOG_TOOLS:
        return True
    return observation.tool == "kubectl" and bool(_KUBECTL_LOGS.search(str(observation.args.get("command", ""))))


def pattern(line: str) -> str:
    """`line` with its variable parts (timestamps, ids, hashes, addresses, numbers) replaced by placeholders."""
    for regex, token in _VARIABLE_PARTS:
        line = regex.sub(token, line)
    return line


def _collapse(text: str, *, similar: bool) -> str:
    """Drop blank lines; merge repeats into the first occurrence with a `[×N]` count: consecutive identical lines
    always, and in log-like text every line of the same `pattern`."""
    merged: list[list[Any]] = []  # [line, count]
    by_pattern: dict[str, int] = {}
    for raw in text.splitlines():
        line, count = raw.rstrip(), 1
        suffix = COUNT_SUFFIX.search(line)
        if suffix is not None:
            line, count = line[:suffix.start()].rstrip(), int(suffix.group(1))
        if not line.strip():
            continue
        if similar:
            key = pattern(line)
            if key in by_pattern:
                merged[by_pattern[key]][1] += count
                continue
            by_pattern[key] = len(merged)
        elif merged and merged[-1][0] == line:
            merged[-1][1] += count
            continue
        merged.append([line, count])
    return "\n".join(line if count == 1 else f"{line} [×{count}]" for line, count in merged)


def _cut(text: str, share: int) -> str:
    """`text` within `share` characters: the header and error lines first, then the rest in order, shown in
    their original order, followed by a marker saying what was cut."""
    if len(text) <= share:
        return text
    lines = text.split("\n")
    widest = _marker(len(text), len(text), len(lines), len(lines))
    room = share - len(widest) - 1
    if room <= 0:
        return next((m for m in (widest, "[cut]") if len(m) <= share), "")
    first = [0] if _HEADER.match(lines[0]) else []
    errors = [i for i in range(len(first), len(lines)) if _ERROR_LINE.search(lines[i])]
    rest = [i for i in range(len(first), len(lines)) if not _ERROR_LINE.search(lines[i])]
    chosen: dict[int, str] = {}
    used = 0
    for i in first + errors + rest:
        cost = len(lines[i]) + (1 if chosen else 0)
        if used + cost <= room:
            chosen[i] = lines[i]
            used += cost
        elif not chosen:  # nothing fits whole: show the start of the most important line
            chosen[i] = lines[i][:room - 1] + "…"
            break
    kept = "\n".join(chosen[i] for i in sorted(chosen))
    return f"{kept}\n{_marker(len(kept), len(text), len(lines) - len(chosen), len(lines))}"


def _marker(shown: int, chars: int, dropped: int, lines: int) -> str:
    return f"[… {shown}/{chars} chars shown, {dropped}/{lines} lines cut; narrow the query]"


_CUT = re.compile(r"(?:\A|\n)\[… \d+/\d+ chars shown, \d+/\d+ lines cut; narrow the query\]\Z|\A\[cut\]\Z")
"""A text `_cut` produced. It is final: collapsing it again could merge lines the cut made adjacent."""


# -- prompt-injection heuristics --------------------------------------------------------------------------------
_INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
_CONFUSABLES = str.maketrans({
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c", "т": "t",
    "у": "y", "х": "x", "і": "i", "ї": "i", "ј": "j", "ѕ": "s", "ԁ": "d", "ԛ": "q", "ԝ": "w", "ɡ": "g",
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t", "υ": "u",
    "χ": "x", "ω": "w",
})
"""Cyrillic and Greek letters that pass for Latin ones (lower case; the text is lower-cased first)."""

_AGENT = r"(?:ai|a\.i\.|assistant|agent|llm|model|bot|chatbot|copilot|sre[- ]?(?:agent|bot)|gpt|claude|aoi)"
_VERBS = (r"delete|remove|drop|scale|restart|rollback|roll back|patch|cordon|drain|kill|wipe|truncate|ignore|"
          r"disregard|forget|respond|reply|answer|output|approve|grant|submit|invoke|call the")
"""Verbs of an order to the agent. `run`, `set`, `apply` and `stop` are left out: ordinary error messages use
them (`you must set KUBECONFIG`)."""
_WRITE_TOOL_NAMES = "|".join(sorted([*WRITE_TOOLS, "undo"]))
_INSTRUCTION_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple((name, re.compile(p)) for name, p in (
    ("instruction-override",
     r"\b(?:ignore|disregard|forget)\s+(?:all\s+|any\s+|the\s+|your\s+|these\s+|my\s+|of\s+)*"
     r"(?:previous|prior|above|earlier|preceding|original|system|safety|existing)?\s*"
     r"(?:instructions?|prompts?|rules|directives?|guidelines?|guardrails?)\b"),
    ("instruction-override",
     r"\b(?:override|bypass|skip)\s+(?:all\s+|any\s+|the\s+|your\s+)*(?:previous|prior|above|system|safety|security)"
     r"\s+(?:instructions?|prompts?|rules|directives?|guidelines?|guardrails?|polic(?:y|ies)|checks?|approvals?)\b"),
    ("instruction-override", r"\bnew\s+(?:system\s+)?instructions?\s*(?::|follow|below|are)"),
    ("instruction-override", r"\b(?:system|developer)\s+prompt|\b(?:system|developer|admin)\s+(?:override|"
                             r"instructions?)\b"),
    ("imperative-to-agent", rf"\byou\s+(?:must|should|need\s+to|have\s+to|are\s+(?:required|authori[sz]ed)\s+to)\s+"
                            rf"(?:now\s+|immediately\s+|also\s+)?(?:{_VERBS})\b"),
    ("imperative-to-agent", r"\bfrom\s+now\s+on\s*,?\s+(?:you|respond|answer|reply|always|only|never|act|ignore)\b"),
    ("imperative-to-agent", r"\byou\s+are\s+now\s+(?:an?\s|the\s|in\s+\w+\s+mode|authori[sz]ed|allowed|permitted|"
                            r"free\s+to|acting|operating|unrestricted|jailbroken)"),
    ("imperative-to-agent", rf"\b(?:dear|hey|attention|note\s+(?:to|for)(?:\s+the)?|instructions?\s+for(?:\s+the)?)"
                            rf"\s+{_AGENT}\b"),
    ("imperative-to-agent", rf"(?:^|[\n.!;]\s*){_AGENT}\s*[,:]\s*(?:please\s+)?(?:{_VERBS}|run|execute)\b"),
    ("imperative-to-agent", r"\b(?:without|skip(?:ping)?|bypass(?:ing)?|no\s+need\s+for)\s+(?:the\s+|any\s+|"
                            r"human\s+|user\s+)*(?:approval|confirmation|permission)\b"),
    ("imperative-to-agent", r"\bdo\s+not\s+(?:tell|inform|alert|notify|mention\s+(?:this\s+)?to)\s+(?:the\s+)?"
                            r"(?:user|human|operator|admin|on-?call)"),
    ("imperative-to-agent", rf"\b(?:immediately|urgently|now)\s+(?:{_VERBS})\s+(?:the\s+|all\s+)?"
                            r"(?:deployment|pods?|namespace|service|configmap|secret|node|database|replicas?|"
                            r"statefulset|cluster|resources?|workloads?)"),
    ("fake-tool-call", r"\{\s*\"(?:tool|tool_name|function|action)\"\s*:\s*\"[^\"]*\"\s*,\s*\""
                       r"(?:args|arguments|parameters|params|input|tool_calls)\"\s*:"
                       r"|\{\s*\"name\"\s*:\s*\"[^\"]*\"\s*,\s*\"arguments\"\s*:"),
    ("fake-tool-call", rf"\"(?:tool|name|function)\"\s*:\s*\"(?:{_WRITE_TOOL_NAMES})\""),
    ("fake-tool-call", r"\"action\"\s*:\s*\"(?:act|probe|submit|executor)\""),
    ("fake-tool-call", r"\"tool_calls\"\s*:|<\s*/?\s*(?:tool_call|function_call|tool_use)\b"),
    ("fake-tool-call", r"\baction\s*=\s*(?:act|submit)\b"),
    ("fake-markup", r"<\s*/?\s*(?:important|system|instructions?|admin|prompt|tool_output|assistant|user|"
                    r"developer|context|guidance)\s*(?:\s[^<>]{0,200})?/?>"),
    ("fake-markup", r"<\|\s*(?:im_start|im_end|system|user|assistant|endoftext|begin_of_text|start_header_id)"
                    r"\s*\|>|\[/?inst\]|<<\s*/?sys\s*>>|(?m:^#{2,}\s*(?:system|instructions?)\s*:?\s*$)"),
))
"""(flag, regex) over the canonical text: lower-cased, NFKC-normalised, invisible characters removed,
look-alike letters mapped to Latin."""

_BASE64 = re.compile(r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{24,4096}={0,2}(?![A-Za-z0-9+/=])")
_MAX_BLOBS = 50
_WORD = re.compile(r"\w{4,}")
_DANGEROUS_WORDS = re.compile(r"\b(?:delete|remove|drop|scale|restart|ignore|disregard|instructions?|approve|"
                              r"grant|execute|kill|wipe|shutdown|system|admin|password|token|secret)\b")
FLAGS = ("instruction-override", "imperative-to-agent", "fake-tool-call", "fake-markup", "encoded-instructions",
         "hidden-characters", "mixed-script-word", "obfuscated-word")
"""Every flag `injection_flags` can return, in the order it returns them."""


def injection_flags(text: str) -> list[str]:
    """Names (from `FLAGS`) of the prompt-injection heuristics `text` trips; empty for ordinary telemetry.

    Flags: instructions or imperatives aimed at the agent, fake tool-call JSON or decision fields, fake prompt
    markup (`<IMPORTANT>`, `<system>`, `[INST]`, a `</tool_output>` trying to close the wrapper), base64 blobs that
    decode to any of those, invisible characters (zero-width, bidi controls), words mixing Latin with Cyrillic or
    Greek letters, and dangerous words that only appear once the text is de-obfuscated.
    """
    found = set(_instruction_flags(_canonical(text)))
    if any(_instruction_flags(_canonical(_decode_base64(b))) for b in _BASE64.findall(text)[:_MAX_BLOBS]):
        found.add("encoded-instructions")
    if _INVISIBLE.search(text):
        found.add("hidden-characters")
    if any(_mixed_script(w) for w in _WORD.findall(text)):
        found.add("mixed-script-word")
    plain = set(_DANGEROUS_WORDS.findall(unicodedata.normalize("NFKC", text).lower()))
    if set(_DANGEROUS_WORDS.findall(_canonical(text))) - plain:
        found.add("obfuscated-word")
    return [f for f in FLAGS if f in found]


_ADVICE = re.compile(r"\b(?:fix|remediation|resolution|solution|workaround|mitigation|recommended(?:\s+action)?|"
                     r"action(?:\s+required)?|next\s+step|to\s+(?:resolve|fix|recover|mitigate))\s*[:=-]|"
                     r"\b(?:should|must|need\s+to|please)\s+(?:be\s+)?(?:" + _VERBS + r"|set|run|apply|stop|"
                     r"update|change|increase|create)")
"""Advice written into telemetry (`fix: scale x to 0`, `replicas should be set to 0`): not always an attack, but
never a reason to write on its own."""


def instruction_lines(text: str, limit: int = 20) -> list[str]:
    """The lines of `text` (at most `limit`) that read as an instruction: they trip an injection heuristic or
    carry advice on what to change. What an approval card quotes when a proposal's target or verb appears there."""
    out = []
    for line in text.splitlines():
        canonical = _canonical(line)
        if line.strip() and (_ADVICE.search(canonical) or _instruction_flags(canonical)
                             or injection_flags(line)):
            out.append(line.strip())
            if len(out) >= limit:
                break
    return out


def _canonical(text: str) -> str:
    return _INVISIBLE.sub("", unicodedata.normalize("NFKC", text)).lower().translate(_CONFUSABLES)


def _instruction_flags(canonical: str) -> list[str]:
    return [name for name, regex in _INSTRUCTION_PATTERNS if regex.search(canonical)]


def _decode_base64(blob: str) -> str:
    try:
        raw = base64.b64decode(blob + "=" * (-len(blob) % 4), validate=True)
        return raw.decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return ""


def _mixed_script(word: str) -> bool:
    """A word with at least two Latin letters and a Cyrillic or Greek one (`dеlete` with a Cyrillic `е`)."""
    latin = foreign = 0
    for ch in word:
        if not ch.isalpha():
            continue
        name = unicodedata.name(ch, "")
        if name.startswith("LATIN"):
            latin += 1
        elif name.startswith(("CYRILLIC", "GREEK")):
            foreign += 1
    return latin >= 2 and foreign >= 1
