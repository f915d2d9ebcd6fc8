"""The analysis maths runs on numpy alone: scipy, pandas and neurokit2 are test-only."""

from __future__ import annotations

import subprocess
import sys


def test_no_scipy_or_pandas_at_runtime() -> None:
    code = (
        "import sys, app.domain.session_hrv, app.domain.power, app.domain.trends, "
        "app.commands.analysis; "
        "print(sorted(m for m in ('scipy', 'pandas', 'neurokit2') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
