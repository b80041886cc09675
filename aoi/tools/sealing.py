"""Data at rest that must stay restorable but never readable in the database: sealed with AES-256-GCM.

An undo record holds the pre-images of what a write changed — the whole Deployment, env values and all — because
undo must put back exactly what was there. Redacting them would make undo write "[REDACTED]" over a password, so
they are sealed instead: the row holds ciphertext under a key derived from this installation's grant key, bound to
the record's id (a sealed record copied onto another id does not open). Whoever can read `aoi.db` but not the key
file learns nothing from them; the executor, which holds the key, opens them to undo.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "sealed:v1:"
NONCE_BYTES = 12


class SealError(ValueError):
    """A sealed value that does not open under this key and context: tampered, moved, or another install's."""


def derive_key(master: bytes, purpose: str) -> bytes:
    """A 32-byte key for one purpose from the installation's master key (HMAC-SHA256 as the derivation)."""
    return hmac.new(master, f"aoi/{purpose}/v1".encode(), hashlib.sha256).digest()


def seal(key: bytes, plaintext: bytes, *, context: str) -> str:
    nonce = os.urandom(NONCE_BYTES)
    body = AESGCM(key).encrypt(nonce, plaintext, context.encode())
    return PREFIX + base64.b64encode(nonce + body).decode()


def is_sealed(text: str) -> bool:
    return text.startswith(PREFIX)


def unseal(key: bytes, sealed: str, *, context: str) -> bytes:
    """Raises:
        SealError: not a sealed value, or it does not open under `key` and `context`.
    """
    if not is_sealed(sealed):
        raise SealError("not a sealed value")
    try:
        raw = base64.b64decode(sealed[len(PREFIX):], validate=True)
        return AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode())
    except (ValueError, InvalidTag) as exc:
        raise SealError("the sealed value does not open under this installation's key (tampered or moved)") from exc
