"""Plain words for the coordinator: the engine's reason codes and refused lifecycle steps.

The engine and the services speak in codes with parameters; this module turns them into
sentences in the UI language (German by default) with gettext.
"""

from collections.abc import Iterable, Mapping
from typing import Any

import flask_babel
from flask_babel import format_decimal

from matcher.services.lifecycle import LifecycleError
from matcher.web import labels
from matcher.web.coordinator.match_labels import MATCH_STATUS_LABELS
from matcher.web.templating import ui_language_name


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
        "speaks %(language)s (%(newcomer)s / %(volunteer)s)",
        language=ui_language_name(str(params.get("language", ""))),
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
        "waiting": lambda p: ngettext(
            "waiting for %(num)d day", "waiting for %(num)d days", int(p.get("days", 0))
        ),
        "mentor_gender": lambda p: _(
            "volunteer's gender as wished (%(gender)s)", gender=_gender(p)
        ),
        "mentor_gender_mismatch": lambda p: _(
            "a volunteer of another gender was wished (%(gender)s)", gender=_gender(p)
        ),
        "police_certificate": lambda p: _(
            "certificate of good conduct inspected (children in the household)"
        ),
        "no_police_certificate": lambda p: _(
            "no inspected certificate of good conduct, but children in the household"
        ),
        "forbidden_pair": lambda p: _("rejected before"),
        "below_min_score": lambda p: _("below the minimum score"),
        "over_capacity": lambda p: _("more than the volunteer's places"),
        "pinned": lambda p: _("approved by a coordinator"),
    }


def reason_text(reason: Any) -> str:
    """One reason of a pair in plain words; plain strings (older runs) pass through."""
    if not isinstance(reason, Mapping):
        return str(reason)
    render = _pair_texts().get(str(reason.get("code")))
    params = reason.get("params") or {}
    if render is None:
        return str(reason.get("text") or reason.get("code") or "")
    try:
        return str(render(params))
    except (KeyError, TypeError, ValueError):
        return str(reason.get("text") or reason.get("code") or "")


def reasons_text(reasons: Iterable[Any] | None) -> list[str]:
    """Every reason of a pair in plain words."""
    return [reason_text(r) for r in reasons or []]


def structured(entry: Mapping[str, Any]) -> Mapping[str, Any]:
    """The structured reason of an unmatched entry (the engine adds it beside `detail`)."""
    for value in entry.values():
        if isinstance(value, Mapping) and "code" in value:
            return value
    return {"code": entry.get("reason"), "params": {}}


def unmatched_text(entry: Mapping[str, Any]) -> str:
    """Why a newcomer got no volunteer, in plain words."""
    why = structured(entry)
    code = why.get("code")
    p = why.get("params") or {}
    names = ", ".join(ui_language_name(str(c)) for c in p.get("languages") or [])
    candidates = int(p.get("candidates") or 0)
    if code == "volunteers_taken" or entry.get("reason") == "volunteers_taken":
        return ngettext(
            "%(num)d suitable volunteer, but all of them are needed for newcomers who have "
            "no other option or have waited longer.",
            "%(num)d suitable volunteers, but all of them are needed for newcomers who have "
            "no other option or have waited longer.",
            candidates,
        )
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
            "No suitable volunteer has an inspected certificate of good conduct "
            "(children in the household)."
        ),
        "forbidden": lambda: _(
            "The only suitable volunteers were rejected for this person before."
        ),
        "score": lambda: _("The suitable volunteers fall short of the minimum score."),
    }
    if code in texts:
        return str(texts[str(code)]())
    if entry.get("reason") == "no_feasible_volunteer":
        return _("No volunteer meets every requirement.")
    return str(entry.get("detail") or entry.get("reason") or "")


def error_message(error: LifecycleError) -> str:
    """Why a lifecycle step was refused."""
    p = error.params
    if error.code == "stale":
        return _("Someone else has changed this Patenschaft meanwhile. Please reload the page.")
    if error.code == "wrong_status":
        status = MATCH_STATUS_LABELS.get(str(p.get("status")), p.get("status"))
        return _("This is not possible: the Patenschaft is now “%(status)s”.", status=status)
    if error.code == "capacity":
        return _("The volunteer has no free place any more (at most %(num)s Patenschaften).",
                 num=p.get("capacity"))  # fmt: skip
    if error.code == "conflict":
        return _("Someone else approved a conflicting proposal meanwhile. Please reload the page.")
    if error.code == "infeasible":
        return _("The pair no longer meets the requirements: %(why)s",
                 why=unmatched_text(p.get("unmatched") or {}))  # fmt: skip
    if error.code == "checkin_done":
        return _("This check-in has been recorded already.")
    simple = {
        "volunteer_not_active": _("The volunteer is not active any more."),
        "volunteer_not_confirmed": _("The volunteer has not confirmed their email address."),
        "volunteer_no_consent": _("The volunteer has withdrawn their consent to matching."),
        "newcomer_not_waiting": _("The newcomer is no longer waiting for a volunteer."),
        "newcomer_no_consent": _("The newcomer has no consent to matching."),
        "bad_reason": _("Please choose a reason."),
        "bad_light": _("Please choose how it is going."),
    }
    return simple.get(error.code, error.code)
