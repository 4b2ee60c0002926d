"""A PostgreSQL cluster of the test's own, on a free port: the restart test stops and starts it
without touching the machine's shared server."""

import contextlib
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from .private_redis import _free_port

BIN = Path("/usr/lib/postgresql/15/bin")


def _as_postgres(args: list[str], **kwargs):
    """initdb and pg_ctl refuse to run as root: run them as the postgres user when we are root."""
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run([*prefix, *args], check=True, capture_output=True, **kwargs)  # noqa: S603


class PrivatePostgres:
    def __init__(self, directory: Path):
        self.port = _free_port()
        self.directory = directory
        self.data = directory / "data"

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/app"

    def create(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres", "postgres")
        _as_postgres([str(BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust"])
        self.start()
        _as_postgres([str(BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "app"])

    def start(self) -> None:
        _as_postgres(
            [
                str(BIN / "pg_ctl"),
                "-D",
                str(self.data),
                "-o",
                f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1",
                "-l",
                str(self.directory / "log"),
                "-w",
                "start",
            ]
        )

    def stop(self, mode: str = "fast") -> None:
        _as_postgres([str(BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"])


@pytest.fixture
def private_postgres(tmp_path_factory):
    if not (BIN / "initdb").exists() or not shutil.which("runuser"):
        message = "PostgreSQL 15 server binaries are needed for the restart test"
        pytest.fail(message) if os.environ.get("CI") else pytest.skip(message)
    directory = Path("/tmp") / f"pg-{os.getpid()}-{time.monotonic_ns()}"
    server = PrivatePostgres(directory)
    server.create()
    try:
        yield server
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            server.stop("immediate")
        shutil.rmtree(directory, ignore_errors=True)
