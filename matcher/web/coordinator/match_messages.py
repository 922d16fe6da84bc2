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
from matcher.web.templating import language_name


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
    code = str(params.get("language") or params.get("code") or "")
    levels = params.get("levels")
    if isinstance(levels, list | tuple) and len(levels) == 2:
        v_level, n_level = levels
    else:
        v_level = params.get("volunteer_level")
        n_level = params.get("newcomer_level")
    return _(
        "speaks %(language)s (%(volunteer)s / %(newcomer)s)",
        language=language_name(code),
        volunteer=level_text(v_level),
        newcomer=level_text(n_level),
    )


def _slots(params: Mapping[str, Any]) -> str:
    slots = [str(s) for s in params.get("slots") or []]
    count = int(params.get("count", len(slots)))
    return ngettext(
        "%(num)d shared time: %(slots)s",
        "%(num)d shared times: %(slots)s",
        count,
        slots=", ".join(slot_text(s) for s in slots),
    )


def _topics(params: Mapping[str, Any]) -> str:
    topics = [str(labels.TOPIC_LABELS.get(t, t)) for t in params.get("topics") or []]
    if not topics:
        return _("no needed topic covered")
    return _("helps with %(topics)s", topics=", ".join(topics))


def _waiting(params: Mapping[str, Any]) -> str:
    days = int(params.get("days", 0))
    return ngettext("waiting for %(num)d day", "waiting for %(num)d days", days)


def reason_text(reason: Any) -> str:
    """One reason of a pair in plain words; plain strings (older runs) pass through."""
    if not isinstance(reason, Mapping):
        return str(reason)
    code = reason.get("code")
    params = reason.get("params", reason)
    if code in ("language", "shared_language"):
        return _language(params)
    if code in ("distance", "km"):
        if params.get("km") is None:
            return _("distance unknown")
        return _("%(distance)s apart", distance=km_text(float(params["km"])))
    if code in ("availability", "slots", "shared_slots"):
        return _slots(params)
    if code == "topics":
        return _topics(params)
    if code == "waiting":
        return _waiting(params)
    if code == "pinned":
        return _("approved by a coordinator")
    return str(reason.get("text") or code)


def reasons_text(reasons: Iterable[Any] | None) -> list[str]:
    """Every reason of a pair in plain words."""
    return [reason_text(r) for r in reasons or []]


def unmatched_text(entry: Mapping[str, Any]) -> str:
    """Why a newcomer got no volunteer, in plain words."""
    reason = entry.get("reason")
    if reason == "volunteers_taken":
        return _(
            "Suitable volunteers exist, but all of them are needed for newcomers who have "
            "no other option or have waited longer."
        )
    constraint = entry.get("constraint") or entry.get("code")
    params = entry.get("params") or entry
    texts = {
        "language": _("No available volunteer speaks one of this person's languages."),
        "distance": _(
            "Volunteers share a language, but none lives within %(km)s km.",
            km=params.get("max_distance_km", params.get("km", "?")),
        ),
        "slots": _("Volunteers share a language and live near enough, but have no shared time."),
        "gender": _("No suitable volunteer of the requested gender."),
        "certificate": _(
            "No suitable volunteer has an inspected certificate of good conduct "
            "(children in the household)."
        ),
        "forbidden": _("The only suitable volunteers were rejected for this person before."),
        "min_score": _("The suitable volunteers fall short of the minimum score."),
        "no_volunteers": _("There are no volunteers with free places at the moment."),
    }
    if constraint in texts:
        return texts[constraint]
    if reason == "no_feasible_volunteer":
        return _("No volunteer meets every requirement.")
    return str(entry.get("detail") or reason or "")


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
