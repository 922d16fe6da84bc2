"""The search key: how names are folded so that every database compares them alike."""

import pytest

from matcher.models.search import fold, search_key


@pytest.mark.parametrize(
    ("written", "folded"),
    [
        ("Öztürk", "öztürk"),
        ("ÖZTÜRK", "öztürk"),
        ("Weißmüller", "weissmüller"),
        ("WEIẞMÜLLER", "weissmüller"),
        ("O\u0308ztu\u0308rk", "öztürk"),  # decomposed, as some keyboards and Macs write it
        ("İlhan", "ilhan"),
        ("  Anne-Marie\u00a0 O’Brien  ", "anne-marie o'brien"),
        ("ﬁlip", "filip"),
    ],
)
def test_fold(written: str, folded: str) -> None:
    assert fold(written) == folded


def test_search_key_joins_the_fields_and_skips_missing_ones() -> None:
    assert search_key("Ärzu", None, "A@Example.org") == "ärzu a@example.org"
    assert search_key(None, "") == ""
