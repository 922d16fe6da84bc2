"""Documents for newcomers, once: which kinds there are, their placeholders and sections, the
small markup their texts are written in, and when a translation is a draft or outdated.

A text is plain UTF-8 in a tiny, safe markup (no HTML ever reaches the page):

- a line `# Heading` is a heading, a line `- item` a list item, other lines run into a
  paragraph until a blank line;
- `{name}` is a named placeholder, filled with plain text at print time (the kind says
  which names it knows; a `{{` or `}}` writes a brace);
- a line `[name]` starts a named section (the kind says which): the consent form has one
  per purpose, the introduction letter one with the volunteer's contact that is printed
  only when the volunteer consents to passing it on.

No Flask here: the service stores versions, the web layer prints.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from matcher.domain import locales
from matcher.domain.errors import Invalid
from matcher.domain.vocab import CONSENT_PURPOSES
from matcher.engine.vocab import LEVELS

#: The four documents, in the order a coordinator needs them.
KINDS: Final = ("privacy_notice", "consent_form", "introduction_letter", "patenschaft_sheet")

#: Placeholders each kind may use. Every kind knows the agency's name and contact.
_AGENCY: Final = ("agency_name", "agency_city", "agency_contact")
PLACEHOLDERS: Final[Mapping[str, tuple[str, ...]]] = {
    "privacy_notice": (*_AGENCY, "retention_months"),
    "consent_form": (*_AGENCY, "newcomer_name"),
    "introduction_letter": (
        *_AGENCY,
        "newcomer_first_name",
        "volunteer_first_name",
        "volunteer_contact",
        "meeting_date",
        "meeting_time",
        "meeting_place",
    ),  # fmt: skip
    "patenschaft_sheet": _AGENCY,
}

#: Named sections of each kind; text before the first section is the "intro". A section
#: listed here may be left out of a text; an unknown one is refused.
SECTIONS: Final[Mapping[str, tuple[str, ...]]] = {
    "privacy_notice": (),
    "consent_form": (*CONSENT_PURPOSES, "signatures"),
    "introduction_letter": ("contact", "closing"),
    "patenschaft_sheet": (),
}
#: Placeholders allowed only inside one section (printed only when that section is).
SECTION_ONLY: Final[Mapping[str, str]] = {"volunteer_contact": "contact"}

INTRO: Final = "intro"
MAX_TEXT_LENGTH: Final = 20_000

BlockKind = Literal["heading", "paragraph", "list"]


@dataclass(frozen=True)
class Block:
    """One heading, paragraph or list of a rendered section; `lines` hold filled text."""

    kind: BlockKind
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Section:
    """A named part of a document: its blocks, ready to print."""

    name: str
    blocks: tuple[Block, ...]


_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([a-z_]+)\}|[{}]")
_SECTION = re.compile(r"^\[([a-z_]+)\]\s*$")


def check_kind(kind: str) -> str:
    """`kind` if it is a document kind, else Invalid."""
    if kind not in KINDS:
        raise Invalid("document_kind_unknown", kind=kind)
    return kind


def check_language(code: str) -> str:
    """`code` if documents are written in it, else Invalid."""
    if code not in locales.DOCUMENT_LANGUAGES:
        raise Invalid("document_language_unknown", language=code)
    return code


def document_language(spoken: Iterable[tuple[str, str]]) -> str:
    """The language a newcomer's documents default to: of the (code, level) pairs she
    speaks, the best-spoken that documents are written in (ties: in the order given);
    German when none is. One function, so it can later read a stored preference first."""
    ranked = sorted(
        ((code, level) for code, level in spoken if code in locales.DOCUMENT_LANGUAGES),
        key=lambda pair: -LEVELS.index(pair[1]) if pair[1] in LEVELS else 1,
    )
    return ranked[0][0] if ranked else "de"


def validate(kind: str, text: str) -> None:
    """Refuse a text with unknown placeholders or sections, or one too long (Invalid)."""
    check_kind(kind)
    if len(text) > MAX_TEXT_LENGTH:
        raise Invalid("document_text_too_long", limit=MAX_TEXT_LENGTH)
    if not text.strip():
        raise Invalid("document_text_empty")
    section = INTRO
    for line in text.splitlines():
        found = _SECTION.match(line.strip())
        if found:
            section = found.group(1)
            if section not in SECTIONS[kind]:
                raise Invalid("document_section_unknown", name=section)
            continue
        for match in _PLACEHOLDER.finditer(line):
            token, name = match.group(0), match.group(1)
            if token in ("{{", "}}"):
                continue
            if name is None or name not in PLACEHOLDERS[kind]:
                raise Invalid("document_placeholder_unknown", name=name or token)
            if SECTION_ONLY.get(name, section) != section:
                raise Invalid("document_placeholder_outside", name=name, section=SECTION_ONLY[name])


def render(text: str, values: Mapping[str, str]) -> dict[str, Section]:
    """The text's sections by name, placeholders filled with `values` (plain text; the
    template escapes it). A placeholder without a value stays visible as `{name}`."""

    def fill(line: str) -> str:
        def one(match: re.Match[str]) -> str:
            token, name = match.group(0), match.group(1)
            if token in ("{{", "}}"):
                return token[0]
            if name is None:
                return token
            return values.get(name) or token

        return _PLACEHOLDER.sub(one, line)

    sections: dict[str, list[Block]] = {INTRO: []}
    current = sections[INTRO]
    paragraph: list[str] = []
    items: list[str] = []

    def flush() -> None:
        if paragraph:
            current.append(Block("paragraph", tuple(paragraph)))
            paragraph.clear()
        if items:
            current.append(Block("list", tuple(items)))
            items.clear()

    for raw in text.splitlines():
        line = raw.strip()
        found = _SECTION.match(line)
        if found:
            flush()
            current = sections.setdefault(found.group(1), [])
        elif not line:
            flush()
        elif line.startswith("# "):
            flush()
            current.append(Block("heading", (fill(line[2:].strip()),)))
        elif line.startswith("- "):
            if paragraph:
                flush()
            items.append(fill(line[2:].strip()))
        else:
            if items:
                flush()
            paragraph.append(fill(line))
    flush()
    return {name: Section(name, tuple(blocks)) for name, blocks in sections.items()}


# --------------------------------------------------------------------------- versions

Source = Literal["shipped", "agency"]


@dataclass(frozen=True)
class TextState:
    """Where one document's text in one language stands for an agency.

    `version` 0 is the shipped text; an agency's own versions count from 1.
    `german_version` is the German version a translation was made or reviewed against.
    """

    kind: str
    language: str
    version: int
    source: Source
    german_version: int | None
    reviewed: bool
    current_german: int

    @property
    def checked(self) -> bool:
        """Checked text: German or English, or a translation someone at the agency reviewed."""
        return locales.is_checked(self.language) or self.reviewed

    @property
    def draft(self) -> bool:
        """An unreviewed draft translation: it must say so on the page and the paper."""
        return not self.checked

    @property
    def outdated(self) -> bool:
        """A translation made against an older German text than the current one."""
        if self.language == "de":
            return False
        return (self.german_version or 0) < self.current_german


def coverage_order(states: Sequence[TextState]) -> list[TextState]:
    """States in the order of KINDS, then DOCUMENT_LANGUAGES."""
    return sorted(
        states,
        key=lambda s: (KINDS.index(s.kind), locales.DOCUMENT_LANGUAGES.index(s.language)),
    )


#: Printed on a draft translation, in its own language: honest about what the reader holds.
#: The German one stands in the German column beside a draft.
DRAFT_NOTES: Final[Mapping[str, str]] = {
    "de": "Die Übersetzung nebenan ist ein ungeprüfter Entwurf. Es gilt der deutsche Text.",
    "en": "This translation is an unreviewed draft. The German text applies.",
    "ar": "هذه الترجمة مسودة لم تتم مراجعتها. النص الألماني هو المعتمد.",
    "fa": "این ترجمه پیش‌نویسی است که بازبینی نشده است. متن آلمانی معتبر است.",
    "prs": "این ترجمه یک مسوده است که بررسی نشده است. متن آلمانی معتبر است.",
    "ps": "دا ژباړه یوه نه کتل شوې مسوده ده. الماني متن معتبر دی.",
    "uk": "Цей переклад є неперевіреною чернеткою. Чинним є німецький текст.",
    "ru": "Этот перевод является непроверенным черновиком. Действует немецкий текст.",
    "tr": "Bu çeviri gözden geçirilmemiş bir taslaktır. Geçerli olan Almanca metindir.",
    "kmr": "Ev werger pêşnûmeyeke ku nehatiye kontrolkirin e. Nivîsa almanî derbasdar e.",
    "ckb": "ئەم وەرگێڕانە ڕەشنووسێکی پشکنین‌نەکراوە. دەقی ئەڵمانی بڕیاردەرە.",
    "ti": "እዚ ትርጉም ዘይተመርመረ ንድፊ እዩ። እቲ ናይ ጀርመንኛ ጽሑፍ እዩ ዝሰርሕ።",
    "so": "Turjumaaddan waa qabyo aan la hubin. Qoraalka Jarmalka ayaa ansax ah.",
    "fr": "Cette traduction est un brouillon non relu. Le texte allemand fait foi.",
}
