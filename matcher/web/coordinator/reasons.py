"""Plain words for the coordinator: the engine's reason codes.

The engine speaks in codes with parameters (`matcher.engine.documents.ReasonCode`); this
module turns them into sentences in the UI language (German by default) with gettext.
Refused steps have their words in `matcher.web.messages`.
"""

from collections.abc import Iterable, Mapping
from typing import Any

import flask_babel
from flask_babel import format_decimal

from matcher import labels
from matcher.services.platform.vocabulary import language_name


def _(text: str, **params: Any) -> str:
    return str(flask_babel.gettext(text, **params))


def ngettext(singular: str, plural: str, num: int, **params: Any) -> str:
    return str(flask_babel.ngettext(singular, plural, num, **params))


def slot_text(slot: str) -> str:
    """ "mon-evening" → "Mo abends" style label in the UI language."""
    day, _sep, part = slot.partition("-")
    return f"{labels.DAY_LABELS.get(day, day)} {labels.PART_LABELS.get(part, part)}"


def km_text(km: float) -> str:
    """A distance such as "2,1 km"."""
    return _("%(km)s km", km=format_decimal(round(km, 1), format="#,##0.0"))


def level_text(level: str | None) -> str:
    """A language level's label."""
    return str(labels.LEVEL_LABELS.get(level or "", level or "?"))


def _language(params: Mapping[str, Any]) -> str:
    levels = list(params.get("levels") or [None, None]) + [None, None]
    return _(
        "speaks %(language)s (newcomer: %(newcomer)s, volunteer: %(volunteer)s)",
        language=language_name(str(params.get("language", "")), _locale()),
        newcomer=level_text(levels[0]),
        volunteer=level_text(levels[1]),
    )


def _slots(params: Mapping[str, Any]) -> str:
    slots = [str(s) for s in params.get("slots") or []]
    count = int(params.get("count", len(slots)))
    if not count:
        return _("no shared time")
    return ngettext(
        "%(num)d shared time: %(slots)s",
        "%(num)d shared times: %(slots)s",
        count,
        slots=", ".join(slot_text(s) for s in slots),
    )


def _topics(params: Mapping[str, Any]) -> str:
    covered = [str(labels.TOPIC_LABELS.get(t, t)) for t in params.get("covered") or []]
    needed = len(params.get("needed") or [])
    if not covered:
        return _("no needed topic covered")
    return _(
        "helps with %(topics)s (%(covered)d of %(needed)d topics)",
        topics=", ".join(covered),
        covered=len(covered),
        needed=needed,
    )


def _interests(params: Mapping[str, Any]) -> str:
    shared = [str(i) for i in params.get("shared") or []]
    total = len(params.get("interests") or [])
    if not shared:
        return _("no shared interest")
    return _(
        "shares interests: %(interests)s (%(shared)d of %(total)d)",
        interests=", ".join(shared),
        shared=len(shared),
        total=total,
    )


def _age_bands(params: Mapping[str, Any]) -> str:
    shared = [str(b) for b in params.get("shared") or []]
    if shared:
        return _("likes to meet children aged %(ages)s", ages=", ".join(shared))
    return _("no preference for the children's ages, or other ages preferred")


def _gender(params: Mapping[str, Any]) -> str:
    return str(labels.GENDER_LABELS.get(str(params.get("gender")), params.get("gender")))


def _pair_texts() -> dict[str, Any]:
    """Reason codes of a pair (see matcher/engine/explain.py) → their German sentence."""
    return {
        "shared_language": _language,
        "no_shared_language": lambda p: _("no shared language"),
        "distance_km": lambda p: _("%(distance)s apart", distance=km_text(float(p["km"]))),
        "distance_unknown": lambda p: _("distance unknown"),
        "beyond_distance_limit": lambda p: _("further than %(km)s km", km=p.get("max_distance_km")),
        "shared_slots": _slots,
        "topics_covered": _topics,
        "waiting": lambda p: (
            ngettext("waiting for %(num)d day", "waiting for %(num)d days", int(p["days"]))
            if int(p.get("days", 0))
            else _("waiting since today")
        ),
        "mentor_gender": lambda p: _(
            "volunteer's gender as wished (%(gender)s)", gender=_gender(p)
        ),
        "mentor_gender_mismatch": lambda p: _(
            "a volunteer of another gender was wished (%(gender)s)", gender=_gender(p)
        ),
        "police_certificate": lambda p: _(
            "valid certificate of good conduct (children in the household or under 18)"
        ),
        "no_police_certificate": lambda p: _(
            "no valid certificate of good conduct, but children in the household or under 18"
        ),
        "forbidden_pair": lambda p: _("rejected before"),
        "below_min_score": lambda p: _("below the minimum score"),
        "over_capacity": lambda p: _("more than the volunteer's places"),
        "pinned": lambda p: _("approved by a coordinator"),
        # Issue 13: households, interests and the agency's must-rules.
        "shared_interests": _interests,
        "household": lambda p: (
            _("household of %(num)d people, families welcome", num=int(p["household_size"]))
            if p.get("families_welcome")
            else _("household of %(num)d people", num=int(p["household_size"]))
        ),
        "household_too_large": lambda p: _(
            "household of %(num)d people, more than the volunteer meets",
            num=int(p["household_size"]),
        ),
        "age_bands": _age_bands,
        "below_min_language_level": lambda p: _(
            "no shared language at the minimum level (%(level)s)",
            level=level_text(p.get("min_language_level")),
        ),
        "tandem_gender_mismatch": lambda p: (
            _("not a women-only tandem")
            if p.get("tandem_gender") == "women_only"
            else _("not a same-gender tandem")
        ),
    }


