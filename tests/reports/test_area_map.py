"""The area map: counted by the eligibility rules, small counts hidden, drawn here as SVG in
the shortage page's colours, only the coordinator's own agency."""

import re
import xml.etree.ElementTree as ET

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from matcher import tenancy
from matcher.extensions import db
from matcher.models import MatchRun, Newcomer
from matcher.services.lists import area_map
from matcher.web.coordinator import shortage_scale
from tests.conftest import inside, login
from tests.reports.conftest import Offices

SVG = "{http://www.w3.org/2000/svg}"


def _svg(client: FlaskClient) -> ET.Element:
    response = client.get("/reports/map.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    text = response.get_data(as_text=True)
    # No tiles, no fonts, no scripts from anywhere: the only URL is the SVG namespace.
    assert text.count("http") == 1 and "http://www.w3.org/2000/svg" in text
    assert "<script" not in text and "href" not in text
    # Well-formed XML, or this raises (our own response, not untrusted input).
    return ET.fromstring(text.encode())  # noqa: S314


def test_counts_follow_the_eligibility_rules_and_hide_small_ones(
    app: Flask, offices: Offices
) -> None:
    with app.app_context(), tenancy.for_agency(offices.koeln.id):
        drawing = area_map.area_map(offices.koeln)
    rows = {a.area: (a.waiting, a.free) for a in drawing.areas}
    # Waiting 6, 9, 3: the 3 is hidden and, with it, the next smallest (6); the closed
    # newcomer is not waiting. Free 12, 2, 7: the 2 and the 7; the inactive one is not free.
    assert rows == {"507": (None, 12), "508": (9, None), "509": (None, None)}
    assert (drawing.waiting_total, drawing.free_total) == (18, 21)
    assert all(a.placed for a in drawing.areas)
    assert drawing.height > 0 and drawing.width == area_map.WIDTH
    assert all(0 <= a.x <= drawing.width and 0 <= a.y <= drawing.height  # type: ignore[operator]
               for a in drawing.areas)  # fmt: skip


def test_the_svg_is_well_formed_one_symbol_per_area_in_the_shortage_colours(
    app: Flask, client: FlaskClient, offices: Offices
) -> None:
    login(client, offices.coordinator)
    root = _svg(client)
    assert root.get("viewBox", "").startswith("0 0 360") and root.get("width") == "100%"
    assert root.find(f"{SVG}title") is not None
    groups = root.findall(f"{SVG}g")
    assert sorted(g.get("data-area") for g in groups) == ["507", "508", "509"]
    seen = {}
    for g in groups:
        assert g.find(f"{SVG}title") is not None
        label = g.find(f"{SVG}text")
        assert label is not None and label.text == f"{g.get('data-area')}xx"
        for path in g.findall(f"{SVG}path"):
            count = path.get("data-count")
            expected = shortage_scale.colour(int(count) if count is not None else None)
            assert path.get("fill") == expected
            seen[(g.get("data-area"), path.get("data-layer"))] = count
    assert seen == {("507", "waiting"): None, ("507", "free"): "12", ("508", "waiting"): "9",
                    ("508", "free"): None, ("509", "waiting"): None, ("509", "free"): None}  # fmt: skip
    # The same count has the same colour on the shortage page (after a run that left the
    # nine of 508xx without a volunteer).
    with inside(app):
        ids = db.session.scalars(select(Newcomer.id).where(Newcomer.postcode == "50823")).all()
        db.session.add(
            MatchRun(
                agency_id=offices.koeln.id,
                status="finished",
                unmatched=[{"newcomer": i, "reason": "no_language"} for i in ids],
            )
        )
        db.session.commit()
    shortage = client.get("/matching/shortage").get_data(as_text=True)
    row = re.search(r'<tr data-area="508">.*?</tr>', shortage, re.S)
    assert row is not None
    fills = re.findall(r'fill="(#[0-9a-f]{6})"', row.group(0))
    assert fills[0] == shortage_scale.colour(9)
    (path,) = [p for g in groups if g.get("data-area") == "508" for p in g
               if p.get("data-layer") == "waiting"]  # fmt: skip
    assert path.get("fill") == fills[0]


def test_the_map_page_has_a_table_and_never_shows_another_agency(
    client: FlaskClient, offices: Offices
) -> None:
    login(client, offices.coordinator)
    page = client.get("/reports/map")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'class="area-map"' in html and "<table>" in html and "101xx" not in html
    assert '<tr data-area="508"><th scope="row">508xx</th><td class="num">9</td>' \
           '<td class="num">–</td>' in html  # fmt: skip
    assert ">18</td>" in html and ">21</td>" in html
    # Berlin's coordinator sees Berlin only.
    client.post("/logout")
    login(client, offices.berlin_coordinator)
    root = _svg(client)
    assert [g.get("data-area") for g in root.findall(f"{SVG}g")] == ["101"]
    assert "507xx" not in client.get("/reports/map").get_data(as_text=True)


def test_an_admin_without_an_agency_is_sent_to_choose_one(
    client: FlaskClient, offices: Offices, make_user: object
) -> None:
    admin = make_user("admin")  # type: ignore[operator]
    login(client, admin)
    response = client.get("/reports/map")
    assert response.status_code == 302 and "/admin/act-as" in response.headers["Location"]
    client.post("/logout")
    assert client.get("/reports/map").status_code == 302  # anonymous: to the login
