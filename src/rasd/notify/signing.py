"""Signatures: webhook bodies signed for their receivers, unsubscribe links signed by Rasd.

A webhook is signed per the Standard Webhooks specification (standardwebhooks.com):
`webhook-id`, `webhook-timestamp` (Unix seconds) and `webhook-signature: v1,<base64>`, the
HMAC-SHA256 of "id.timestamp.body" keyed by the subscription's `whsec_` secret, so a receiver
verifies it with any of that specification's libraries. The timestamp inside the signed text
lets a receiver refuse an old message replayed to it. The earlier `X-Rasd-Timestamp` and
`X-Rasd-Signature: v1=<hex>` (HMAC-SHA256 of the timestamp, a dot and the body) are still sent
for this release and are deprecated.

An unsubscribe link carries the subscription id and an HMAC of it under a key only this
deployment knows (kept in the store), so anyone holding a message can leave, and nobody can
unsubscribe someone else by guessing ids.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import UTC, datetime

from standardwebhooks import Webhook

from rasd.store.state import StateStore

SIGNATURE_HEADER = "X-Rasd-Signature"
TIMESTAMP_HEADER = "X-Rasd-Timestamp"
_KEY_STATE = "notify.link_key"


def sign_webhook(secret: str, timestamp: int, body: bytes) -> str:
    """The deprecated `X-Rasd-Signature`, kept one release for receivers that check it."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def standard_headers(secret: str, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The Standard Webhooks headers of one delivery."""
    when = datetime.fromtimestamp(timestamp, UTC)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": Webhook(secret).sign(message_id, when, body),
    }


def new_secret() -> str:
    # the specification's form: whsec_ and the key in standard base64 (older secrets were
    # URL-safe base64; the same libraries still read them, as Rasd does)
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


class LinkSigner:
    """Signs and checks unsubscribe tokens with a key made once per deployment."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    @classmethod
    def from_store(cls, store: StateStore) -> LinkSigner:
        key = store.get_state(_KEY_STATE)
        if key is None:
            # processes starting together must agree on one key: the first one kept
            key = store.claim_state(_KEY_STATE, secrets.token_bytes(32))
        return cls(key)

    def _mac(self, subscription_id: str) -> str:
        mac = hmac.new(self._key, b"unsubscribe:" + subscription_id.encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(mac.digest()[:18]).decode()

    def token(self, subscription_id: str) -> str:
        return f"{subscription_id}.{self._mac(subscription_id)}"

    def subscription_of(self, token: str) -> str | None:
        """The subscription a token names, if the token is genuine."""
        subscription_id, _, mac = token.partition(".")
        if not subscription_id or not mac:
            return None
        if hmac.compare_digest(mac.encode(), self._mac(subscription_id).encode()):
            return subscription_id
        return None
