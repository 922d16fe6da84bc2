"""The proposals table's rows as ready words: every label looked up once per language.

A page of 50 proposals, each with its full card in a `<details>`, asked the translation
machinery for the same few dozen labels thousands of times (a template `_()` costs about
a tenth of a millisecond), which alone made the page miss its 150 ms. Here the labels of a
language are translated once and kept (`_texts`), and each row is formatted in Python:
the template only writes strings out.
"""

import json
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from babel.numbers import get_decimal_symbol
from flask_babel import format_date, format_decimal, get_locale, gettext, to_user_timezone

from matcher import labels
from matcher.domain.vocab import DAYS, PARTS, mask_to_slots
from matcher.models import Newcomer, Volunteer
from matcher.services.matching.proposals import Row
from matcher.services.platform import vocabulary
from matcher.web.coordinator.reasons import reason_text


@dataclass(frozen=True)
class Fact:
    """A term and its description in a card's list (`muted`: a quieter addition)."""

    term: str
    text: str
    muted: str = ""


@dataclass(frozen=True)
class RowView:
    """One proposal as the table shows it: a line, and its card in the details."""

    row: Row
    names: str
    newcomer_name: str | None  # None once erased
    volunteer_name: str | None
    languages: str
    km: str
    waiting_days: str
    needs_certificate: str
    proposed_on: str
    volunteer_facts: list[Fact]
    newcomer_facts: list[Fact]
    shared_facts: list[Fact]
    components: list[tuple[str, float, int]]
    reasons: list[str]


def _str(lazy: Any) -> str:
    return str(lazy)


@lru_cache(maxsize=16)
def _texts(locale: str) -> dict[str, Any]:
    """The table's labels in one language (called inside a request of that language)."""
    return {
        "levels": {k: _str(v) for k, v in labels.LEVEL_LABELS.items()},
        "topics": {k: _str(v) for k, v in labels.TOPIC_LABELS.items()},
        "components": [(k, _str(v)) for k, v in labels.COMPONENT_LABELS.items()],
        "age_bands": {k: _str(v) for k, v in labels.AGE_BAND_LABELS.items()},
        "genders": {k: _str(v) for k, v in labels.GENDER_LABELS.items()},
        "slots": {
            f"{d}-{p}": f"{_str(labels.DAY_LABELS.get(d, d))} {_str(labels.PART_LABELS.get(p, p))}"
            for d in DAYS
            for p in PARTS
        },
        "decimal": get_decimal_symbol(locale),
        "km": gettext("%(km)s km"),
        # Patterns filled per row (gettext without variables leaves the placeholders).
        "select": gettext("Select %(names)s"),
        "proposed_on": gettext("Proposed on %(date)s."),
        "yes": gettext("yes"),
        "no": gettext("no"),
        "unknown": gettext("unknown"),
        "erased": gettext("erased person"),
        "postcode": gettext("Postcode"),
        "languages": gettext("Languages"),
        "times": gettext("Times"),
        "offers": gettext("Offers"),
        "needs": gettext("Needs"),
        "age_group": gettext("Age group"),
        "children": gettext("Children in the household"),
        "mentor_gender": gettext("Volunteer's gender"),
        "waiting_since": gettext("Waiting since"),
        "certificate": gettext("Certificate of good conduct"),
        "valid": gettext("valid"),
        "no_valid": gettext("no valid one"),
        "places": gettext("Places"),
        "shared_languages": gettext("Shared languages (newcomer / volunteer)"),
        "shared_times": gettext("Shared times"),
        "distance": gettext("Distance"),
        "topics_covered": gettext("Topics covered"),
        "not_covered": gettext("not covered"),
    }


def texts() -> dict[str, Any]:
    """The table's labels in the request's language."""
    return _texts(str(get_locale() or "de"))


