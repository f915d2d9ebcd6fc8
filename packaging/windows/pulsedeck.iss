; Inno Setup script for Pulsedeck on Windows (Inno Setup 6). Build on Windows, from the repo root:
;   py -m PyInstaller --noconfirm --clean --distpath dist --workpath build\pyinstaller packaging\pulsedeck.spec
;   dist\pulsedeck\pulsedeck.exe --self-test
;   iscc /DAppVersion=0.1.0 packaging\windows\pulsedeck.iss
; Output: dist\pulsedeck-0.1.0-windows-x64-setup.exe. packaging\build-windows.ps1 runs all three.
; Per-user install by default (no admin prompt); data stays in %LOCALAPPDATA%\Pulsedeck and is
; never removed by the uninstaller.

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#define AppName "Pulsedeck"
#define AppExe "pulsedeck.exe"
#define GuiExe "pulsedeck-gui.exe"

[Setup]
; The AppId identifies the product across upgrades: never change it.
AppId={{6A1C2E4F-3B7D-4E8A-9C21-5D0F7B3A9E64}
AppName={#AppName}
AppVersion={#AppVersion}
AppPublisher=Pulsedeck
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist
OutputBaseFilename=pulsedeck-{#AppVersion}-windows-x64-setup
SetupIconFile=pulsedeck.ico
UninstallDisplayIcon={app}\{#GuiExe}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
; A running Pulsedeck holds its files open: ask it to close (Restart Manager) before upgrading.
CloseApplications=yes
RestartApplications=no

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
; The whole PyInstaller one-folder bundle.
Source: "..\..\dist\pulsedeck\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\{#GuiExe}"
Name: "{group}\{#AppName} self-test"; Filename: "{cmd}"; Parameters: "/k ""{app}\{#AppExe}"" --self-test"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#GuiExe}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#GuiExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent
