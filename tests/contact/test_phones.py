"""Phone numbers have one home (`matcher.domain.phones`): read as German unless +/00, stored
in E.164, shown nationally for German numbers and with the country code otherwise."""

import pytest

from matcher.domain import phones
from matcher.domain.errors import Invalid


@pytest.mark.parametrize(
    "typed",
    ["0221 123456", "0221-123456", "0221/123 456", "(0221) 123456", "+49 221 123456",
     "+49 (0)221 123456", "0049 221 123456", "0049-221-123456", " +49221123456 "],
)  # fmt: skip
def test_german_numbers_typed_any_way_are_one_number(typed: str) -> None:
    assert phones.normalise(typed) == "+49221123456"
    assert phones.display("+49221123456") == "0221 123456"
    assert phones.tel_uri(phones.normalise(typed)) == "tel:+49221123456"


def test_a_mobile_number() -> None:
    assert phones.normalise("0176 1234 5678") == "+4917612345678"
    assert phones.display("+4917612345678") == "0176 12345678"


@pytest.mark.parametrize(
    ("typed", "stored", "shown"),
    [
        ("+963 11 223 4567", "+963112234567", "+963 11 223 4567"),  # Syria
        ("00963 11 2234567", "+963112234567", "+963 11 223 4567"),
        ("+380 44 123 4567", "+380441234567", "+380 44 123 4567"),  # Ukraine
        ("+44 20 7946 0958", "+442079460958", "+44 20 7946 0958"),
    ],
)
def test_international_numbers_keep_their_country_code(typed: str, stored: str, shown: str) -> None:
    assert phones.normalise(typed) == stored
    assert phones.display(stored) == shown
    assert phones.international(stored) == shown
    assert phones.tel_uri(stored) == f"tel:{stored}"


@pytest.mark.parametrize(
    "typed", ["12", "call me maybe", "0221", "+49 123", "+999 123456789", "1" * 41, "0221 12345a"]
)
def test_what_is_no_phone_number_is_refused(typed: str) -> None:
    assert not phones.is_valid(typed)
    with pytest.raises(Invalid) as refused:
        phones.normalise(typed)
    assert refused.value.code == "bad_phone"


def test_no_number_is_no_number() -> None:
    assert phones.normalise("") == phones.normalise("   ") == ""
    assert phones.tel_uri("") is None and phones.display("") == ""


def test_values_stored_before_the_rules_still_show() -> None:
    """Volunteers' numbers were stored as typed: readable ones are shown by the rules, the
    rest as they are (and without a link)."""
    assert phones.display("+49 221 555 0199") == "0221 5550199"
    assert phones.international("+49 170 1234567") == "+49 170 1234567"
    assert phones.display("0221/12 34 56 (nachmittags)") == "0221/12 34 56 (nachmittags)"
    assert phones.tel_uri("0221/12 34 56 (nachmittags)") is None
