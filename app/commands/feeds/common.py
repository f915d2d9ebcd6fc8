"""What the feed commands share: tokens, TLS, stop signals and errors the user fixes."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
from collections.abc import Iterator
from typing import Any

from app.commands import EXIT_ERROR, EXIT_NOT_FOUND, EXIT_USAGE, UserError
from app.commands.common import CommandContext

TOKEN_ENV = "PULSEDECK_FEED_TOKEN"


def token_from_args(args: argparse.Namespace) -> str:
    """--token-file, else --token, else $PULSEDECK_FEED_TOKEN; a usage error when none is set."""
    token = secret_file(args.token_file) if args.token_file else args.token
    token = token or os.environ.get(TOKEN_ENV)
    if not token:
        raise UserError(f"a token is required: --token-file FILE or ${TOKEN_ENV}")
    return str(token)


def secret_file(path: str) -> str:
    """A token read from FILE ('-': standard input); an unreadable file is a usage error."""
    from app.secrets import SecretFileError, read_secret_file

    try:
        return read_secret_file(path)
    except SecretFileError as exc:
        raise UserError(str(exc)) from exc


def token_options(parser: argparse.ArgumentParser, what: str) -> None:
    """--token-file (recommended) and --token (kept for scripts; visible in `ps`)."""
    parser.add_argument(
        "--token-file", metavar="FILE", help=f"read {what} from FILE ('-': standard input)"
    )
    parser.add_argument(
        "--token",
        help=f"{what}; visible to every user in `ps`: prefer --token-file or ${TOKEN_ENV}",
    )


def broadcast_token(given: str | None) -> tuple[str, bool]:
    """The broadcast token and whether it was generated (then it is shown once)."""
    from app.feeds import WeakToken, generate_token
    from app.feeds.broadcast import check_token

    if not given:
        return generate_token(), True
    try:
        return check_token(given), False
    except WeakToken as exc:
        raise UserError(str(exc)) from exc


def server_tls(ctx: CommandContext, enabled: bool, cert: str | None, key: str | None) -> Any:
    """(SSL context, fingerprint) for --tls / --tls-cert and --tls-key, else (None, None)."""
    from app.feeds.tls import TlsConfigError, TlsFiles, fingerprint, self_signed, server_context

    if (cert is None) != (key is None):
        raise UserError("--tls-cert and --tls-key go together")
    if not enabled and cert is None:
        return None, None
    try:
        from pathlib import Path

        files = (
            TlsFiles(Path(cert), Path(key))
            if cert and key
            else self_signed(ctx.data_dir / "live-tls")
        )
        return server_context(files), fingerprint(files)
    except TlsConfigError as exc:
        raise UserError(str(exc)) from exc


def announce(token: str | None, fingerprint: str | None, file: Any) -> None:
    """Show a generated token (once: it is never stored) and the certificate to pin."""
    if token is not None:
        print(f"token (shown once; coaches pass it with --token-file): {token}", file=file)
    if fingerprint is not None:
        print(f"TLS certificate SHA-256 (coaches pass --fingerprint): {fingerprint}", file=file)
    file.flush()


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Feed definitions, stored feeds and the keyring: mistakes the user fixes (exit 2 or 4)."""
    from app.feeds import FeedConfigError, FeedNotFound
    from app.secrets import SecretsUnavailable

    try:
        yield
    except FeedNotFound as exc:
        raise UserError(str(exc), EXIT_NOT_FOUND) from exc
    except (FeedConfigError, SecretsUnavailable) as exc:
        raise UserError(str(exc), EXIT_USAGE) from exc


def install_stop(stop: asyncio.Event) -> None:
    """SIGINT and SIGTERM set `stop`, so a command ends cleanly and prints its report."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # Windows: KeyboardInterrupt instead
            pass


def bind_error(args: argparse.Namespace, exc: OSError) -> UserError:
    """A port in use or a bad --host: one line naming the address, exit 1."""
    return UserError(f"cannot serve on {args.host}:{args.port}: {exc.strerror or exc}", EXIT_ERROR)
