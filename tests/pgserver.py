"""A throwaway PostgreSQL server for the test run (see shared/recipes/ci-services.md).

Started once per test session unless TEST_DATABASE_URL points at a server already.
As root, initdb and pg_ctl run as the `postgres` user through runuser.
"""

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

FIRST_PORT = 15432  # below the ephemeral range, so a TIME-WAIT socket cannot take it


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL binaries here, or the server would not start."""


def _bindir() -> Path:
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    for bindir in reversed(candidates):
        if (bindir / "initdb").exists():
            return bindir
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise PostgresUnavailable("PostgreSQL is not installed (no initdb found)")


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class PostgresServer:
    """initdb into a temporary folder, start on 127.0.0.1, stop and delete on `stop()`."""

    def __init__(self) -> None:
        self.bindir = _bindir()
        self.root = Path(tempfile.mkdtemp(prefix="matcher-pg-"))
        self.port = next((p for p in range(FIRST_PORT, FIRST_PORT + 50) if _port_free(p)), None)
        if self.port is None:
            raise PostgresUnavailable("no free port for PostgreSQL")
        self.as_root = os.geteuid() == 0

    def _run(self, *args: str) -> None:
        cmd = list(args)
        if self.as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        result = subprocess.run(cmd, cwd="/", capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise PostgresUnavailable(f"{args[0]} failed: {result.stderr.strip()[-500:]}")

    def start(self) -> str:
        """Start the server; return the URL of its `postgres` database."""
        if self.as_root:
            shutil.chown(self.root, "postgres", "postgres")
        data = self.root / "data"
        self._run(
            str(self.bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
            "-E", "UTF8", "--locale=C.UTF-8", "--no-sync",
        )  # fmt: skip
        # Another run on this machine may take the chosen port while initdb works: then try
        # the next free one.
        for attempt in range(5):
            options = (
                f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
            )
            try:
                self._run(
                    str(self.bindir / "pg_ctl"), "-D", str(data), "-l",
                    str(self.root / "server.log"), "-w", "-t", "60", "-o", options, "start",
                )  # fmt: skip
                break
            except PostgresUnavailable:
                log = self.root / "server.log"
                taken = log.exists() and "Address already in use" in log.read_text()
                free = [p for p in range(FIRST_PORT, FIRST_PORT + 50) if _port_free(p)]
                if not taken or attempt == 4 or not free:
                    raise
                log.unlink()
                self.port = free[(attempt + 1) % len(free)]
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def pause(self) -> None:
        """Stop the server as an operator's restart does (`pg_ctl stop -m fast`), keeping its
        data: connections are cut, new ones are refused until `resume()`."""
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.root / "data"), "-m", "fast",
                  "-w", "stop")  # fmt: skip

    def resume(self) -> None:
        """Start the paused server again on the same port, with the same data."""
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._run(
            str(self.bindir / "pg_ctl"), "-D", str(self.root / "data"), "-l",
            str(self.root / "server.log"), "-w", "-t", "60", "-o", options, "start",
        )  # fmt: skip

    def stop(self) -> None:
        """Stop the server and delete its folder."""
        with contextlib.suppress(PostgresUnavailable):
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.root / "data"), "-m", "fast",
                      "-w", "stop")  # fmt: skip
        shutil.rmtree(self.root, ignore_errors=True)
