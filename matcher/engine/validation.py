"""Read and validate a ``matcher.problem/1`` document into a :class:`Problem`.

Validation collects every problem, each as one line that names its place
(``volunteers[3].slots[1]: unknown slot "monday-evening"``), so an agency can
fix a file in one round instead of one error at a time.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

from .postcodes import postcode_location
from .problem import Person, Problem, ProblemError, Settings
from .vocab import (
    DEFAULT_MAX_DISTANCE_KM,
    DEFAULT_MIN_SCORE,
    DEFAULT_MIN_SHARED_SLOTS,
    DEFAULT_WEIGHTS,
    FORMAT_PROBLEM,
    LEVELS,
    MAX_CAPACITY,
    SLOT_BIT,
    TANDEM_GENDERS,
    WEIGHT_KEYS,
)

_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")
_POSTCODE = re.compile(r"^\d{5}$")
_SETTINGS_KEYS = (
    "weights",
    "max_distance_km",
    "min_shared_slots",
    "min_score",
    "min_language_level",
    "tandem_gender",
)


def _quote(value: object) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(value) if not isinstance(value, bool | type(None)) else str(value).lower()


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _is_number(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


class _Reader:
    """Walks a document and records one message per problem."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def error(self, path: str, message: str) -> None:
        self.errors.append(f"{path}: {message}")

    def expect(self, path: str, value: object, what: str) -> None:
        self.error(path, f"expected {what}, got {_type_name(value)}")

    def date(self, path: str, value: object) -> dt.date | None:
        if not isinstance(value, str):
            self.expect(path, value, "a date YYYY-MM-DD")
            return None
        try:
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                raise ValueError(value)
            return dt.date.fromisoformat(value)
        except ValueError:
            self.error(path, f"invalid date {_quote(value)} (expected YYYY-MM-DD)")
            return None

    def settings(self, value: object) -> Settings:
        weights = dict(DEFAULT_WEIGHTS)
        max_distance: float | None = DEFAULT_MAX_DISTANCE_KM
        min_slots = DEFAULT_MIN_SHARED_SLOTS
        min_score = DEFAULT_MIN_SCORE
        min_level: str | None = None
        tandem: str | None = None
        if value is None:
            return Settings(weights, max_distance, min_slots, min_score)
        if not isinstance(value, dict):
            self.expect("settings", value, "an object")
            return Settings(weights, max_distance, min_slots, min_score)
        for key in value:
            if key not in _SETTINGS_KEYS:
                self.error(
                    f"settings.{key}",
                    f"unknown setting (expected one of {', '.join(_SETTINGS_KEYS)})",
                )
        if "weights" in value:
            weights = self.weights(value["weights"])
        if "max_distance_km" in value:
            raw = value["max_distance_km"]
            if raw is None:
                max_distance = None
            elif not _is_number(raw):
                self.expect("settings.max_distance_km", raw, "a number or null")
            elif raw < 0:
                self.error("settings.max_distance_km", f"must not be negative, got {raw}")
            else:
                max_distance = float(raw)
        if "min_shared_slots" in value:
            raw = value["min_shared_slots"]
            if not _is_number(raw) or float(raw) != int(raw):
                self.expect("settings.min_shared_slots", raw, "a whole number")
            elif raw < 0:
                self.error("settings.min_shared_slots", f"must not be negative, got {raw}")
            else:
                min_slots = int(raw)
        if "min_score" in value:
            raw = value["min_score"]
            if not _is_number(raw):
                self.expect("settings.min_score", raw, "a number")
            elif not 0 <= raw <= 1:
                self.error("settings.min_score", f"must be between 0 and 1, got {raw}")
            else:
                min_score = float(raw)
        if value.get("min_language_level") is not None:
            raw = value["min_language_level"]
            if raw not in LEVELS:
                shown = _quote(raw) if isinstance(raw, str) else _type_name(raw)
                self.error(
                    "settings.min_language_level",
                    f"unknown level {shown} (expected {', '.join(LEVELS)} or null)",
                )
            else:
                min_level = str(raw)
        if value.get("tandem_gender") is not None:
            raw = value["tandem_gender"]
            if raw not in TANDEM_GENDERS:
                shown = _quote(raw) if isinstance(raw, str) else _type_name(raw)
                self.error(
                    "settings.tandem_gender",
                    f"unknown rule {shown} (expected {', '.join(TANDEM_GENDERS)} or null)",
                )
            else:
                tandem = str(raw)
        return Settings(weights, max_distance, min_slots, min_score, min_level, tandem)

    def weights(self, value: object) -> dict[str, float]:
        weights = dict(DEFAULT_WEIGHTS)
        if not isinstance(value, dict):
            self.expect("settings.weights", value, "an object")
            return weights
        valid = True
        for key, raw in value.items():
            path = f"settings.weights.{key}"
            if key not in WEIGHT_KEYS:
                self.error(path, f"unknown weight (expected one of {', '.join(WEIGHT_KEYS)})")
                valid = False
            elif not _is_number(raw):
                self.expect(path, raw, "a number")
                valid = False
            elif raw < 0:
                self.error(path, f"must not be negative, got {raw}")
                valid = False
            else:
                weights[key] = float(raw)
        if valid and sum(weights.values()) <= 0:
            self.error("settings.weights", "at least one weight must be positive")
        return weights

    def languages(self, path: str, value: object) -> dict[str, str]:
        if not isinstance(value, dict):
            self.expect(path, value, "an object of language code to level")
            return {}
        if not value:
            self.error(path, "at least one language is required")
        result: dict[str, str] = {}
        for raw_code, level in value.items():
            code = raw_code.lower()
            place = f"{path}.{raw_code}"
            if not _LANGUAGE_CODE.match(code):
                self.error(
                    place, f"invalid language code {_quote(raw_code)} (expected ISO 639-1 or 639-3)"
                )
            elif code in result:
                self.error(place, f"language {_quote(code)} given twice")
            elif level not in LEVELS:
                self.error(place, f"unknown level {_quote(level)} (expected {', '.join(LEVELS)})")
            else:
                result[code] = str(level)
        return result

    def location(self, path: str, value: object, postcode: object) -> tuple[float, float] | None:
        location: tuple[float, float] | None = None
        if value is not None:
            if not isinstance(value, dict):
                self.expect(f"{path}.location", value, 'an object {"lat", "lon"}')
            else:
                lat, lon = value.get("lat"), value.get("lon")
                ok = True
                for key, raw, limit in (("lat", lat, 90.0), ("lon", lon, 180.0)):
                    if not _is_number(raw):
                        self.expect(f"{path}.location.{key}", raw, "a number")
                        ok = False
                    elif not -limit <= float(raw) <= limit:  # type: ignore[arg-type]
                        self.error(
                            f"{path}.location.{key}", f"must be between {-limit:g} and {limit:g}"
                        )
                        ok = False
                if ok:
                    location = (float(lat), float(lon))  # type: ignore[arg-type]
        if postcode is not None:
            if not isinstance(postcode, str) or not _POSTCODE.match(postcode.strip()):
                shown = _quote(postcode) if isinstance(postcode, str) else _type_name(postcode)
                self.error(f"{path}.postcode", f"invalid postcode {shown} (expected 5 digits)")
            elif location is None and value is None:
                location = postcode_location(postcode)
        return location

    def slots(self, path: str, value: object) -> frozenset[str]:
        if value is None:
            return frozenset()
        if not isinstance(value, list):
            self.expect(path, value, "a list of slots")
            return frozenset()
        slots: set[str] = set()
        for k, slot in enumerate(value):
            if not isinstance(slot, str):
                self.expect(f"{path}[{k}]", slot, 'a slot like "mon-evening"')
            elif slot not in SLOT_BIT:
                self.error(f"{path}[{k}]", f"unknown slot {_quote(slot)}")
            else:
                slots.add(slot)
        return frozenset(slots)

    def topics(self, path: str, value: object) -> frozenset[str]:
        if value is None:
            return frozenset()
        if not isinstance(value, list):
            self.expect(path, value, "a list of strings")
            return frozenset()
        topics: set[str] = set()
        for k, topic in enumerate(value):
            if not isinstance(topic, str):
                self.expect(f"{path}[{k}]", topic, "a string")
            else:
                topics.add(topic)
        return frozenset(topics)

    def optional_string(self, path: str, value: object) -> str | None:
        if value is None or isinstance(value, str):
            return value
        self.expect(path, value, "a string or null")
        return None

    def flag(self, path: str, value: object) -> bool:
        if value is None:
            return False
        if isinstance(value, bool):
            return value
        self.expect(path, value, "true or false")
        return False

    def whole(self, path: str, value: object, minimum: int, default: int | None) -> int | None:
        """A whole number of at least ``minimum``; absent or invalid gives ``default``."""
        if value is None:
            return default
        if not isinstance(value, int | float) or not _is_number(value) or value != int(value):
            self.expect(path, value, "a whole number")
            return default
        if value < minimum:
            self.error(path, f"must be at least {minimum}, got {value}")
            return default
        return int(value)

    def household(self, path: str, value: dict[str, Any], side: str) -> dict[str, Any]:
        """The optional household and interest fields of one person (absent: neutral)."""
        fields: dict[str, Any] = {
            "child_age_bands": self.topics(f"{path}.child_age_bands", value.get("child_age_bands")),
            "interests": self.topics(f"{path}.interests", value.get("interests")),
        }
        if side == "volunteers":
            if value.get("families_welcome") is not None:
                fields["families_welcome"] = self.flag(
                    f"{path}.families_welcome", value["families_welcome"]
                )
            fields["max_household"] = self.whole(
                f"{path}.max_household", value.get("max_household"), 1, None
            )
            return fields
        fields["household_size"] = self.whole(
            f"{path}.household_size", value.get("household_size"), 1, 1
        )
        raw = value.get("max_distance_km")
        if raw is not None:
            if not _is_number(raw):
                self.expect(f"{path}.max_distance_km", raw, "a number or null")
            elif raw < 0:
                self.error(f"{path}.max_distance_km", f"must not be negative, got {raw}")
            else:
                fields["max_distance_km"] = float(raw)
        return fields

    def person(self, side: str, k: int, value: object) -> Person | None:
        path = f"{side}[{k}]"
        if not isinstance(value, dict):
            self.expect(path, value, "an object")
            return None
        ident = value.get("id")
        if not isinstance(ident, str) or not ident:
            if "id" not in value:
                self.error(f"{path}.id", "missing")
            elif ident == "":
                self.error(f"{path}.id", "must not be empty")
            else:
                self.expect(f"{path}.id", ident, "a non-empty string")
            ident = ""
        if "languages" not in value:
            self.error(f"{path}.languages", "missing")
            languages: dict[str, str] = {}
        else:
            languages = self.languages(f"{path}.languages", value["languages"])
        location = self.location(path, value.get("location"), value.get("postcode"))
        slots = self.slots(f"{path}.slots", value.get("slots"))
        topics = self.topics(f"{path}.topics", value.get("topics"))
        household = self.household(path, value, side)
        if side == "volunteers":
            capacity = 1
            raw = value.get("capacity", 1)
            if not _is_number(raw) or float(raw) != int(raw):
                self.expect(f"{path}.capacity", raw, "a whole number")
            elif not 0 <= raw <= MAX_CAPACITY:
                self.error(f"{path}.capacity", f"must be between 0 and {MAX_CAPACITY}, got {raw}")
            else:
                capacity = int(raw)
            return Person(
                id=ident,
                languages=languages,
                location=location,
                slots=slots,
                topics=topics,
                capacity=capacity,
                gender=self.optional_string(f"{path}.gender", value.get("gender")),
                police_certificate=self.flag(
                    f"{path}.police_certificate", value.get("police_certificate")
                ),
                **household,
            )
        waiting_since = None
        if value.get("waiting_since") is not None:
            waiting_since = self.date(f"{path}.waiting_since", value["waiting_since"])
        return Person(
            id=ident,
            languages=languages,
            location=location,
            slots=slots,
            topics=topics,
            mentor_gender=self.optional_string(f"{path}.mentor_gender", value.get("mentor_gender")),
            minors=self.flag(f"{path}.minors", value.get("minors")),
            waiting_since=waiting_since,
            # The newcomer's own gender: only the tandem rule reads it.
            gender=self.optional_string(f"{path}.gender", value.get("gender")),
            **household,
        )

    def people(self, side: str, value: object) -> list[Person]:
        if value is None:
            self.error(side, "missing (expected a list)")
            return []
        if not isinstance(value, list):
            self.expect(side, value, "a list")
            return []
        people: list[Person] = []
        seen: dict[str, int] = {}
        for k, raw in enumerate(value):
            person = self.person(side, k, raw)
            if person is None or not person.id:
                continue
            if person.id in seen:
                self.error(
                    f"{side}[{k}].id",
                    f"duplicate id {_quote(person.id)} (also {side}[{seen[person.id]}])",
                )
                continue
            seen[person.id] = k
            people.append(person)
        return people

    def pairs(
        self,
        key: str,
        value: object,
        volunteers: dict[str, int],
        newcomers: dict[str, int],
    ) -> list[tuple[int, int, int]]:
        """Return (entry index, newcomer index, volunteer index) for each valid entry."""
        if value is None:
            return []
        if not isinstance(value, list):
            self.expect(key, value, "a list")
            return []
        pairs: list[tuple[int, int, int]] = []
        for k, entry in enumerate(value):
            path = f"{key}[{k}]"
            if not isinstance(entry, dict):
                self.expect(path, entry, 'an object {"volunteer", "newcomer"}')
                continue
            found: list[int] = []
            for side, ids in (("newcomer", newcomers), ("volunteer", volunteers)):
                ident = entry.get(side)
                if not isinstance(ident, str):
                    if side not in entry:
                        self.error(f"{path}.{side}", "missing")
                    else:
                        self.expect(f"{path}.{side}", ident, "an id string")
                elif ident not in ids:
                    self.error(f"{path}.{side}", f"unknown {side} {_quote(ident)}")
                else:
                    found.append(ids[ident])
            if len(found) == 2:
                pairs.append((k, found[0], found[1]))
        return pairs


