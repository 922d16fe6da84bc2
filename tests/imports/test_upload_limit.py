"""An upload above MAX_CONTENT_LENGTH is refused with 413 before anything is read."""

import io
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.conftest import login


@pytest.fixture
def app_config(tmp_path: Any) -> dict[str, Any]:
    return {"MAX_CONTENT_LENGTH": 10_000, "IMPORT_STASH_DIR": str(tmp_path / "imports")}


def test_a_file_above_the_limit_is_a_413(
    client: FlaskClient, make_user: Callable[..., Any], make_agency: Callable[..., Any]
) -> None:
    agency = make_agency()
    login(client, make_user("admin"))
    big = b"a;b\n" + b"x;y\n" * 5_000
    response = client.post(
        "/admin/imports",
        data={"agency": str(agency.id), "kind": "volunteers", "file": (io.BytesIO(big), "big.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    assert "<html" in response.get_data(as_text=True)
