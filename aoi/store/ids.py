"""Ids and names that reach the filesystem: one check, and files addressed by a digest of the id.

Thread ids come from users, from an IDE agent's tool arguments (which a prompt-injected model fills in) and from
specs; a name joined into a path could climb out of AOI's data folder (`../../x`). Every such id is checked here
against a closed character set and length, and the files kept per id are named by a digest of it, so even an id
that passed the check never shapes a path.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

MAX_ID_LENGTH = 128
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@-]*")


def check_id(value: object, what: str = "thread id") -> str:
    """`value` if it is 1–128 characters of letters, digits, `.`, `_`, `:`, `@`, `-`, starting with a letter or digit.

    Raises:
        ValueError: anything else; the message names `what`, the rule and a bounded, quoted excerpt of the value.
    """
    if isinstance(value, str) and len(value) <= MAX_ID_LENGTH and _ID.fullmatch(value):
        return value
    shown = repr(value)[:40] + ("…" if len(repr(value)) > 40 else "")
    raise ValueError(f"invalid {what} {shown}: use 1-{MAX_ID_LENGTH} characters from letters, digits, '.', '_', "
                     "':', '@' and '-', starting with a letter or digit")


def state_file(directory: Path, name: str, suffix: str = ".state") -> Path:
    """The file kept for `name` in `directory`: named by a digest of the name, so it is always directly inside."""
    return directory / (hashlib.sha256(name.encode("utf-8")).hexdigest()[:32] + suffix)