def parse_problem(document: Any) -> Problem:
    """Validate a problem document and return it id-sorted.

    :raises ProblemError: with every problem found, one line each.
    """
    reader = _Reader()
    if not isinstance(document, dict):
        reader.expect("problem", document, "a JSON object")
        raise ProblemError(reader.errors)
    fmt = document.get("format")
    if fmt != FORMAT_PROBLEM:
        if "format" not in document:
            reader.error("format", f'missing (expected "{FORMAT_PROBLEM}")')
        else:
            shown = _quote(fmt) if isinstance(fmt, str) else _type_name(fmt)
            reader.error("format", f'unsupported format {shown} (expected "{FORMAT_PROBLEM}")')
    today = dt.date.today()
    if document.get("today") is not None:
        today = reader.date("today", document["today"]) or today
    settings = reader.settings(document.get("settings"))
    volunteers = sorted(reader.people("volunteers", document.get("volunteers")), key=_by_id)
    newcomers = sorted(reader.people("newcomers", document.get("newcomers")), key=_by_id)
    v_index = {person.id: k for k, person in enumerate(volunteers)}
    n_index = {person.id: k for k, person in enumerate(newcomers)}

    pinned: dict[int, tuple[int, int]] = {}
    for k, newcomer, volunteer in reader.pairs("pinned", document.get("pinned"), v_index, n_index):
        if newcomer in pinned:
            first, other = pinned[newcomer]
            what = "pinned twice" if other == volunteer else "already pinned"
            reader.error(
                f"pinned[{k}]",
                f"newcomer {_quote(newcomers[newcomer].id)} is {what} (pinned[{first}])",
            )
            continue
        pinned[newcomer] = (k, volunteer)
    forbidden = frozenset(
        (newcomer, volunteer)
        for _, newcomer, volunteer in reader.pairs(
            "forbidden", document.get("forbidden"), v_index, n_index
        )
    )
    if reader.errors:
        raise ProblemError(reader.errors)
    return Problem(
        today=today,
        settings=settings,
        volunteers=volunteers,
        newcomers=newcomers,
        pinned=sorted((newcomer, volunteer) for newcomer, (_, volunteer) in pinned.items()),
        forbidden=forbidden,
    )


def _by_id(person: Person) -> str:
    return person.id
