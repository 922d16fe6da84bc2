"""A real gunicorn serving the app from the environment, and a small HTTP client for it."""

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

from tests.mailserver import free_port

ROOT = Path(__file__).resolve().parents[2]

# The test's own gunicorn configuration: only the metrics hooks (matcher/gunicorn_hooks.py). The
# repository's gunicorn.conf.py, if any, is not read: these tests set what they need.
GUNICORN_CONF = """
from matcher.gunicorn_hooks import child_exit, on_starting  # noqa: F401
"""


@dataclass
class Answer:
    """One HTTP answer: status, headers, body, and when the request was sent and answered."""

    status: int
    headers: dict[str, str]
    body: str
    sent: float = 0.0
    answered: float = 0.0

    def header(self, name: str) -> str | None:
        """A header, case-insensitively."""
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@dataclass
class Browser:
    """A visitor with its own cookies, who does not follow redirects (a 302 is an answer)."""

    base: str
    jar: CookieJar = field(default_factory=CookieJar)

    def __post_init__(self) -> None:
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()
        )

    def request(
        self, method: str, path: str, data: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None, timeout: float = 20,
    ) -> Answer:  # fmt: skip
        """Send a request; every status is an answer, only a broken connection raises."""
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        req = urllib.request.Request(self.base + path, data=body, method=method,
                                     headers=headers or {})  # fmt: skip
        sent = time.monotonic()
        try:
            with self.opener.open(req, timeout=timeout) as response:
                status, head, raw = response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as e:
            status, head, raw = e.code, dict(e.headers), e.read()
        return Answer(status, head, raw.decode("utf-8", "replace"), sent, time.monotonic())

    def get(self, path: str, **kwargs: Any) -> Answer:
        """GET a path."""
        return self.request("GET", path, **kwargs)

    def form_token(self, path: str) -> str:
        """The CSRF token of the form on a page."""
        page = self.get(path)
        found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.body)
        assert found, f"no CSRF token on {path} ({page.status})"
        return found.group(1)

    def post_form(self, path: str, data: dict[str, Any]) -> Answer:
        """Fetch the form's page for its CSRF token, then send the form."""
        return self.request("POST", path, {**data, "csrf_token": self.form_token(path)})

    def log_in(self, email: str, password: str) -> None:
        """Log in through the login form."""
        answer = self.post_form("/login", {"email": email, "password": password})
        assert answer.status == 302, f"login failed: {answer.status}"


class Gunicorn:
    """`gunicorn -w N wsgi:app` on a free port, configured by environment variables only."""

    def __init__(self, tmp: Path, env: dict[str, str], workers: int = 2) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = tmp / "gunicorn.log"
        self.multiproc_dir = tmp / "prometheus"
        self.multiproc_dir.mkdir()
        conf = tmp / "gunicorn_test.conf.py"
        conf.write_text(GUNICORN_CONF)
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("MATCHER_", "FLASK_"))},
            "SECRET_KEY": "live-test-secret",
            "JOBS_URL": f"sqlite:///{tmp / 'jobs.sqlite'}",
            "PROMETHEUS_MULTIPROC_DIR": str(self.multiproc_dir),
            "PYTHONPATH": str(ROOT),
            **env,
        }
        self.command = [
            sys.executable, "-m", "gunicorn", "-c", str(conf), "-w", str(workers),
            "-b", f"127.0.0.1:{self.port}", "--timeout", "60", "--graceful-timeout", "5",
            "--no-control-socket", "wsgi:app",
        ]  # fmt: skip
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> "Gunicorn":
        """Start and wait until a worker answers /healthz."""
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                self.command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("gunicorn exited:\n" + self.log())
            with contextlib.suppress(OSError):
                urllib.request.urlopen(self.base + "/healthz", timeout=2)
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("gunicorn did not answer:\n" + self.log())

    def worker_pids(self) -> list[int]:
        """The pids of the master's worker processes."""
        assert self.process is not None
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(p) for p in children.read_text().split()]

    def log(self) -> str:
        """Everything gunicorn and the app wrote to stdout and stderr so far."""
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        """Stop gunicorn at once (SIGINT: a quick shutdown; SIGKILL after 15 s)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
