"""MJML -> HTML by section: each section's HTML compiled once per shape and kept.

MRML (mjml-python) compiling the whole MJML of every email was half of an email's render time,
although two carts' emails differ mostly in their words and links: a cart line's MJML is the
same tags and attributes for every product, only its title, price, image and link change.
MRML copies those words and links into its HTML as they are written, and it compiles each
top-level ``<mj-section>`` of the body into HTML of its own (the body's HTML is the sections'
HTML one after the other). So:

- **Shapes.** The words (each run of text between tags, without the whitespace around it)
  and the ``href``/``src``/``alt`` values of the body are taken out and marked by
  placeholders; what is left of a section is its *shape*. An email's HTML is the kept HTML of
  its sections' shapes with its own words and links put back in.
- **Compiled together.** When an email brings a shape not kept, MRML compiles the email's
  head (``<mj-head>`` and ``<mj-body>``'s attributes, the title and preheader as placeholders
  too) with each of its distinct shapes once, in one document, the shapes set apart by
  ``<mj-raw>`` cuts; the ``<head>`` and every section's HTML are kept from it. The ``<head>``
  holds what the sections bring to it (the CSS of their column widths), so it is kept per
  head and set of section skeletons (a shape without what its ``<mj-text>``s hold).

What MRML does with a section is never guessed: a shape's HTML is what MRML itself writes for
it, and a word or link is put back only when MRML writes it as it is where it stands
(``mrml_characters``). The output is byte for byte ``mjml2html(source)``
(``tests/emails/test_mjml_sections.py`` compares them for every template and locale, awkward
values and varied carts); MJML this module does not split with certainty (anything but
sections at the body's top level, the placeholders' own brackets in the source, HTML that does
not cut as expected) goes to ``mjml2html`` whole. Kept HTML is bounded (``_Kept``): a process
sending for very many shops compiles more often, at most one document per email.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Sequence
from operator import itemgetter
from threading import Lock
from typing import Generic, NamedTuple, TypeVar

from mjml import mjml2html

from app.emails.mrml_characters import written_as_they_are

# Placeholders and cuts are written in brackets MRML copies as they are (it writes some
# characters differently inside an attribute, private-use ones for instance); a source that
# holds their opening is compiled whole.
_OPENING = "[[s"
_OURS = re.compile(r"\[\[s[fhcwl]")
# A word's or link's place in a shape before its section is compiled, where it is numbered.
_WORD, _LINK = "[[sw]]", '="[[sl]]"'
_PLACEHOLDER = re.compile(r"\[\[sf:(\d+)\]\]")
_HEAD_PLACEHOLDER = re.compile(r"\[\[sh:(\d+)\]\]")
_CUT, _CUT_TEXT = "<mj-raw>[[sc]]</mj-raw>", "[[sc]]"
# A section's words (a run of text between tags, without the whitespace around it, which
# stays in the shape) and the values of the attributes MRML copies as written. Each pattern
# starts with a fixed character, which ``re`` finds fast (an attribute's name is looked at
# behind its "=": three times faster than a pattern starting with the names).
_WORDS = re.compile(r"(>\s*)([^<\s](?:[^<]*[^<\s])?)(?=\s*<)")
_LINKS = re.compile(r'=(?<=href=|.src=|.alt=)"([^"]*)"', re.S)
_HEAD_WORDS = re.compile(r"(<mj-title>\s*|<mj-preview>\s*)([^<\s](?:[^<]*[^<\s])?)(?=\s*</)")
_SECTION_OPEN, _SECTION_CLOSE = "<mj-section", "</mj-section>"
_TEXT_CONTENT = re.compile(r"(<mj-text\b[^>]*>).*?(</mj-text>)", re.S)
_END = re.compile(r"</mj-body>\s*</mjml>\s*")
_BODY_END = "</mj-body></mjml>"
_HTML_END = "</div></body></html>"


class _Html(NamedTuple):
    """Kept HTML: its literal pieces, what picks the values that go between them from its
    words and links, how many words and links it takes; for a section, its skeleton."""

    literals: tuple[str, ...]
    pick: Callable[[Sequence[str]], tuple[str, ...]]
    words: int
    links: int
    # The shape without what its <mj-text>s hold: what the <head> depends on (the column
    # widths and the components' attributes; MRML does not read the text for, say, fonts).
    skeleton: str


K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class _Kept(Generic[K, V]):
    """At most ``size`` values, the least recently used let go first; safe across threads (a
    threaded web server or worker may render in several)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.values: dict[K, V] = {}
        self.lock = Lock()

    def get(self, key: K) -> V | None:
        with self.lock:
            value = self.values.pop(key, None)
            if value is not None:
                self.values[key] = value  # now the most recently used
            return value

    def put(self, key: K, value: V) -> None:
        with self.lock:
            self.values.pop(key, None)
            if len(self.values) >= self.size:
                del self.values[next(iter(self.values))]
            self.values[key] = value


