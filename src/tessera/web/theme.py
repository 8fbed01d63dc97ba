"""Page colours from a site's theme, made safe to embed and readable.

Theme values come from the merchant: only ``#rgb``/``#rrggbb`` colours are used (anything else
could break out of the style sheet), and text colours are chosen by WCAG contrast so a light
brand colour still gets dark button text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from tessera.programs.site_settings import DEFAULT_THEME

_HEX = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
DARK = "#111111"
BLACK = "#000000"
LIGHT = "#ffffff"
# WCAG 2 AA for normal text.
MIN_CONTRAST = 4.5


def hex_colour(value: str | None, default: str) -> str:
    """``value`` as ``#rrggbb`` if it is a hex colour, else ``default``."""
    value = (value or "").strip()
    if not _HEX.match(value):
        return default
    digits = value[1:]
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return "#" + digits.lower()


def luminance(colour: str) -> float:
    """WCAG relative luminance of a ``#rrggbb`` colour."""

    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def readable_on(background: str) -> str:
    """Dark or light text, whichever contrasts more with ``background``.

    Soft black reads nicer, but on mid-tones only pure black reaches AA; black or white always
    reaches at least 4.58:1 on any colour.
    """
    best = max((DARK, LIGHT), key=lambda colour: contrast(colour, background))
    if contrast(best, background) >= MIN_CONTRAST:
        return best
    return max((BLACK, LIGHT), key=lambda colour: contrast(colour, background))


@dataclass(frozen=True, slots=True)
class PageColours:
    primary: str
    on_primary: str
    background: str
    text: str
    # The brand colour where it is readable as text on the background, else the text colour.
    accent: str
    logo_url: str

    def css_variables(self) -> str:
        return (
            f"--primary:{self.primary};--on-primary:{self.on_primary};"
            f"--background:{self.background};--text:{self.text};--accent:{self.accent};"
        )

    @property
    def logo_origin(self) -> str | None:
        """Where the logo is served from, for the Content-Security-Policy's ``img-src``."""
        if not self.logo_url:
            return None
        parts = urlsplit(self.logo_url)
        return f"{parts.scheme}://{parts.netloc}"


def page_colours(theme: dict[str, str]) -> PageColours:
    primary = hex_colour(theme.get("primary_colour"), DEFAULT_THEME["primary_colour"])
    background = hex_colour(theme.get("background_colour"), DEFAULT_THEME["background_colour"])
    text = hex_colour(theme.get("text_colour"), DEFAULT_THEME["text_colour"])
    if contrast(text, background) < MIN_CONTRAST:
        text = readable_on(background)
    logo = (theme.get("logo_url") or "").strip()
    parts = urlsplit(logo)
    # Only absolute https logos: anything else is dropped rather than widening the CSP.
    if parts.scheme != "https" or not parts.netloc or any(c in logo for c in "\"'<> "):
        logo = ""
    return PageColours(
        primary=primary,
        on_primary=readable_on(primary),
        background=background,
        text=text,
        accent=primary if contrast(primary, background) >= MIN_CONTRAST else text,
        logo_url=logo,
    )