def _locale() -> str:
    return str(flask_babel.get_locale() or "de")


def reason_text(reason: Mapping[str, Any]) -> str:
    """One reason of a pair in plain words."""
    render = _pair_texts().get(str(reason.get("code")))
    params = reason.get("params") or {}
    if render is None:
        return str(reason.get("text") or reason.get("code") or "")
    try:
        return str(render(params))
    except (KeyError, TypeError, ValueError):
        return str(reason.get("text") or reason.get("code") or "")


def reasons_text(reasons: Iterable[Mapping[str, Any]] | None) -> list[str]:
    """Every reason of a pair in plain words."""
    return [reason_text(r) for r in reasons or []]


def _taken(p: Mapping[str, Any]) -> str:
    """Why a newcomer's suitable volunteers went to others, with the numbers (feat B7)."""
    candidates = int(p.get("candidates") or 0)
    paused, full, taken = (int(p.get(k) or 0) for k in ("paused", "full", "taken"))
    parts = []
    if paused:
        parts.append(ngettext("%(num)d is paused", "%(num)d are paused", paused))
    if full:
        parts.append(
            ngettext(
                "%(num)d has no free place (running Patenschaften)",
                "%(num)d have no free place (running Patenschaften)",
                full,
            )
        )
    if taken:
        parts.append(
            ngettext(
                "%(num)d is proposed to another newcomer",
                "%(num)d are proposed to %(others)d other newcomers",
                taken,
                others=int(p.get("others") or 0),
            )
        )
    text = ngettext(
        "%(num)d suitable volunteer: %(parts)s.",
        "%(num)d suitable volunteers: %(parts)s.",
        candidates,
        parts="; ".join(parts),
    )
    if not taken:
        return text
    fewer, longer = int(p.get("fewer_options") or 0), int(p.get("waited_longer") or 0)
    why = []
    if fewer:
        why.append(
            ngettext(
                "%(num)d has fewer options (only %(least)d)",
                "%(num)d have fewer options (some only %(least)d)",
                fewer,
                least=int(p.get("min_options") or 0),
            )
        )
    if longer:
        why.append(
            ngettext(
                "%(num)d has waited longer",
                "%(num)d have waited longer",
                longer,
            )
        )
    if why:
        reason = _("Of these newcomers, %(why)s.", why="; ".join(why))
    elif int(p.get("higher_score") or 0):
        reason = _(
            "None of them has fewer options or has waited longer, but they fit their "
            "volunteer better (a higher score)."
        )
    else:
        reason = _("It is a tie: they fit their volunteer exactly as well.")
    return text + " " + reason


def unmatched_text(entry: Mapping[str, Any]) -> str:
    """Why a newcomer got no volunteer, in plain words."""
    why = entry.get("detail_code") or {"code": entry.get("reason"), "params": {}}
    code = why.get("code")
    p = why.get("params") or {}
    names = ", ".join(language_name(str(c), _locale()) for c in p.get("languages") or [])
    if code == "volunteers_taken":
        return _taken(p)
    if code == "no_volunteers":
        return _("There are no volunteers with free places at the moment.")
    if code == "language":
        return _("No available volunteer speaks one of this person's languages.")
    texts = {
        "distance": lambda: _(
            "Volunteers speak %(languages)s, but none lives within %(km)s km.",
            languages=names,
            km=p.get("max_distance_km"),
        ),
        "slots": lambda: _(
            "Volunteers speak %(languages)s and live near enough, but have no shared time.",
            languages=names,
        ),
        "gender": lambda: _(
            "No suitable volunteer of the wished gender (%(gender)s).", gender=_gender(p)
        ),
        "certificate": lambda: _(
            "No suitable volunteer has a valid certificate of good conduct "
            "(children in the household or the newcomer is under 18)."
        ),
        "forbidden": lambda: _(
            "The only suitable volunteers were rejected for this person before."
        ),
        "score": lambda: _("The suitable volunteers fall short of the minimum score."),
        "level": lambda: _(
            "Volunteers speak %(languages)s, but none at the agency's minimum level "
            "(%(level)s) on both sides.",
            languages=names,
            level=level_text(p.get("min_language_level")),
        ),
        "tandem": lambda: (
            _("No suitable volunteer for a women-only tandem.")
            if p.get("tandem_gender") == "women_only"
            else _("No suitable volunteer of the same gender.")
        ),
        "household": lambda: ngettext(
            "No suitable volunteer welcomes a household of %(num)d person.",
            "No suitable volunteer welcomes a household of %(num)d people.",
            int(p.get("household_size") or 1),
        ),
    }
    if code in texts:
        return str(texts[str(code)]())
    if entry.get("reason") == "no_feasible_volunteer":
        return _("No volunteer meets every requirement.")
    return str(entry.get("detail") or entry.get("reason") or "")