# A head with its sections' skeletons -> its <head>; a head with a shape -> that section's
# HTML. About 5 KB each.
_HEADS: _Kept[tuple[str, tuple[str, ...]], _Html] = _Kept(512)
_SECTIONS: _Kept[tuple[str, str], _Html] = _Kept(4096)


def forget_kept() -> None:
    """Let go of every kept head and section: the next emails compile as a new process's do
    (the render benchmark starts each round so)."""
    for kept in (_HEADS, _SECTIONS):
        with kept.lock:
            kept.values.clear()


def mjml_to_html(source: str) -> str:
    """``mjml2html(source)``, from kept section HTML when the source splits into sections."""
    split = _split(source)
    if split is None:
        return mjml2html(source)
    head, head_values, shapes, words, links = split
    if not written_as_they_are("".join(words), "".join(links) + "".join(head_values)):
        return mjml2html(source)
    sections: list[_Html] = []
    for shape in shapes:
        section = _SECTIONS.get((head, shape))
        if section is None:
            break
        sections.append(section)
    head_html = None
    if len(sections) == len(shapes):
        head_html = _HEADS.get((head, tuple(dict.fromkeys(s.skeleton for s in sections))))
    if head_html is None:
        compiled = _compile(head, tuple(dict.fromkeys(shapes)))
        if compiled is None:
            return mjml2html(source)
        head_html, by_shape = compiled
        sections = [by_shape[shape] for shape in shapes]
    out: list[str] = []
    _fill(out, head_html, head_values)
    word = link = 0
    for section in sections:
        end_word, end_link = word + section.words, link + section.links
        _fill(out, section, words[word:end_word] + links[link:end_link])
        word, link = end_word, end_link
    out.append(_HTML_END)
    return "".join(out)


def _split(source: str) -> tuple[str, list[str], list[str], list[str], list[str]] | None:
    """The source's head (up to ``<mj-body ...>``, its title and preheader as placeholders),
    their values, the body's sections as shapes, and their words and links in order; None
    when the body holds anything but sections."""
    if _OPENING in source:
        return None
    opened = source.find(">", source.find("<mj-body")) + 1
    end = source.rfind("</mj-body>")
    if opened <= 0 or end < opened or not _END.fullmatch(source, end):
        return None
    # The words and links of the whole body at once, their places marked without a number
    # (numbered per section when it is compiled): one pass of each pattern per email.
    parts = _WORDS.split(source[opened:end])  # text, ">" and whitespace, word, text, ...
    words = parts[2::3]
    parts[2::3] = [_WORD] * len(words)
    parts = _LINKS.split("".join(parts))  # text up to 'href', value, text, ...
    links = parts[1::2]
    parts[1::2] = [_LINK] * len(links)
    body = "".join(parts)
    shapes, position = [], 0
    while (start := body.find(_SECTION_OPEN, position)) >= 0:
        close = body.find(_SECTION_CLOSE, start)
        if close < 0 or body[position:start].strip():
            return None
        position = close + len(_SECTION_CLOSE)
        shape = body[start:position]
        if shape.find(_SECTION_OPEN, 1) >= 0:
            return None
        shapes.append(shape)
    if body[position:].strip():
        return None
    parts = _HEAD_WORDS.split(source[:opened])  # text, "<mj-title>", title, text, ...
    head_values = parts[2::3]
    parts[2::3] = _HEAD_MARKS.take(len(head_values))
    return "".join(parts), head_values, shapes, words, links


