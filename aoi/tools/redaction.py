"""Secret redaction for everything that leaves the cluster side: probe output, prompts, episodes, training exports.

Values are replaced by `MARKER` and the key that named them is kept, so the model still sees that a password or a
token exists without seeing it. The rules are contextual: a value is hidden because of what names it (a key such as
`DB_PASSWORD`, a Secret's `data`, an `Authorization` header, a URL's userinfo, a PEM armour, a JWT or a well-known
token prefix), never because it merely looks random. Bare high-entropy strings are deliberately kept: pod-name hash
suffixes, image digests, UUIDs and trace ids are what a diagnosis is made of.

Both entry points are idempotent and never raise; when in doubt they hide too much rather than too little.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

MARKER = "[REDACTED]"
"""What a hidden value is replaced with."""

_MAX_DEPTH = 100
"""Deeper structures (or cyclic ones) are replaced whole by the marker instead of recursing further."""

_MAX_PASSES = 4
"""One rule's output can expose another's input (a URL inside an env value); passes repeat until nothing changes."""

# -- which keys name a secret -----------------------------------------------------------------------------------
_SECRET_PARTS = ("password", "passwd", "passphrase", "secret", "token", "apikey", "credential", "privatekey",
                 "accesskey", "clientkeydata", "clientcertificatedata", "requirepass", "masterauth", "authorization",
                 "cookie", "sessionid", "connectionstring")
"""A key is secret when its letters (lower-cased, separators removed) contain one of these..."""
_SECRET_KEYS = frozenset({"pass", "pwd", "pw", "auth", "creds"})
"""...or are exactly one of these (as substrings they would hit `bypass`, `oauth`, `compass`)..."""
_SECRET_WORDS = frozenset({"pass", "pwd", "pw", "passwd", "pgpass", "dsn"})
"""...or have one of these as a whole word (`DB_PASS`, `MYSQL_PWD`, `ADMIN_PW`, `SENTRY_DSN`; not `PASSAGE`)..."""
_KEY_QUALIFIERS = frozenset({"signing", "sign", "hmac", "encryption", "encrypt", "decryption", "crypto", "cipher",
                             "aes", "session", "jwt", "ssh", "tls", "ssl", "private", "master", "api", "app",
                             "license", "webhook", "client", "service", "account"})
"""...or end in `key` (or `keys`) right after one of these words (`JWT_SIGNING_KEY`, `tls.key`, `SESSION_KEY`);
a bare `key` is a map key as often as a secret, and `keyspace`/`keyboard` are not split at all."""
_NOT_SECRET_LAST_WORDS = frozenset({
    "ref", "refs", "name", "names", "file", "filename", "path", "dir", "seconds", "ttl", "expiry", "expires",
    "expiration", "length", "policy", "type", "count", "enabled", "mode", "url", "uri", "secrets", "tokens",
})
"""...unless the key's last word says it holds a reference or a property of the secret (`secretKeyRef`,
`tokenExpirationSeconds`, `passwordFile`, `Mountable secrets`), not the secret itself."""

_WORD_SPLIT = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])")

_SCHEMES = "Bearer|Basic|Token|Digest|Negotiate|ApiKey"
"""`Authorization` schemes; the scheme is kept in front of the marker."""
_DONE = rf"(?i:{_SCHEMES}) \[REDACTED\]"

# Values that cannot hide anything: empty, booleans, kubectl placeholders (describe prints a Secret's sizes and
# `<set to the key ...>` for env from a Secret), and what this module already wrote.
_HARMLESS_VALUE = re.compile(
    rf"""(?:["']{{2}}|\{{\}}|\[\]|true|false|True|False|null|~|<none>|<unset>|<nil>|<empty>|{_DONE}|\[REDACTED\]"""
    r"""|\d+\ bytes|<set\ to\ the\ key\ '[^'\n]*'\ (?:in\ secret|of\ config\ map)\ '[^'\n]*'>.*)?""")


def is_secret_key(key: str) -> bool:
    """Whether a key or variable name (`MONGO_PASSWORD`, `client-key-data`, `apiKey`) names a secret value."""
    words = [w.lower() for w in _WORD_SPLIT.split(key) if w]
    if not words:
        return False
    if words[-1] in _NOT_SECRET_LAST_WORDS:
        return "webhook" in words and words[-1] in ("url", "uri")  # the URL of a webhook is its credential
    joined = "".join(words)
    if joined in _SECRET_KEYS or any(part in joined for part in _SECRET_PARTS):
        return True
    if any(word in _SECRET_WORDS for word in words):
        return True
    return len(words) >= 2 and words[-1] in ("key", "keys") and words[-2] in _KEY_QUALIFIERS


def _hides_something(value: str) -> bool:
    return _HARMLESS_VALUE.fullmatch(value.strip()) is None


# -- text rules -------------------------------------------------------------------------------------------------
# Quoted-value alternatives shared by the key/value rules: a JSON or YAML double-quoted string (escape-aware), a
# single-quoted one, and a string escaped inside another JSON string (`\"...\"`, kubectl's last-applied annotation).
_DQ = r'"(?:[^"\\\n]|\\.)*"'
_SQ = r"'(?:[^'\\\n]|\\.)*'"
_EQ = r"(?P<eq>\\+[\"'])(?:(?!(?P=eq)).)*(?P=eq)"

_PEM = re.compile(r"(?P<begin>-----BEGIN (?P<label>[A-Z0-9 ]{0,40}PRIVATE KEY[A-Z0-9 ]{0,20})-----)(?P<body>.*?)"
                  r"(?P<end>-----END (?P=label)-----|\Z)", re.S)
_JWT = re.compile(r"(?<![\w-])eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
_KNOWN_TOKEN = re.compile(
    r"(?<![A-Za-z0-9])(?:(?:AKIA|ASIA|AROA|AIDA|AGPA|ANPA)[A-Z0-9]{16}|gh[pousr]_[A-Za-z0-9]{36,}"
    r"|github_pat_[A-Za-z0-9_]{22,}|xox[abeprs]-[A-Za-z0-9-]{10,}|xapp-[A-Za-z0-9-]{10,}|AIza[0-9A-Za-z_-]{35}"
    r"|[sr]k_(?:live|test)_[0-9A-Za-z]{16,}|whsec_[0-9A-Za-z]{16,}|sk-(?:proj|ant|svcacct|admin)-[A-Za-z0-9_-]{16,}"
    r"|sk-[A-Za-z0-9]{32,}|hf_[A-Za-z0-9]{30,}|glpat-[A-Za-z0-9_-]{20,}|gl(?:dt|ptt|rt|soat)-[A-Za-z0-9_-]{20,}"
    r"|npm_[A-Za-z0-9]{36,}|SG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}|ya29\.[A-Za-z0-9_-]{20,}"
    r"|dop_v1_[a-f0-9]{64}|pypi-[A-Za-z0-9_-]{50,})"
    r"(?![A-Za-z0-9_-])")
_WEBHOOK = re.compile(  # the path of a chat webhook URL is its credential
    r"(?P<pre>\bhttps?://(?:hooks\.slack\.com/(?:services|workflows|triggers)|(?:[\w-]+\.)?discord(?:app)?\.com"
    r"/api/webhooks|[\w-]+\.webhook\.office\.com/webhookb2)/)[A-Za-z0-9/_@.~+=%-]+")
_DSN_USER = re.compile(  # a Sentry-style DSN: a bare key (no password) as the userinfo
    r"(?P<pre>\b[A-Za-z][A-Za-z0-9+.-]{0,20}://)(?:[0-9a-fA-F]{16,}(?::[0-9a-fA-F]{16,})?@"
    r"|[^\s:/@\"'<>]{1,200}@(?=[\w.-]*sentry[\w.-]*[/:]))")
_URL_USERINFO = re.compile(r"(?P<pre>\b[A-Za-z][A-Za-z0-9+.-]{0,20}://[^\s:/@\"'<>]*:)[^\s/\"'<>?#]*@")
_AUTH_QUOTED = re.compile(
    r"(?i)(?P<pre>\b(?:proxy-)?authorization\\*[\"']?\s*[:=]\s*(?P<q>\\*[\"']))"
    rf"(?P<scheme>(?:{_SCHEMES})\s+)?(?:(?!(?P=q)).)*(?P=q)")
_AUTH_BARE = re.compile(  # a bearer-like credential is one token; anything else (Digest) runs to the end of line
    r"(?im)(?P<pre>\b(?:proxy-)?authorization[ \t]*[:=][ \t]*)(?![\\\"' \t])"
    r"(?:(?P<scheme>(?:bearer|basic|token|negotiate|apikey)[ \t]+)[^\s\"']*|[^\n]*)")
_BEARER = re.compile(r"(?<![\w-])(?P<pre>Bearer\s+)(?!\[REDACTED\])"
                     r"(?=[A-Za-z0-9._~+/-]*[0-9._~+/-])[A-Za-z0-9._~+/-]{12,}=*")

_SECRET_KIND_YAML = re.compile(r"(?m)^[ \t]*(?:-[ \t]+)?kind:[ \t]*[\"']?Secret[\"']?[ \t]*$")
_YAML_DATA_KEY = re.compile(r"(?P<ind>[ \t]*(?:-[ \t]+)?)(?:data|stringData):[ \t]*(?P<val>.*)")
_YAML_ENTRY = re.compile(r"(?P<head>[ \t]*[^\s:#][^:\n]*:)(?P<val>.*)")
_SECRET_KIND_JSON = re.compile(r"(?<!\\)\\*[\"']kind\\*[\"']\s*:\s*\\*[\"']Secret\\*[\"']")
_JSON_DATA = re.compile(r"(?P<head>(?<!\\)(?P<q>\\*[\"'])(?:data|stringData)(?P=q)\s*:\s*\{)(?P<body>[^{}]*)\}")
_JSON_VALUE = re.compile(rf"(?P<sep>:\s*)(?:(?P<dq>{_DQ})|(?P<sq>{_SQ})|{_EQ}|(?P<bare>[^\s,\"'\\]+))")

_DESCRIBE_DATA = re.compile(r"(?m)^(?P<key>[^\s:][^\n:]{0,80}):\n----\n(?P<body>(?:[^\n]+(?:\n|\Z))*)")
_YAML_BLOCK = re.compile(
    r"(?m)^(?P<head>(?P<ind>[ \t]*)(?:-[ \t]+)?(?P<key>[A-Za-z_][\w.\-]{0,80})[ \t]*:[ \t]*[|>][-+0-9]*[ \t]*\n)"
    r"(?P<body>(?:(?P=ind)[ \t]+[^\n]*(?:\n|\Z)|[ \t]*\n)*)")
_YAML_ENV = re.compile(
    r"(?m)^(?P<head>[ \t]*(?:-[ \t]+)?name:[ \t]*[\"']?(?P<key>[^\s\"'#]+)[\"']?[ \t]*\n"
    r"(?P<vind>[ \t]*)value:[ \t]*)(?P<val>[^\n]*(?:\n(?P=vind)[ \t]+[^\n]*)*)")
_JSON_ENV = re.compile(
    rf"(?P<head>(?<!\\)(?P<q>\\*[\"'])name(?P=q)\s*:\s*(?P=q)(?P<key>[^\"'\\\n]{{1,100}})(?P=q)\s*,\s*"
    rf"(?P=q)value(?P=q)\s*:\s*)(?:(?P<dq>{_DQ})|(?P<sq>{_SQ})|{_EQ})")
# Keys found by scanning (anywhere in a line): the key pattern ends at the separator, and the value is matched after
# it only when the key names a secret (see `_replace_values`).
_QUOTED_KEY = re.compile(r"(?<!\\)(?P<kq>\\*[\"'])(?P<key>[A-Za-z_][\w.\- ]{0,80})(?P=kq)\s*[:=]\s*")
_QUOTED_KEY_VALUE = re.compile(rf"(?P<dq>{_DQ})|(?P<sq>{_SQ})|{_EQ}|(?P<bare>{_DONE}|[^\s,{{}}\[\]\"'\\]+)")
_ASSIGN = re.compile(r"(?<![\w.\-])(?P<key>-{0,2}[A-Za-z_][\w.\-]{0,80})[ \t]*=[ \t]*")
_ASSIGN_VALUE = re.compile(rf"(?P<dq>{_DQ})|(?P<sq>{_SQ})|(?P<bare>{_DONE}|[^\s\"'&;,]+)")
_INLINE_KEY = re.compile(r"(?<![\w.\-])(?P<key>[A-Za-z_][\w.\-]{0,80}):(?P<space>[ \t]*)")
_INLINE_VALUE = re.compile(rf"(?P<dq>{_DQ})|(?P<sq>{_SQ})|(?P<bare>{_DONE}|[^\s,;{{}}\[\]\"']+)")
_PLAIN_WORD = re.compile(r"[a-z]+|<.*")
_FLAG = re.compile(  # `--token abc`, and the same as items of a JSON array: `"--token", "abc"`
    r"(?<![\w-])(?P<key>--?[A-Za-z][\w.\-]{0,80})(?:[ \t]+|(?P<aq>\\*[\"'])[ \t]*,\s*(?P=aq))")
_FLAG_VALUE = re.compile(rf"(?P<dq>{_DQ})|(?P<sq>{_SQ})|(?P<bare>(?!-)[^\s\"']+)")

_LINE_KEY = re.compile(  # the value is one quoted string, or else the rest of the line
    rf"(?m)^(?P<pre>[ \t]*(?:-[ \t]+)?)(?P<key>[A-Za-z_][\w.\-/]{{0,80}})(?P<sep>[ \t]*:[ \t]*)"
    rf"(?:(?P<dq>{_DQ})(?=[ \t]*\r?$)|(?P<sq>{_SQ})(?=[ \t]*\r?$)|(?P<bare>[^\r\n]*))")
_FLAG_LIST = re.compile(  # the flag and its value on consecutive lines: a YAML list, or describe's Command/Args
    rf"(?m)^(?P<ind>[ \t]*)(?P<dash>-[ \t]+)?(?P<key>--?[A-Za-z][\w.\-]{{0,80}})"
    rf"(?P<sep>[ \t]*\r?\n(?P=ind)(?P<vdash>-[ \t]+)?)(?:(?P<dq>{_DQ})|(?P<sq>{_SQ})|(?P<bare>(?!-)[^\s\"']+))")
# Short password flags only mean "password" for these clients (`kubectl logs -p` means --previous). Only the first
# client name on a line is tried, so a long line of names stays linear; the passes catch a second one.
_MYSQL_PASSWORD = re.compile(
    r"(?m)^(?P<pre>(?>[^\n]*?\bmysql(?:admin|dump)?\b)[^\n]*?[ \t]-p[ \t]*)(?![-\s])[^\s\"']+")
_MONGO_PASSWORD = re.compile(
    r"(?m)^(?P<pre>(?>[^\n]*?\bmongo(?:sh|dump|restore|export|import)?\b)[^\n]*?[ \t]-p[ \t]+)(?!-)[^\s\"']+")
_REDIS_PASSWORD = re.compile(r"(?m)^(?P<pre>(?>[^\n]*?\bredis-cli\b)[^\n]*?[ \t]-a[ \t]+)(?!-)[^\s\"']+")


def _replace_values(keys: re.Pattern[str], values: re.Pattern[str], text: str,
                    accept: Callable[[re.Match[str], re.Match[str]], bool] | None = None) -> str:
    """Hide the value after every key `keys` finds that names a secret (and that `accept` agrees to).

    The value is matched only after a secret key and the scan goes on right after each key, so a value that is not
    a secret is still searched for pairs that are (`Annotations: example.com/api-token: ...`, `url=http://h/?token=`,
    JSON escaped inside a JSON string), and no text is scanned more than twice.
    """
    out: list[str] = []
    pos = 0
    while (key := keys.search(text, pos)) is not None:
        out.append(text[pos:key.end()])
        pos = key.end()
        if not is_secret_key(key.group("key")):
            continue
        value = values.match(text, pos)
        if value is None or not _hides_something(_value_of(value)) or (accept and not accept(key, value)):
            continue
        out.append(_quoted_marker(value))
        pos = value.end()
    out.append(text[pos:])
    return "".join(out)


def _quoted_marker(match: re.Match[str]) -> str:
    """The marker in the quoting style of the value the match captured."""
    groups = match.groupdict()
    if groups.get("dq") is not None:
        return f'"{MARKER}"'
    if groups.get("sq") is not None:
        return f"'{MARKER}'"
    if groups.get("eq") is not None:
        return f"{groups['eq']}{MARKER}{groups['eq']}"
    return MARKER


def _value_of(match: re.Match[str]) -> str:
    groups = match.groupdict()
    quoted = groups.get("dq") or groups.get("sq")
    if quoted is not None:
        return quoted[1:-1]
    if groups.get("eq") is not None:
        return match.group(0)[match.start("eq") - match.start():].strip("\\\"'")
    return groups.get("bare") or ""


def _keyed(match: re.Match[str]) -> str:
    """`KEY<sep>VALUE` with the value hidden when the key names a secret."""
    if not is_secret_key(match.group("key")) or not _hides_something(_value_of(match)):
        return match.group(0)
    return match.group(0)[:match.end("sep") - match.start()] + _quoted_marker(match)


def _inline(key: re.Match[str], value: re.Match[str]) -> bool:
    """Whether a `key: value` pair in the middle of a line is a secret (`failed to fetch token: unexpected status`).

    A key at the start of a line is `_LINE_KEY`'s. In prose a secret-sounding word is often followed by a plain word
    that is not a secret, so a space-separated, unquoted, all-lowercase word is kept; a glued `Password:x` is not.
    """
    text, i = key.string, key.start()
    while i > 0 and text[i - 1] in " \t-":
        i -= 1
    if i == 0 or text[i - 1] == "\n":
        return False
    return not (key.group("space") and value.group("bare") is not None and _PLAIN_WORD.fullmatch(value.group("bare")))


def _flag_list(match: re.Match[str]) -> str:
    """Only items of the same list: `- --auth` followed by `env:` is a flag and the next key, not a value."""
    if (match.group("dash") is None) != (match.group("vdash") is None):
        return match.group(0)
    return _keyed(match)


def _line_key(match: re.Match[str]) -> str:
    """`key: value` at the start of a line (YAML, describe, headers); a block scalar (`key: |`) is `_YAML_BLOCK`'s."""
    if (match.group("bare") or "").strip()[:1] in ("|", ">"):
        return match.group(0)
    return _keyed(match)


def _yaml_block(match: re.Match[str]) -> str:
    if not is_secret_key(match.group("key")):
        return match.group(0)
    return f"{match.group('head')}{match.group('ind')}  {MARKER}\n"


def _describe_data(match: re.Match[str]) -> str:
    if not is_secret_key(match.group("key")) or not match.group("body"):
        return match.group(0)
    return f"{match.group('key')}:\n----\n{MARKER}\n"


def _yaml_env(match: re.Match[str]) -> str:
    if not is_secret_key(match.group("key")) or not _hides_something(match.group("val")):
        return match.group(0)
    return match.group("head") + MARKER


def _json_env(match: re.Match[str]) -> str:
    if not is_secret_key(match.group("key")) or not _hides_something(_value_of(match)):
        return match.group(0)
    return match.group("head") + _quoted_marker(match)


def _auth(match: re.Match[str]) -> str:
    scheme = (match.group("scheme") or "").strip()
    hidden = f"{scheme} {MARKER}" if scheme else MARKER
    closing = match.groupdict().get("q") or ""
    return f"{match.group('pre')}{hidden}{closing}"


def _pem(match: re.Match[str]) -> str:
    return f"{match.group('begin')}{MARKER}{match.group('end')}"


def _yaml_secret_data(text: str) -> str:
    """Hide every value under `data:` / `stringData:` of YAML that declares `kind: Secret`.

    The whole text is treated as one Secret-bearing document: in a `kind: List` mixing Secrets and ConfigMaps the
    ConfigMaps' data is hidden too, which costs a little context and leaks nothing.
    """
    if not _SECRET_KIND_YAML.search(text):
        return text
    lines = text.split("\n")
    out: list[str] = []
    block_indent: int | None = None
    entry_indent: int | None = None
    for line in lines:
        indent = len(line) - len(line.lstrip(" \t"))
        if block_indent is not None and (not line.strip() or indent > block_indent):
            if not line.strip():
                out.append(line)
                continue
            if entry_indent is None:
                entry_indent = indent
            if indent > entry_indent:
                continue  # a block-scalar continuation of an entry already hidden
            entry = _YAML_ENTRY.fullmatch(line)
            if entry is None:
                out.append(" " * indent + MARKER)
            elif entry.group("val").strip():
                out.append(f"{entry.group('head')} {MARKER}")
            else:
                out.append(line)
            continue
        block_indent = entry_indent = None
        data = _YAML_DATA_KEY.fullmatch(line)
        if data is not None:
            value = data.group("val").strip()
            if value and value != "{}":
                line = line[:data.start("val")] + MARKER
            else:
                block_indent = len(data.group("ind"))
        out.append(line)
    return "\n".join(out)


def _json_secret_data(text: str) -> str:
    if not _SECRET_KIND_JSON.search(text):
        return text

    def hide(match: re.Match[str]) -> str:
        body = _JSON_VALUE.sub(lambda v: v.group("sep") + _quoted_marker(v), match.group("body"))
        return f"{match.group('head')}{body}}}"

    return _JSON_DATA.sub(hide, text)


_RULES: tuple[Callable[[str], str], ...] = (
    lambda t: _PEM.sub(_pem, t),
    lambda t: _JWT.sub(MARKER, t),
    lambda t: _KNOWN_TOKEN.sub(MARKER, t),
    lambda t: _URL_USERINFO.sub(lambda m: f"{m.group('pre')}{MARKER}@", t),
    lambda t: _DSN_USER.sub(lambda m: f"{m.group('pre')}{MARKER}@", t),
    lambda t: _WEBHOOK.sub(lambda m: m.group("pre") + MARKER, t),
    lambda t: _AUTH_QUOTED.sub(_auth, t),
    lambda t: _AUTH_BARE.sub(_auth, t),
    lambda t: _BEARER.sub(lambda m: m.group("pre") + MARKER, t),
    _yaml_secret_data,
    _json_secret_data,
    lambda t: _DESCRIBE_DATA.sub(_describe_data, t),
    lambda t: _YAML_BLOCK.sub(_yaml_block, t),
    lambda t: _YAML_ENV.sub(_yaml_env, t),
    lambda t: _JSON_ENV.sub(_json_env, t),
    lambda t: _replace_values(_QUOTED_KEY, _QUOTED_KEY_VALUE, t),
    lambda t: _replace_values(_ASSIGN, _ASSIGN_VALUE, t),
    lambda t: _LINE_KEY.sub(_line_key, t),
    lambda t: _replace_values(_INLINE_KEY, _INLINE_VALUE, t, _inline),
    lambda t: _replace_values(_FLAG, _FLAG_VALUE, t),
    lambda t: _FLAG_LIST.sub(_flag_list, t),
    lambda t: _MYSQL_PASSWORD.sub(lambda m: m.group("pre") + MARKER, t),
    lambda t: _MONGO_PASSWORD.sub(lambda m: m.group("pre") + MARKER, t),
    lambda t: _REDIS_PASSWORD.sub(lambda m: m.group("pre") + MARKER, t),
)


def redact_text(text: str) -> str:
    """`text` with every secret value it carries replaced by `MARKER` (see the module docstring for what counts).

    Idempotent; never raises. Anything that is not a `str` is redacted as its `str()`.
    """
    if not isinstance(text, str):
        text = _safe_str(text)
    for _ in range(_MAX_PASSES):
        before = text
        for rule in _RULES:
            text = rule(text)
        if text == before:
            break
    return text


# -- structures -------------------------------------------------------------------------------------------------
def redact(value: Any) -> Any:
    """`value` with secrets removed: strings go through `redact_text`; mappings and lists are walked.

    In a mapping, the value of a key that names a secret is replaced by `MARKER` when it is a scalar (booleans and
    None are kept); in an env-style `{"name": "DB_PASSWORD", "value": ...}` the value is; in a `kind: Secret`
    object every `data` / `stringData` value is. Containers come back as the same type (any mapping as a `dict`);
    other objects are returned unchanged, so serialise them first. Idempotent; never raises: a structure nested
    deeper than `_MAX_DEPTH` (or cyclic) is replaced by the marker, and so is anything that fails while walked.
    """
    try:
        return _redact(value, 0)
    except Exception:  # a hostile __iter__/__eq__/__str__ must not carry a secret out; hide the whole value
        return MARKER


def _redact(value: Any, depth: int) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, bytes):
        return redact_text(value.decode("utf-8", "surrogateescape")).encode("utf-8", "surrogateescape")
    if isinstance(value, Mapping | list | tuple | set | frozenset) and depth >= _MAX_DEPTH:
        return MARKER
    if isinstance(value, Mapping):
        return _redact_mapping(value, depth)
    if type(value) in (list, tuple, set, frozenset):
        return type(value)(_redact(v, depth + 1) for v in value)
    return value


def _redact_mapping(mapping: Mapping[Any, Any], depth: int) -> dict[Any, Any]:
    secret_object = mapping.get("kind") == "Secret"
    env_style = isinstance(mapping.get("name"), str) and is_secret_key(mapping["name"])
    out: dict[Any, Any] = {}
    for key, item in mapping.items():
        if secret_object and key in ("data", "stringData") and isinstance(item, Mapping):
            hidden: Any = {_redact(k, depth + 1): _hide_scalar(v) for k, v in item.items()}
        elif (env_style and key == "value") or (isinstance(key, str) and is_secret_key(key)):
            hidden = _hide_scalar(item) if _is_scalar(item) else _redact(item, depth + 1)
        else:
            hidden = _redact(item, depth + 1)
        out[_redact(key, depth + 1)] = hidden
    return out


def _is_scalar(value: Any) -> bool:
    return isinstance(value, str | bytes | int | float) and not isinstance(value, bool)


def _hide_scalar(value: Any) -> Any:
    if value is None or isinstance(value, bool) or value in ("", b""):
        return value
    return MARKER


def _safe_str(value: object) -> str:
    try:
        return str(value)
    except Exception:  # str() of a hostile object; its text is unknown, so nothing of it may pass
        return MARKER


# -- unified diffs ----------------------------------------------------------------------------------------------
_DIFF_HEADER = re.compile(r"(?:\+\+\+|---) |@@ |diff |index ")


def redact_diff(text: str) -> str:
    """A unified diff with every secret hidden, its `+`/`-`/` ` markers kept.

    The text rules read YAML and JSON by their line starts, which a diff's marker column hides; so the old side
    (context and `-` lines) and the new side (context and `+` lines) are each redacted as a document without the
    markers, and a line is hidden when either side hides it. When redaction changes the number of lines (a block
    scalar collapsed to the marker), the whole diff is redacted without its markers instead. Never raises.
    """
    if not isinstance(text, str):
        return redact_text(text)
    lines = text.split("\n")
    marks: list[str | None] = []
    bodies: list[str] = []
    for line in lines:
        if line[:1] in ("+", "-", " ") and not _DIFF_HEADER.match(line):
            marks.append(line[0])
            bodies.append(" " + line[1:])
        else:
            marks.append(None)
            bodies.append(line)
    out = list(bodies)
    for side in ("-", "+"):
        index = [i for i, mark in enumerate(marks) if mark in (" ", side) or mark is None]
        redacted = redact_text("\n".join(bodies[i] for i in index)).split("\n")
        if len(redacted) != len(index):
            return redact_text("\n".join(bodies))
        for i, line in zip(index, redacted, strict=True):
            if line != bodies[i] and (marks[i] in (" ", side) or marks[i] is None):
                out[i] = line
    return "\n".join(line if mark is None else mark + line[1:] for mark, line in zip(marks, out, strict=True))
