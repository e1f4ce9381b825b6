"""Which characters MRML (mjml-python) writes into its HTML as they are written in the MJML.

Between tags, all but most control characters, which it refuses. Inside an attribute (an
image's ``alt``, a link's ``href``, the title it also writes into an ``aria-label``) it writes a
backslash, a line break, a no-break space, a combining accent and more as Rust escapes them
(``\\u{a0}``). ``mjml_sections`` puts words and links back into kept HTML only when MRML would
have written them as they are; for the rest it has MRML compile the whole source.

The answer for a character is MRML's own, asked once per character a process meets
(``ask``); for ASCII two patterns answer at once (a test checks them against MRML's answers).
"""

from __future__ import annotations

import re

from mjml import mjml2html


def written_as_they_are(words: str, attributes: str) -> bool:
    """True when MRML writes these words (text between tags) and these attribute values as
    they are, and refuses none of them."""
    if words.isascii():
        if ASCII_NOT_IN_TEXT.search(words):
            return False
    elif not CHARACTERS.written_as_they_are(set(words), attribute=False):
        return False
    if attributes.isascii():
        return not ASCII_NOT_IN_ATTRIBUTES.search(attributes)
    return CHARACTERS.written_as_they_are(set(attributes), attribute=True)


class Characters:
    """MRML's answers for the characters met so far: (as they are between tags, inside an
    attribute)."""

    def __init__(self) -> None:
        self.verdicts: dict[str, tuple[bool, bool]] = {}

    def written_as_they_are(self, characters: set[str], *, attribute: bool) -> bool:
        for character in characters:
            verdict = self.verdicts.get(character)
            if verdict is None:
                verdict = self.verdicts[character] = self.ask(character)
            if not verdict[attribute]:
                return False
        return True

    @staticmethod
    def ask(character: str) -> tuple[bool, bool]:
        """(written as it is between tags, inside an attribute). A word never starts or ends
        with whitespace (``mjml_sections._WORDS``); an attribute value may."""
        value = f"q{character}z"
        text = f'<mj-text>{value}</mj-text><mj-button href="x">{value}</mj-button>'
        try:
            html = mjml2html(_PROBE.format(title="", body=text))
        except ValueError:  # MRML refuses it
            return False, False
        as_text = f">{value}</div>" in html and f">{value}</a>" in html
        for value in (f"q{character}z", f"{character}qz", f"qz{character}"):
            image = f'<mj-image src="{value}" alt="{value}" href="{value}" />'
            try:
                html = mjml2html(_PROBE.format(title=value, body=image))
            except ValueError:
                return as_text, False
            if html.count(f'"{value}"') != 4:  # src, alt, href and the title's aria-label
                return as_text, False
        return as_text, True


CHARACTERS = Characters()
_PROBE = (
    "<mjml><mj-head><mj-title>{title}</mj-title></mj-head><mj-body><mj-section><mj-column>"
    "{body}</mj-column></mj-section></mj-body></mjml>"
)
# What MRML refuses anywhere, and what it writes otherwise inside an attribute, among ASCII.
# (A word cannot hold "<", nor a link '"'; a title could, escaped by Jinja it does not.)
ASCII_NOT_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f<]")
ASCII_NOT_IN_ATTRIBUTES = re.compile(r"[\x00-\x1f\\\x7f<\"]")
