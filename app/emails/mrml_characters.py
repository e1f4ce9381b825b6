"""Which characters MRML (mjml-python) writes into its HTML as they are written in the MJML.

Between tags, all but most control characters, which it refuses. Inside an attribute (an
image's ``alt``, a link's ``href``, the title it also writes into an ``aria-label``) it writes a
backslash, a line break, a no-break space, a combining accent and more as Rust escapes them
(``\\u{a0}``). ``mjml_sections`` puts words and links back into kept HTML only when MRML would
have written them as they are; for the rest it has MRML compile the whole source.

The answer for a character is MRML's own, asked once per character a process meets
(``ask``).
"""

from __future__ import annotations

import re

from mjml import mjml2html


def written_as_they_are(words: str, attributes: str) -> bool:
    """True when MRML writes these words (text between tags) and these attribute values as
    they are, and refuses none of them."""
    return CHARACTERS.written_as_they_are(
        words, attribute=False
    ) and CHARACTERS.written_as_they_are(attributes, attribute=True)


class Characters:
    """MRML's answers for the characters met so far: (as they are between tags, inside an
    attribute). Per place, a pattern finds any character not yet known to be written as it
    is, so a text of known characters is judged by one search."""

    def __init__(self) -> None:
        self.verdicts: dict[str, tuple[bool, bool]] = {}
        self.as_they_are: tuple[set[str], set[str]] = (set(), set())
        self.others = [_ANY, _ANY]

    def written_as_they_are(self, text: str, *, attribute: bool) -> bool:
        if not self.others[attribute].search(text):
            return True
        written, learnt = True, False
        for character in set(text) - self.as_they_are[attribute]:
            verdict = self.verdicts.get(character)
            if verdict is None:
                verdict = self.verdicts[character] = self.ask(character)
                for place, as_it_is in enumerate(verdict):
                    if as_it_is:
                        self.as_they_are[place].add(character)
                learnt = True
            written = written and verdict[attribute]
        if learnt:
            self.others = [_other_than(characters) for characters in self.as_they_are]
        return written

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


_PROBE = (
    "<mjml><mj-head><mj-title>{title}</mj-title></mj-head><mj-body><mj-section><mj-column>"
    "{body}</mj-column></mj-section></mj-body></mjml>"
)


_ANY = re.compile(r"[\s\S]")


def _other_than(characters: set[str]) -> re.Pattern[str]:
    if not characters:
        return _ANY
    return re.compile("[^" + "".join(re.escape(character) for character in characters) + "]")


CHARACTERS = Characters()
