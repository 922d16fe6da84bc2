"""The settings preview counts exactly the pairs the matching engine finds feasible."""

from datetime import date

import pytest
from flask import Flask

from matcher.engine import solve
from matcher.extensions import db
from matcher.models import Agency
from matcher.services.matching import preview as settings_preview
from matcher.services.matching import problem as match_problem
from matcher.services.platform import demo
from tests.conftest import inside


@pytest.mark.parametrize("max_distance_km", [15.0, 3.0, None])
def test_preview_agrees_with_the_engine_on_the_demo_agency(
    app: Flask, max_distance_km: float | None
) -> None:
    with inside(app):
        loaded = demo.load("koeln", 120, 100, 7, date.today())
        assert loaded is not None
        agency = db.session.get(Agency, loaded.id)
        agency.max_distance_km = max_distance_km
        funnel = settings_preview.funnel(agency, max_distance_km, date.today())
        engine = solve(match_problem.build(agency, date.today()).document)["stats"]
        assert funnel.volunteers == engine["volunteers"]
        assert funnel.newcomers == engine["newcomers"]
        assert funnel.feasible == engine["feasible_pairs"] > 0
        db.session.rollback()