class _Formats:
    """Dates, numbers and language names of one page, each formatted once."""

    def __init__(self, t: dict[str, Any]) -> None:
        self.t = t
        self.locale = str(get_locale() or "de")
        self.dates: dict[date, str] = {}
        self.languages: dict[str, str] = {}
        self.reasons: dict[str, str] = {}

    def reason(self, reason: Any) -> str:
        # Pairs of one page share most reasons (the same language, times, topics).
        key = json.dumps(reason, sort_keys=True, default=str)
        if key not in self.reasons:
            self.reasons[key] = reason_text(reason)
        return self.reasons[key]

    def day(self, value: date | datetime) -> str:
        if isinstance(value, datetime):
            value = to_user_timezone(value).date()
        if value not in self.dates:
            self.dates[value] = str(format_date(value))
        return self.dates[value]

    def language(self, code: str) -> str:
        if code not in self.languages:
            self.languages[code] = vocabulary.language_name(code, self.locale)
        return self.languages[code]

    def number(self, value: int) -> str:
        return str(value) if abs(value) < 1000 else str(format_decimal(value))

    def km(self, km: float | None) -> str:
        if km is None:
            return str(self.t["unknown"])
        if km >= 1000:
            figure = str(format_decimal(round(km, 1), format="#,##0.0"))
        else:
            figure = f"{km:.1f}".replace(".", self.t["decimal"])
        return str(self.t["km"] % {"km": figure})

    def joined(self, items: list[str]) -> str:
        return ", ".join(items) or "—"


def _person_facts(p: Volunteer | Newcomer, f: _Formats, on: date) -> list[Fact]:
    t = f.t
    facts = [
        Fact(t["postcode"], p.postcode or "—"),
        Fact(
            t["languages"],
            f.joined(
                [
                    f"{f.language(lang.code)} ({t['levels'].get(lang.level, lang.level)})"
                    for lang in p.languages
                ]
            ),
        ),  # fmt: skip
        Fact(t["times"], f.joined([t["slots"].get(s, s) for s in mask_to_slots(p.slots)])),
    ]
    topics = f.joined([t["topics"].get(x, x) for x in p.topics or []])
    if isinstance(p, Volunteer):
        facts += [
            Fact(t["offers"], topics),
            Fact(t["certificate"], t["valid"] if p.certificate_valid_on(on) else t["no_valid"]),
            Fact(t["places"], str(p.capacity)),
        ]
    else:
        facts += [
            Fact(t["needs"], topics),
            Fact(t["age_group"], t["age_bands"].get(p.age_band, p.age_band)),
            Fact(t["children"], t["yes"] if p.minors else t["no"]),
        ]
        if p.mentor_gender:
            facts.append(Fact(t["mentor_gender"], t["genders"].get(p.mentor_gender, "")))
        facts.append(Fact(t["waiting_since"], f.day(p.waiting_since)))
    return facts


def views(rows: list[Row], on: date) -> list[RowView]:
    """The page's rows, formatted."""
    t = texts()
    f = _Formats(t)
    result = []
    for r in rows:
        m, pair = r.match, r.pair
        volunteer, newcomer = m.volunteer, m.newcomer
        v_name = None if volunteer.anonymised_at else volunteer.full_name
        n_name = None if newcomer.anonymised_at else newcomer.first_name
        levels = t["levels"]
        missing = ", ".join(t["topics"].get(x, x) for x in pair.topics_missing)
        result.append(
            RowView(
                row=r,
                names=f"{v_name or t['erased']} + {n_name or t['erased']}",
                newcomer_name=n_name,
                volunteer_name=v_name,
                languages=f.joined([f.language(code) for code, _v, _n in pair.languages]),
                km=f.km(pair.km),
                waiting_days=f.number(r.waiting_days),
                needs_certificate=t["yes"] if r.needs_certificate else t["no"],
                proposed_on=f.day(m.proposed_at),
                volunteer_facts=_person_facts(volunteer, f, on),
                newcomer_facts=_person_facts(newcomer, f, on),
                shared_facts=[
                    Fact(
                        t["shared_languages"],
                        f.joined(
                            [
                                f"{f.language(code)} ({levels.get(nl, nl)} / {levels.get(vl, vl)})"
                                for code, vl, nl in pair.languages
                            ]
                        ),
                    ),  # fmt: skip
                    Fact(t["shared_times"], f.joined([t["slots"].get(s, s) for s in pair.slots])),
                    Fact(t["distance"], f.km(pair.km)),
                    Fact(
                        t["topics_covered"],
                        f.joined([t["topics"].get(x, x) for x in pair.topics]),
                        f"({t['not_covered']}: {missing})" if missing else "",
                    ),
                ],
                components=[
                    (label, float(m.components[key]), round(float(m.components[key]) * 100))
                    for key, label in t["components"]
                    if key in (m.components or {})
                ],
                reasons=[f.reason(x) for x in m.reasons or []] if m.score is not None else [],
            )
        )
    return result
