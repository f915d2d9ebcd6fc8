"""History's Sync column reads the Strava ledger's own labels (one mapping, not a copy)."""

from __future__ import annotations

import pytest

from app.services.history import sync_states
from app.store.repo import Store
from sync.strava.ledger import LedgerState


@pytest.mark.parametrize("state", list(LedgerState))
def test_every_ledger_state_has_the_ledgers_label(store: Store, state: LedgerState) -> None:
    from app.store import models as m

    me = store.default_athlete()
    sid = store.create_session(me.id, sport="run", source="simulator", started_ms=1_000)
    with store.orm() as s, s.begin():
        account = m.RemoteAccount(
            athlete_id=me.id, provider="strava", remote_id="1", role="owner", created_ms=1
        )
        s.add(account)
        s.flush()
        s.add(
            m.RemoteActivity(
                account_id=account.id,
                session_id=sid,
                external_id="x",
                state=str(state),
                updated_ms=1,
            )  # fmt: skip
        )
    assert sync_states(store, [sid]) == {sid: state.label}
