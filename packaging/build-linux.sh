#!/usr/bin/env bash
# Build Pulsedeck for Linux in one command:
#   dist/pulsedeck/                                 the PyInstaller one-folder bundle
#   dist/pulsedeck-VERSION-linux-ARCH.tar.gz        bundle + .desktop entry + icon
#   dist/pulsedeck_VERSION_ARCH.deb                 installs to /opt/pulsedeck, /usr/bin/pulsedeck
# then runs the bundle's self-test (offline, offscreen). Options:
#   --no-self-test   skip the self-test (e.g. while a feature it checks is unfinished)
#   --no-clean       reuse PyInstaller's cache in build/pyinstaller (faster rebuilds)
# Environment: PYTHON (default: the venv's or python3) must have `.[dev]` installed.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

self_test=1
clean=--clean
for arg in "$@"; do
  case "$arg" in
    --no-self-test) self_test=0 ;;
    --no-clean) clean= ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "build-linux.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

if [ -z "${PYTHON:-}" ]; then
  for candidate in .venv/bin/python python3; do
    if command -v "$candidate" >/dev/null && "$candidate" -c "import PyInstaller" 2>/dev/null; then
      PYTHON=$candidate
      break
    fi
  done
fi
: "${PYTHON:?no Python with PyInstaller found: pip install -e '.[dev]' first, or set PYTHON}"
for tool in dpkg-deb tar; do
  command -v "$tool" >/dev/null || { echo "build-linux.sh: $tool is required" >&2; exit 2; }
done

VERSION=$("$PYTHON" -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')
ARCH=$(dpkg --print-architecture 2>/dev/null || uname -m)
GLIBC=$(getconf GNU_LIBC_VERSION | awk '{print $2}')
started=$(date +%s)

echo "== PyInstaller bundle (pulsedeck $VERSION, $ARCH)"
rm -rf dist/pulsedeck
"$PYTHON" -m PyInstaller --noconfirm $clean --log-level WARN \
  --distpath dist --workpath build/pyinstaller packaging/pulsedeck.spec
BUNDLE=dist/pulsedeck
test -x "$BUNDLE/pulsedeck"
built=$(date +%s)

echo "== tar.gz"
TAR_NAME=pulsedeck-$VERSION-linux-$ARCH
stage=build/stage/$TAR_NAME
rm -rf build/stage && mkdir -p "$stage"
cp -a "$BUNDLE/." "$stage/"
cp packaging/linux/pulsedeck.desktop packaging/icons/pulsedeck.svg "$stage/"
cp packaging/linux/README-tarball.txt "$stage/README.txt"
tar -C build/stage -czf "dist/$TAR_NAME.tar.gz" "$TAR_NAME"

echo "== .deb"
DEB_NAME=pulsedeck_${VERSION}_$ARCH
root=build/deb/$DEB_NAME
rm -rf build/deb && mkdir -p "$root/DEBIAN" "$root/opt" "$root/usr/bin" \
  "$root/usr/share/applications" "$root/usr/share/icons/hicolor/scalable/apps" \
  "$root/usr/share/doc/pulsedeck"
cp -a "$BUNDLE" "$root/opt/pulsedeck"
ln -s ../../opt/pulsedeck/pulsedeck "$root/usr/bin/pulsedeck"
install -m 0644 packaging/linux/pulsedeck.desktop "$root/usr/share/applications/"
install -m 0644 packaging/icons/pulsedeck.svg "$root/usr/share/icons/hicolor/scalable/apps/"
install -m 0644 packaging/linux/copyright "$root/usr/share/doc/pulsedeck/copyright"
size_kb=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s/@VERSION@/$VERSION/" -e "s/@ARCH@/$ARCH/" -e "s/@SIZE_KB@/$size_kb/" \
  -e "s/@GLIBC@/$GLIBC/" packaging/linux/control.in > "$root/DEBIAN/control"
install -m 0755 packaging/linux/postinst packaging/linux/postrm "$root/DEBIAN/"
find "$root" -type d -exec chmod 0755 {} +
dpkg-deb --root-owner-group -Zgzip -z6 --build "$root" "dist/$DEB_NAME.deb" >/dev/null
dpkg-deb --info "dist/$DEB_NAME.deb" >/dev/null  # fails on a malformed package
rm -rf build/stage build/deb  # two more copies of the bundle: ~750 MB of disk
packaged=$(date +%s)

if [ "$self_test" = 1 ]; then
  # Like a user would: --version and --help work, the self-test passes, and nothing
  # unexpected reaches stderr (a missing module often shows only as a logged warning).
  echo "== smoke test and self-test of the bundle"
  "$BUNDLE/pulsedeck" --version
  "$BUNDLE/pulsedeck" --help >/dev/null
  stderr_log=build/self-test.stderr
  "$BUNDLE/pulsedeck" --self-test 2>"$stderr_log" || { cat "$stderr_log" >&2; exit 1; }
  unexpected=$(grep -v -x -F -f packaging/benign-stderr.txt "$stderr_log" || true)
  if [ -n "$unexpected" ]; then
    printf 'unexpected output on stderr from the self-test:\n%s\n' "$unexpected" >&2
    exit 1
  fi
fi

echo "== done in $(( $(date +%s) - started )) s (PyInstaller $(( built - started )) s, packages $(( packaged - built )) s)"
du -sh "$BUNDLE" "dist/$TAR_NAME.tar.gz" "dist/$DEB_NAME.deb"
