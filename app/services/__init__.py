"""Application services per area, below both faces: the GUI and the CLI call the same code.

No Qt here (only app.ui imports Qt). Each area is one small module: `athletes`, `history`,
`session_detail`, `gym`, `devices`, `exports`, `strava`, `sync` and `recording`; the values
they return are the dataclasses of `rows`. Methods that need the event loop are `async`; the
rest are plain functions a caller runs off its GUI thread.
"""
