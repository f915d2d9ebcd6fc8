#!/usr/bin/env bash
# Build Pulsedeck for macOS: dist/Pulsedeck.app and dist/pulsedeck-VERSION-macos-ARCH.dmg.
# Run on a Mac (the architecture of the Python used is the app's: arm64 or x86_64) with
# `pip install -e '.[dev]'` done. Signing and notarisation run only when their variables are set:
#   CODESIGN_IDENTITY="Developer ID Application: NAME (TEAMID)"   (else ad-hoc signed)
#   NOTARY_PROFILE=name-of-a-`xcrun notarytool store-credentials`-profile
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-python3}
VERSION=$("$PYTHON" -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')
ARCH=$(uname -m)

"$PYTHON" -m PyInstaller --noconfirm --clean --distpath dist --workpath build/pyinstaller \
  packaging/pulsedeck.spec
APP=dist/Pulsedeck.app
test -d "$APP"
plutil -lint "$APP/Contents/Info.plist"
/usr/libexec/PlistBuddy -c 'Print :NSBluetoothAlwaysUsageDescription' "$APP/Contents/Info.plist"

QT_QPA_PLATFORM=offscreen "$APP/Contents/MacOS/pulsedeck" --self-test

identity=${CODESIGN_IDENTITY:--}
codesign --force --deep --options runtime --timestamp \
  --entitlements packaging/macos/entitlements.plist --sign "$identity" "$APP"
codesign --verify --strict --verbose=2 "$APP"

DMG=dist/pulsedeck-$VERSION-macos-$ARCH.dmg
rm -f "$DMG"
staging=$(mktemp -d)
cp -R "$APP" "$staging/"
ln -s /Applications "$staging/Applications"
hdiutil create -volname "Pulsedeck $VERSION" -srcfolder "$staging" -fs HFS+ -format UDZO "$DMG"
rm -rf "$staging"

if [ -n "${NOTARY_PROFILE:-}" ]; then
  codesign --sign "$identity" --timestamp "$DMG"
  xcrun notarytool submit "$DMG" --keychain-profile "$NOTARY_PROFILE" --wait
  xcrun stapler staple "$DMG"
fi
du -sh "$APP" "$DMG"
