"""Light, dark and high-contrast themes: one palette table, a style sheet built from it."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

THEMES: tuple[str, ...] = ("light", "dark", "high_contrast")
THEME_LABELS = {"light": "Light", "dark": "Dark", "high_contrast": "High contrast"}


@dataclass(frozen=True, slots=True)
class Theme:
    name: str
    window: str
    panel: str
    text: str
    muted: str
    accent: str
    border: str
    chart_bg: str
    grid: str
    #: Zone colours, index 0 = below zone 1 (rest), 1..5 = zones.
    zones: tuple[str, str, str, str, str, str]
    cadence: str
    danger: str
    ok: str
    #: Text of disabled controls: still readable (≥ 4.5:1), but greyed, with a dashed border.
    disabled: str = "#6b7280"


LIGHT = Theme(
    "light", window="#f4f5f7", panel="#ffffff", text="#16191d", muted="#5b6470",
    accent="#1f6feb", border="#d5d9de", chart_bg="#ffffff", grid="#e3e6ea",
    zones=("#7d8590", "#3d8bd9", "#2e9e5b", "#d4a017", "#e8740c", "#d62d20"),
    cadence="#7b3fe4", danger="#c62828", ok="#2e7d32", disabled="#656d78",
)  # fmt: skip
DARK = Theme(
    "dark", window="#111418", panel="#1b1f24", text="#eef1f4", muted="#9aa4af",
    accent="#4c9aff", border="#2d333b", chart_bg="#161a1f", grid="#2a3038",
    zones=("#8b949e", "#58a6ff", "#3fb950", "#e3b341", "#f0883e", "#ff5c52"),
    cadence="#b39dff", danger="#ff6b6b", ok="#56d364", disabled="#8b949e",
)  # fmt: skip
HIGH_CONTRAST = Theme(
    "high_contrast", window="#000000", panel="#000000", text="#ffffff", muted="#ffffff",
    accent="#ffff00", border="#ffffff", chart_bg="#000000", grid="#606060",
    zones=("#ffffff", "#00c8ff", "#00ff66", "#ffff00", "#ff9900", "#ff3b3b"),
    cadence="#ff66ff", danger="#ff3b3b", ok="#00ff66", disabled="#a6a6a6",
)  # fmt: skip
_BY_NAME = {t.name: t for t in (LIGHT, DARK, HIGH_CONTRAST)}


def get(name: str) -> Theme:
    return _BY_NAME.get(name, LIGHT)


def zone_color(theme: Theme, zone: int) -> str:
    return theme.zones[max(0, min(5, zone))]


def luminance(colour: str) -> float:
    """WCAG relative luminance of "#rrggbb"."""
    rgb = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two colours (1..21)."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def on_colour(t: Theme, background: str) -> str:
    """The text colour with the most contrast on `background` (primary buttons, selections)."""
    return max((t.window, t.panel, "#ffffff", "#000000"), key=lambda c: contrast(c, background))


def state_colours(t: Theme) -> dict[tuple[str, str], tuple[str, str, str]]:
    """(widget, state) -> (text, background, border) as the style sheet draws them."""
    return {
        ("button", "normal"): (t.text, t.panel, t.border),
        ("button", "hover"): (t.text, t.panel, t.accent),
        ("button", "disabled"): (t.disabled, t.window, t.disabled),
        ("primary", "normal"): (on_colour(t, t.accent), t.accent, t.accent),
        ("primary", "disabled"): (t.disabled, t.window, t.disabled),
        ("danger", "normal"): (t.danger, t.panel, t.danger),
        ("danger", "hover"): (on_colour(t, t.danger), t.danger, t.danger),
        ("danger", "disabled"): (t.disabled, t.window, t.disabled),
        ("checkbox", "normal"): (t.text, t.window, t.text),
        ("checkbox", "checked"): (t.text, t.window, t.accent),
        ("checkbox", "disabled"): (t.disabled, t.window, t.disabled),
        ("input", "normal"): (t.text, t.panel, t.border),
        ("input", "disabled"): (t.disabled, t.window, t.disabled),
        ("label", "muted"): (t.muted, t.window, t.window),
    }


def style_sheet(t: Theme) -> str:
    """The application style sheet; sizes chosen to read from across a room."""
    border_w = 2 if t.name == "high_contrast" else 1
    on_accent, on_danger = on_colour(t, t.accent), on_colour(t, t.danger)
    return f"""
    QWidget {{ background: {t.window}; color: {t.text}; font-size: 15px; }}
    QFrame#card, QGroupBox {{ background: {t.panel}; border: {border_w}px solid {t.border};
        border-radius: 10px; }}
    QGroupBox {{ margin-top: 18px; padding: 10px; font-weight: 600; }}
    QGroupBox::title {{ subcontrol-origin: margin; left: 12px; padding: 0 4px; }}
    QLabel {{ background: transparent; }}
    QLabel[role="muted"] {{ color: {t.muted}; }}
    QLabel[role="title"] {{ font-size: 26px; font-weight: 700; }}
    QLabel[role="metric"] {{ font-size: 28px; font-weight: 700; }}
    QLabel[role="metricname"] {{ color: {t.muted}; font-size: 14px; text-transform: uppercase; }}
    QListWidget#nav {{ background: {t.panel}; border: none; border-right: {border_w}px solid
        {t.border}; font-size: 17px; padding-top: 8px; }}
    QListWidget#nav::item {{ padding: 12px 16px; border-radius: 8px; margin: 2px 8px; }}
    QListWidget#nav::item:selected {{ background: {t.accent}; color: {on_accent}; }}
    QListWidget#nav {{ outline: none; }}
    QPushButton {{ background: {t.panel}; border: {border_w}px solid {t.border};
        border-radius: 8px; padding: 8px 16px; font-size: 16px; }}
    QPushButton:hover {{ border-color: {t.accent}; }}
    QPushButton[role="primary"] {{ background: {t.accent}; color: {on_accent};
        border-color: {t.accent}; font-weight: 700; }}
    QPushButton[role="danger"] {{ color: {t.danger}; border-color: {t.danger}; }}
    QPushButton[role="danger"]:hover {{ background: {t.danger}; color: {on_danger}; }}
    QPushButton:disabled, QPushButton[role="primary"]:disabled,
    QPushButton[role="danger"]:disabled {{ background: {t.window}; color: {t.disabled};
        border: {border_w}px dashed {t.disabled}; font-weight: 400; }}
    QCheckBox {{ spacing: 8px; }}
    QCheckBox::indicator {{ width: 16px; height: 16px; border: 2px solid {t.text};
        border-radius: 4px; background: {t.window}; }}
    QCheckBox::indicator:checked {{ background: {t.accent}; border-color: {t.accent}; }}
    QCheckBox::indicator:disabled {{ border: 2px dashed {t.disabled}; }}
    QCheckBox:disabled {{ color: {t.disabled}; }}
    QLineEdit:disabled, QSpinBox:disabled, QDoubleSpinBox:disabled, QComboBox:disabled {{
        color: {t.disabled}; background: {t.window}; border: {border_w}px dashed {t.disabled}; }}
    QPushButton[role="big"] {{ font-size: 20px; padding: 14px 22px; min-width: 120px; }}
    QLineEdit, QSpinBox, QDoubleSpinBox, QComboBox {{ background: {t.panel};
        border: {border_w}px solid {t.border}; border-radius: 6px; padding: 6px; }}
    QAbstractSpinBox::up-button, QAbstractSpinBox::down-button {{ width: 0px; border: none; }}
    QLineEdit:focus, QSpinBox:focus, QDoubleSpinBox:focus, QComboBox:focus {{
        border: 2px solid {t.accent}; }}
    QTableView, QTableWidget, QListWidget {{ background: {t.panel}; alternate-background-color:
        {t.window}; border: {border_w}px solid {t.border}; gridline-color: {t.grid};
        selection-background-color: {t.accent}; selection-color: {t.window}; }}
    QHeaderView::section {{ background: {t.window}; color: {t.muted}; border: none;
        border-bottom: {border_w}px solid {t.border}; padding: 6px; font-weight: 600; }}
    QProgressBar {{ border: {border_w}px solid {t.border}; border-radius: 6px; text-align:
        center; background: {t.window}; min-height: 22px; }}
    QProgressBar::chunk {{ background: {t.accent}; border-radius: 5px; }}
    QStatusBar {{ color: {t.muted}; }}
    QToolTip {{ background: {t.panel}; color: {t.text}; border: 1px solid {t.border}; }}
    """


def apply_current(name: str) -> Theme:
    """The theme `name`, set on the running QApplication if there is one (else just returned)."""
    app = QApplication.instance()
    return apply(app, name) if isinstance(app, QApplication) else get(name)


def apply(app: QApplication, name: str) -> Theme:
    """Set palette and style sheet on the application; returns the theme for charts."""
    t = get(name)
    pal = QPalette()
    for role, colour in (
        (QPalette.ColorRole.Window, t.window),
        (QPalette.ColorRole.Base, t.panel),
        (QPalette.ColorRole.AlternateBase, t.window),
        (QPalette.ColorRole.Text, t.text),
        (QPalette.ColorRole.WindowText, t.text),
        (QPalette.ColorRole.Button, t.panel),
        (QPalette.ColorRole.ButtonText, t.text),
        (QPalette.ColorRole.Highlight, t.accent),
        (QPalette.ColorRole.HighlightedText, t.window),
        (QPalette.ColorRole.PlaceholderText, t.muted),
        (QPalette.ColorRole.ToolTipBase, t.panel),
        (QPalette.ColorRole.ToolTipText, t.text),
    ):
        pal.setColor(role, QColor(colour))
    app.setPalette(pal)
    app.setStyleSheet(style_sheet(t))
    return t
