"""What `make demo` does, step by step, as real processes: migrate, load, print logins, serve."""

import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLASK = [str(Path(sys.executable).parent / "flask"), "--app", "wsgi"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _flask(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [*FLASK, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_demo_commands_serve_a_login_page_where_the_printed_logins_work(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite'}"}
    _flask(env, "db", "upgrade")
    _flask(env, "demo-data", "--volunteers", "40", "--newcomers", "30")
    assert "already" in _flask(env, "demo-data", "--volunteers", "40", "--newcomers", "30")
    output = _flask(env, "demo-logins")
    found = re.findall(r"^\s+(admin|coordinator)\s+(\S+)\s+(\S+)$", output, re.M)
    logins = {role: (email, password) for role, email, password in found}
    assert set(logins) == {"admin", "coordinator"}

    port = _free_port()
    server = subprocess.Popen(
        [*FLASK, "run", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2)
                break
            except OSError:
                time.sleep(0.1)
        for role, (email, password) in logins.items():
            opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
            page = opener.open(base + "/login", timeout=5).read().decode()
            assert 'name="email"' in page
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
            assert token
            data = urllib.parse.urlencode(
                {"csrf_token": token.group(1), "email": email, "password": password}
            ).encode()
            landed = opener.open(base + "/login", data=data, timeout=5)
            if role == "admin":  # admins must have a second factor: enrolment comes first
                assert landed.url.endswith("/account/two-factor")
                assert "Zwei-Faktor-Anmeldung einrichten" in landed.read().decode()
                continue
            assert landed.url.endswith("/dashboard")
            assert "Übersicht" in landed.read().decode()
    finally:
        server.terminate()
        server.wait(timeout=10)
