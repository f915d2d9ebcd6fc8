"""`pulsedeck accounts ...`, `pulsedeck sync ...` and `pulsedeck strava ...`.

Exit codes follow app.cli: 0 ok, 1 some work failed (details on stderr), 2 usage, 3 storage,
4 not found. `accounts link --athlete NAME` creates the local athlete it links (the one
command here that creates one). Secrets never appear in output: the client secret is read from
--client-secret-file, --client-secret (visible in `ps`), $PULSEDECK_STRAVA_CLIENT_SECRET, or
typed at a hidden prompt. No safe keyring (app.secrets): exit 2.
"""

from __future__ import annotations

import argparse

from . import accounts, shortcuts, sync_jobs
from .accounts import cmd_accounts_link as cmd_accounts_link
from .accounts import cmd_accounts_list as cmd_accounts_list
from .accounts import cmd_accounts_set as cmd_accounts_set
from .accounts import cmd_accounts_unlink as cmd_accounts_unlink
from .common import ENV_SECRET as ENV_SECRET
from .common import STATUS_TEXT as STATUS_TEXT
from .common import STRAVA_ERRORS as STRAVA_ERRORS
from .shortcuts import cmd_strava_status as cmd_strava_status
from .shortcuts import cmd_strava_upload as cmd_strava_upload
from .sync_jobs import cmd_sync_backfill as cmd_sync_backfill
from .sync_jobs import cmd_sync_retry as cmd_sync_retry
from .sync_jobs import cmd_sync_run as cmd_sync_run
from .sync_jobs import cmd_sync_status as cmd_sync_status


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `accounts`, `sync` and `strava` to the `pulsedeck` parser."""
    accounts.register(sub)
    sync_jobs.register(sub)
    shortcuts.register(sub)
