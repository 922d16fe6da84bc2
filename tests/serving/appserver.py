"""The real app plus two routes for the serving tests, as gunicorn loads it in a subprocess.

`/_serving/slow?id=…&ms=…&db=1` notes its id in `SERVING_STARTS` when the app begins it,
waits, reads the database and answers `done <id>`: the tests compare the ids begun with the
answers the clients got. `/_serving/version` answers the `VERSION` of the `release` module
found on the path: the HUP test rewrites that file and expects new workers to serve it.
"""

import os
import time

from flask import request
from sqlalchemy import text

from matcher import create_app
from matcher.extensions import db

try:
    from release import VERSION  # written by the HUP test
except ImportError:
    VERSION = "none"

app = create_app()


def slow() -> str:
    """Note the start, wait, read the database, answer."""
    ident = request.args.get("id", "")
    fd = os.open(os.environ["SERVING_STARTS"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, f"{ident}\n".encode())
    finally:
        os.close(fd)
    time.sleep(int(request.args.get("ms", "100")) / 1000)
    if request.args.get("db", "1") == "1":
        db.session.execute(text("SELECT 1"))
    return f"done {ident}"


def version() -> str:
    """The release this worker imported, and the worker's pid."""
    return f"{VERSION} {os.getpid()}"


app.add_url_rule("/_serving/slow", view_func=slow)
app.add_url_rule("/_serving/version", view_func=version)
