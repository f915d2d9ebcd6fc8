"""OAuth tokens and app credentials in the keyring; values never reach SQLite or logs."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from app import secrets

from ..errors import AuthRevoked


@dataclass(frozen=True, slots=True)
class TokenSet:
    """A Strava grant. `repr` hides the secrets so a logged object leaks nothing."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: float
    client_id: str
    scopes: str = ""

    def expiring(self, now_s: float, margin_s: float) -> bool:
        return self.expires_at - margin_s <= now_s

    def to_json(self) -> str:
        return json.dumps(
            {
                "access_token": self.access_token,
                "refresh_token": self.refresh_token,
                "expires_at": self.expires_at,
                "client_id": self.client_id,
                "scopes": self.scopes,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> TokenSet:
        data = json.loads(text)
        return cls(
            access_token=str(data["access_token"]),
            refresh_token=str(data["refresh_token"]),
            expires_at=float(data["expires_at"]),
            client_id=str(data["client_id"]),
            scopes=str(data.get("scopes", "")),
        )


def token_key(provider_remote_id: str) -> str:
    """The keyring entry of one linked account (stored in `remote_accounts.keyring_key`)."""
    return f"strava/token/{provider_remote_id}"


def _secret_key(client_id: str) -> str:
    return f"strava/client-secret/{client_id}"


def save_client(client_id: str, client_secret: str) -> None:
    """Keep the user's own API application secret (Strava requires one app per user)."""
    secrets.set_secret(_secret_key(client_id), client_secret)


def stored_client(client_id: str) -> str | None:
    """The application secret kept for `client_id`, or None (to put it back after a failed link)."""
    return secrets.get_secret(_secret_key(client_id)) or None


def restore_client(client_id: str, client_secret: str | None) -> None:
    """Put back what `stored_client` returned: the old secret, or none at all."""
    if client_secret is not None:
        save_client(client_id, client_secret)
    elif secrets.get_secret(_secret_key(client_id)) is not None:
        secrets.delete_secret(_secret_key(client_id))


def forget_client(client_id: str) -> None:
    """Delete the kept secret of an application no linked account uses any more."""
    restore_client(client_id, None)


def client_secret(client_id: str) -> str:
    value = secrets.get_secret(_secret_key(client_id))
    if not value:
        raise AuthRevoked(
            f"the client secret of Strava application {client_id} is not in the keyring; "
            "link the account again with --client-id and --client-secret"
        )
    return value


def save_tokens(key: str, tokens: TokenSet) -> None:
    secrets.set_secret(key, tokens.to_json())


def load_tokens(key: str) -> TokenSet | None:
    text = secrets.get_secret(key)
    if not text:
        return None
    try:
        return TokenSet.from_json(text)
    except (ValueError, KeyError, TypeError):
        return None  # a damaged entry means "link again", reported by the caller


def delete_tokens(key: str) -> None:
    secrets.delete_secret(key)
