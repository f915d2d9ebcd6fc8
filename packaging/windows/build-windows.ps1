# Build Pulsedeck for Windows: PyInstaller bundle, self-test, Inno Setup installer.
# Needs: Python 3.11+ with `pip install -e .[dev]`, Inno Setup 6 (iscc on PATH), and
# packaging\windows\pulsedeck.ico (see docs/packaging.md for making it from the SVG).
$ErrorActionPreference = "Stop"
Set-Location (Join-Path $PSScriptRoot "..\..")
$version = (py -c "import tomllib; print(tomllib.load(open('pyproject.toml','rb'))['project']['version'])").Trim()
py -m PyInstaller --noconfirm --clean --distpath dist --workpath build\pyinstaller packaging\pulsedeck.spec
if ($LASTEXITCODE -ne 0) { throw "PyInstaller failed" }
$env:QT_QPA_PLATFORM = "offscreen"
& dist\pulsedeck\pulsedeck.exe --self-test
if ($LASTEXITCODE -ne 0) { throw "self-test failed" }
Remove-Item Env:QT_QPA_PLATFORM
iscc "/DAppVersion=$version" packaging\windows\pulsedeck.iss
if ($LASTEXITCODE -ne 0) { throw "Inno Setup failed" }
Get-ChildItem dist\pulsedeck-$version-windows-x64-setup.exe
