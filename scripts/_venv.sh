# Sourced by scripts/run and scripts/test: create .venv and install Pulsedeck with the given
# extras only when needed, i.e. when pyproject.toml's [project] and [build-system] tables
# changed since the last install of those extras (a stamp per extra in .venv holds their hash;
# edits to the tool sections, e.g. mypy's, do not reinstall). Calls with nothing to do
# start at once and print nothing.
#   ensure_venv desktop        # scripts/run: the app (PySide6, pyqtgraph) and the CLI
#   ensure_venv dev desktop    # scripts/test: dev includes desktop, so both stamps are set
# PULSEDECK_REINSTALL=1 forces the install.

ensure_venv() {
  local py=${PYTHON:-python3} extra hash stale=0
  if [ ! -x .venv/bin/python ]; then
    "$py" -m venv .venv
  fi
  hash=$(.venv/bin/python - <<'PYEOF'
import hashlib, json, sys, tomllib
with open("pyproject.toml", "rb") as f:
    data = tomllib.load(f)
key = json.dumps([data.get("project"), data.get("build-system"), sys.version], sort_keys=True)
print(hashlib.sha256(key.encode()).hexdigest())
PYEOF
)
  for extra in "$@"; do
    [ "$(cat ".venv/.pulsedeck-$extra.stamp" 2>/dev/null)" = "$hash" ] || stale=1
  done
  [ -x .venv/bin/pulsedeck ] || stale=1
  if [ "$stale" = 1 ] || [ "${PULSEDECK_REINSTALL:-0}" = 1 ]; then
    echo "scripts: installing pulsedeck[$1] into .venv (pyproject.toml changed or first run)" >&2
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -e ".[$1]"
    for extra in "$@"; do
      printf '%s\n' "$hash" > ".venv/.pulsedeck-$extra.stamp"
    done
  fi
}
