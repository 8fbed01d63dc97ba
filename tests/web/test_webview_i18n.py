"""The page texts: every catalog complete and correct, the .pot in step with the templates."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from tessera.loyalty.money import format_money
from tessera.loyalty.money import number as format_points
from tessera.web.i18n import LANGUAGES, negotiate, translations
from tessera.web.theme import DARK, LIGHT, contrast, hex_colour, page_colours, readable_on

WEB = Path(__file__).resolve().parents[2] / "src" / "tessera" / "web"
LOCALES = WEB / "locales"


def read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as source:
        return read_po(source, locale=locale)


def template_ids() -> set[object]:
    """Every message the templates and the web package use, extracted as Babel would."""
    method_map = [("templates/**.html", "jinja2"), ("**.py", "python")]
    options = {"templates/**.html": {"trim_blocks": "true", "lstrip_blocks": "true"}}
    ids: set[object] = set()
    for _, _, message, _, _ in extract_from_dir(str(WEB), method_map, options_map=options):
        # Plural calls come out as (singular, plural, extra arguments...): keep the two texts.
        ids.add(tuple(message[:2]) if isinstance(message, tuple) else message)
    return ids


def test_the_template_catalog_matches_the_messages_in_the_code() -> None:
    pot = {message.id for message in read(LOCALES / "messages.pot") if message.id}
    assert pot == template_ids()


def test_every_language_has_a_catalog() -> None:
    shipped = {path.parent.parent.name for path in LOCALES.glob("*/LC_MESSAGES/messages.po")}
    assert shipped == set(LANGUAGES)
    assert {"en", "de", "es", "fr", "it", "nl", "sv"} <= shipped


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated(language: str) -> None:
    pot = read(LOCALES / "messages.pot")
    catalog = read(LOCALES / language / "LC_MESSAGES" / "messages.po", language)
    missing = []
    for template in pot:
        if not template.id:
            continue
        message = catalog.get(template.id)
        strings = (
            []
            if message is None
            else list(message.string)
            if isinstance(message.string, tuple)
            else [message.string]
        )
        if message is None or message.fuzzy or not strings or not all(strings):
            missing.append(template.id)
    assert missing == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_their_placeholders(language: str) -> None:
    catalog = read(LOCALES / language / "LC_MESSAGES" / "messages.po", language)
    problems = [(message.id, [str(e) for e in errors]) for message, errors in catalog.check()]
    assert problems == []


def test_plural_forms_follow_the_language() -> None:
    assert translations("de").ngettext("%(num)s point", "%(num)s points", 1) == "%(num)s Punkt"
    assert translations("de").ngettext("%(num)s point", "%(num)s points", 2) == "%(num)s Punkte"
    # French uses the singular for zero.
    assert translations("fr").ngettext("point", "points", 0) == "point"
    assert translations("sv").ngettext("point", "points", 5) == "poäng"


def test_a_regional_language_uses_its_base_catalog() -> None:
    assert translations("fr-ca").gettext("Rewards") == "Récompenses"
    assert translations("ja").gettext("Rewards") == "Rewards"


@pytest.mark.parametrize(
    ("amount", "currency", "language", "expected"),
    [
        (1, "usd", "en", "$1"),
        (1, "eur", "de", "1\xa0€"),
        (2.5, "eur", "de", "2,50\xa0€"),
        (10, "gbp", "en", "£10"),
        (1, "sek", "sv", "1\xa0kr"),
    ],
)
def test_money_is_formatted_for_the_language(
    amount: float, currency: str, language: str, expected: str
) -> None:
    assert format_money(amount, currency, language) == expected


def test_points_are_grouped_for_the_language() -> None:
    assert format_points(12500, "en") == "12,500"
    assert format_points(12500, "de") == "12.500"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("de-DE,de;q=0.9,en;q=0.5", "de"),
        ("ja,fr;q=0.8", "fr"),
        ("en;q=0.2,nl;q=0.9", "nl"),
        ("ja", "en"),
        (None, "en"),
    ],
)
def test_pages_without_a_session_use_the_visitors_language(
    header: str | None, expected: str
) -> None:
    assert negotiate(header) == expected


def test_button_text_contrasts_with_the_brand_colour() -> None:
    assert readable_on("#ffd600") == DARK  # yellow: dark text
    assert readable_on("#3b3b98") == LIGHT  # indigo: white text
    for colour in ("#ffd600", "#3b3b98", "#00a86b", "#777777", "#e91e63", "#ff5a1f"):
        assert contrast(readable_on(colour), colour) >= 4.5


def test_unreadable_theme_text_falls_back_to_a_readable_colour() -> None:
    colours = page_colours({"background_colour": "#ffffff", "text_colour": "#fafafa"})
    assert contrast(colours.text, colours.background) >= 4.5


def test_only_hex_colours_and_https_logos_reach_the_page() -> None:
    assert hex_colour("#ABC", "#000000") == "#aabbcc"
    assert hex_colour("red;}", "#000000") == "#000000"
    assert page_colours({"logo_url": "javascript:alert(1)"}).logo_url == ""
    assert page_colours({"logo_url": "http://cdn.example.com/a.png"}).logo_url == ""
    assert page_colours({"logo_url": "https://cdn.example.com/a.png"}).logo_origin == (
        "https://cdn.example.com"
    )
