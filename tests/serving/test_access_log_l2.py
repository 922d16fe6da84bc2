"""L2 (pen test): sign-in and confirmation tokens were written to gunicorn's access log
with the request line (and again as the Referer of the page's POST)."""

import http.client
from pathlib import Path

from matcher import create_app
from matcher.extensions import db
from matcher.models import Base
from tests.conftest import app_test_config
from tests.serving.test_gunicorn import Server, get

TOKEN = "eyJ2IjozNTIsInQiOjF9.awwFlQ.Ye_38ndfmkx1oY0qupFoO9i5il4"


def test_L2_no_token_reaches_the_access_log(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'serving.sqlite'}"
    app = create_app(app_test_config(url))
    with app.app_context():
        Base.metadata.create_all(db.engine)
        db.engine.dispose()
    log = tmp_path / "access.log"
    server = Server(tmp_path, url, GUNICORN_ACCESSLOG=str(log), WEB_CONCURRENCY="1")
    server.start()
    try:
        for path in (f"/me/open?token={TOKEN}", f"/signup/confirm?token={TOKEN}"):
            assert get(server.port, path).status in (200, 400)
        # The page's own POST carries the link as its Referer.
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        connection.request(
            "POST", "/me/open", body=f"token={TOKEN}",
            headers={"Content-Type": "application/x-www-form-urlencoded",
                     "Referer": f"http://127.0.0.1:{server.port}/me/open?token={TOKEN}"},
        )  # fmt: skip
        connection.getresponse().read()
        connection.close()
    finally:
        server.stop()
    lines = log.read_text().splitlines()
    assert any('"GET /me/open HTTP/1.1" 200' in line for line in lines), lines
    assert any('"GET /signup/confirm HTTP/1.1"' in line for line in lines), lines
    assert any('"POST /me/open HTTP/1.1"' in line for line in lines), lines
    assert not any(TOKEN in line or "token=" in line for line in lines), lines