class _Marks:
    """Numbered placeholders (``[[sf:0]]``, ``[[sf:1]]``, ...), each made once."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.made: list[str] = []

    def take(self, count: int, start: int = 0) -> list[str]:
        while len(self.made) < start + count:
            self.made.append(f"[[{self.kind}:{len(self.made)}]]")
        return self.made[start : start + count]


_SECTION_MARKS, _HEAD_MARKS = _Marks("sf"), _Marks("sh")


def _numbered(shape: str) -> tuple[str, int, int]:
    """The shape with its words' places numbered, then its links', and how many of each."""
    pieces = shape.split(_WORD)
    words = len(pieces) - 1
    numbered = _interleave(pieces, _SECTION_MARKS.take(words))
    pieces = numbered.split(_LINK)
    links = len(pieces) - 1
    marks = [f'="{mark}"' for mark in _SECTION_MARKS.take(links, words)]
    return _interleave(pieces, marks), words, links


def _interleave(pieces: list[str], marks: list[str]) -> str:
    merged = [""] * (len(pieces) + len(marks))
    merged[0::2], merged[1::2] = pieces, marks
    return "".join(merged)


def _fill(out: list[str], html: _Html, values: Sequence[str]) -> None:
    merged = [""] * (2 * len(html.literals) - 1)
    merged[0::2] = html.literals
    merged[1::2] = html.pick(values)
    out.extend(merged)


def _compile(head: str, shapes: tuple[str, ...]) -> tuple[_Html, dict[str, _Html]] | None:
    """MRML's HTML of the head with these (distinct) shapes, cut into the ``<head>`` with the
    body's opening and each shape's section, all kept; None when it does not cut so."""
    numbered = [_numbered(shape) for shape in shapes]
    document = head + _CUT + _CUT.join(shape for shape, _, _ in numbered) + _CUT + _BODY_END
    head_html, separator, body = mjml2html(document).partition("</head>")
    opening, *sections, closing = body.split(_CUT_TEXT)
    if not separator or closing != _HTML_END or len(sections) != len(shapes):
        return None
    kept_head = _kept(head_html + separator + opening, _HEAD_PLACEHOLDER)
    if kept_head is None:
        return None
    by_shape = {}
    for shape, html, (_, words, links) in zip(shapes, sections, numbered, strict=True):
        kept = _kept(html, _PLACEHOLDER, words, links, _TEXT_CONTENT.sub(r"\1\2", shape))
        if kept is None:
            return None
        by_shape[shape] = kept
    for shape, kept in by_shape.items():
        _SECTIONS.put((head, shape), kept)
    _HEADS.put((head, tuple(dict.fromkeys(kept.skeleton for kept in by_shape.values()))), kept_head)
    return kept_head, by_shape


def _kept(
    html: str, placeholder: re.Pattern[str], words: int = 0, links: int = 0, skeleton: str = ""
) -> _Html | None:
    """HTML as its literal pieces and the numbers of the values between them; None when it
    holds placeholders of the other kind (a section's word in the head, or the reverse)."""
    parts = placeholder.split(html)
    literals = tuple(parts[0::2])
    if any(_OURS.search(literal) for literal in literals):
        return None
    numbers = [int(number) for number in parts[1::2]]
    pick: Callable[[Sequence[str]], tuple[str, ...]]
    if len(numbers) == 1:
        only = numbers[0]
        pick = lambda values: (values[only],)  # noqa: E731
    elif not numbers:
        pick = lambda values: ()  # noqa: E731
    else:
        pick = itemgetter(*numbers)
    return _Html(literals, pick, words, links, skeleton)
