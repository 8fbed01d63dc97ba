"""What a site's settings may be: its name and URL, languages, currencies and page theme.

One set of rules for creating and for changing a site, so that whatever is stored is what the
pages and APIs can use: a value they would have to drop is refused here, with the field named.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from babel import Locale, UnknownLocaleError

from tessera.kit.errors import Invalid

DEFAULT_THEME: dict[str, str] = {
    "primary_colour": "#3b3b98",
    "background_colour": "#ffffff",
    "text_colour": "#1f2933",
    "logo_url": "",
}
THEME_COLOURS = ("primary_colour", "background_colour", "text_colour")

# The columns' lengths (store.tables.sites).
NAME_MAX = 200
URL_MAX = 500
LANGUAGE_MAX = 20

_COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
_CURRENCY = re.compile(r"[a-z]{3}")


@dataclass(frozen=True, slots=True)
class SiteChanges:
    """What ``update_site`` changes; None (or a theme setting left out) keeps the stored value.
    New ``languages`` or ``currencies`` are in order, default first, as when creating a site."""

    name: str | None = None
    url: str | None = None
    languages: list[str] | None = None
    currencies: list[str] | None = None
    default_language: str | None = None
    default_currency: str | None = None
    theme: dict[str, str] = field(default_factory=dict)

    def is_empty(self) -> bool:
        given = (self.name, self.url, self.languages, self.currencies)
        defaults = (self.default_language, self.default_currency)
        return not self.theme and all(value is None for value in (*given, *defaults))


def check_theme(theme: dict[str, str]) -> None:
    """Colours are ``#rgb`` or ``#rrggbb``; a logo is an https URL (or empty: no logo).
    Anything else would be dropped when a page is drawn, so it is refused here, where the
    merchant can fix it."""
    details = {
        f"theme.{name}": "is not a known setting" for name in theme if name not in DEFAULT_THEME
    }
    for name in THEME_COLOURS:
        if name in theme and _COLOUR.fullmatch(theme[name]) is None:
            details[f"theme.{name}"] = "must be a hex colour such as #3b3b98"
    logo = theme.get("logo_url", "")
    if logo and (not logo.startswith("https://") or any(c in logo for c in " \"'<>\n")):
        details["theme.logo_url"] = "must be an https:// URL"
    if details:
        raise Invalid("Invalid site theme", details)


def checked_name(name: str) -> str:
    cleaned = name.strip()
    if not cleaned:
        raise Invalid("Invalid site", {"name": "must not be empty"})
    if len(cleaned) > NAME_MAX:
        raise Invalid("Invalid site", {"name": f"must be at most {NAME_MAX} characters"})
    return cleaned


def checked_url(url: str) -> str:
    """The shop's address: empty, or an absolute http(s) URL that fits its column."""
    cleaned = url.strip()
    if not cleaned:
        return ""
    parts = urlsplit(cleaned)
    if parts.scheme not in ("http", "https") or not parts.netloc or " " in cleaned:
        raise Invalid("Invalid site", {"url": "must be an http:// or https:// URL"})
    if len(cleaned) > URL_MAX:
        raise Invalid("Invalid site", {"url": f"must be at most {URL_MAX} characters"})
    return cleaned


def _values(values: list[str], field: str) -> list[str]:
    cleaned = list(dict.fromkeys(v.strip().lower() for v in values if v.strip()))
    if not cleaned:
        raise Invalid("Invalid site", {field: "must name at least one value"})
    return cleaned


def checked_languages(values: list[str]) -> list[str]:
    """Language tags Babel knows (``en``, ``fr-ca``, ``pt_BR``), lower case with hyphens, as
    ``Site.supported_language`` compares them; the first stays first (the default)."""
    languages = _values([v.replace("_", "-") for v in values], "languages")
    for tag in languages:
        try:
            known = len(tag) <= LANGUAGE_MAX and Locale.parse(tag, sep="-") is not None
        except (UnknownLocaleError, ValueError):
            known = False
        if not known:
            raise Invalid("Invalid site", {"languages": f"{tag!r} is not a known language tag"})
    return languages


def checked_currencies(values: list[str]) -> list[str]:
    currencies = _values(values, "currencies")
    for code in currencies:
        if _CURRENCY.fullmatch(code) is None:
            problem = f"{code!r} is not an ISO 4217 currency code"
            raise Invalid("Invalid site", {"currencies": problem})
    return currencies


def checked_default(value: str | None, among: list[str], field: str, kind: str) -> str:
    """The default language or currency: ``value`` if given (it must be one of ``among``),
    else the first of ``among``."""
    chosen = among[0] if value is None else value.strip().lower().replace("_", "-")
    if chosen not in among:
        raise Invalid("Invalid site", {field: f"must be one of the site's {kind}"})
    return chosen
