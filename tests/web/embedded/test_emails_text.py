"""The email editor's catalogs (domain ``editor``) are complete, compiled and current."""

from __future__ import annotations

import os

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from app.web.embedded.emails_text import TRANSLATIONS_DIR, gettext_for

WEB_DIR = os.path.dirname(os.path.dirname(TRANSLATIONS_DIR))  # app/web


def _entries(catalog) -> dict[str, str]:
    return {m.id: m.string for m in catalog if m.id}


@pytest.mark.parametrize("locale", ["pl", "ro"])
def test_editor_catalogs_are_complete_and_compiled(locale):
    base = f"{TRANSLATIONS_DIR}/{locale}/LC_MESSAGES/editor"
    with open(f"{base}.po", "rb") as po_file, open(f"{base}.mo", "rb") as mo_file:
        po, mo = _entries(read_po(po_file)), _entries(read_mo(mo_file))
    with open(f"{TRANSLATIONS_DIR}/editor.pot", "rb") as pot_file:
        pot = _entries(read_po(pot_file))
    assert po.keys() == pot.keys()
    assert [msgid for msgid, text in po.items() if not text] == []
    assert po == mo


def test_every_string_of_the_editor_is_in_the_catalog_template():
    """A new or changed string must be extracted (see app/web/embedded/babel-editor.cfg)."""
    method_map = [
        ("**/embedded/emails.py", "python"),
        ("**/embedded/emails_text.py", "python"),
        ("**/templates/embedded/emails.html", "jinja2"),
    ]
    keywords = {"_": None, "N_": None}
    found = {m[2] for m in extract_from_dir(WEB_DIR, method_map, keywords=keywords)}
    with open(f"{TRANSLATIONS_DIR}/editor.pot", "rb") as pot_file:
        assert found - _entries(read_po(pot_file)).keys() == set()
    assert len(found) > 40


def test_words_are_filled_in_after_translation():
    assert gettext_for("pl")("Email %(number)s", number=2) == "E-mail 2"
    assert gettext_for("ro")("Save") == "Salvează"
    assert gettext_for("xx")("Save") == "Save"
