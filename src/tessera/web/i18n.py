"""Languages of the pages: gettext catalogs compiled at startup, one Jinja environment each.

The ``.po`` catalogs in ``web/locales`` are the source of truth; there is no build step. Each
is compiled in memory (``read_po`` then ``write_mo``) the first time its language is needed
and cached for the life of the process.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from io import BytesIO

import jinja2
from babel import Locale, UnknownLocaleError
from babel.core import negotiate_locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

# Catalogs shipped in web/locales; English is the source language of the templates.
LANGUAGES = ("en", "de", "es", "fr", "it", "nl", "sv")
SOURCE_LANGUAGE = "en"
DOMAIN = "messages"


def catalog_language(language: str) -> str:
    """The shipped catalog for ``language`` (``fr-ca`` uses ``fr``), English when none fits."""
    wanted = language.strip().lower().replace("_", "-")
    base = wanted.split("-", 1)[0]
    return base if base in LANGUAGES else SOURCE_LANGUAGE


def babel_locale(language: str) -> Locale:
    """The CLDR locale used for numbers and money: the full tag when Babel knows it."""
    for candidate in (language.replace("-", "_"), catalog_language(language)):
        try:
            return Locale.parse(candidate)
        except (UnknownLocaleError, ValueError):
            continue
    return Locale.parse(SOURCE_LANGUAGE)


@cache
def translations(language: str) -> Translations:
    language = catalog_language(language)
    po = files("tessera.web").joinpath("locales", language, "LC_MESSAGES", f"{DOMAIN}.po")
    with po.open("rb") as source:
        catalog = read_po(source, locale=language, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def negotiate(accept_language: str | None) -> str:
    """The best shipped language for an ``Accept-Language`` header (for pages with no session)."""
    preferred: list[tuple[float, str]] = []
    for index, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        if not tag or tag == "*":
            continue
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        # Stable order for equal weights: earlier entries win.
        preferred.append((-quality + index * 1e-6, tag.strip().replace("-", "_")))
    tags = [tag for _, tag in sorted(preferred)]
    with_bases = [t for tag in tags for t in (tag, tag.split("_", 1)[0])]
    return negotiate_locale(with_bases, LANGUAGES) or SOURCE_LANGUAGE


TEMPLATES = jinja2.PackageLoader("tessera.web", "templates")


def environment(language: str) -> jinja2.Environment:
    """The environment for ``language``'s catalog, its gettext installed."""
    return _environment(catalog_language(language))


@cache
def _environment(language: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=TEMPLATES,
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    return env
