"""A command run as a person runs it in a terminal (a pseudo-terminal here), for tests that start
the platform as the README says (`make up`) and stop it with Ctrl-C typed at that terminal."""

import fcntl
import os
import pty
import subprocess
import termios
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]


def shell_env(**extra: str) -> dict[str, str]:
    """The environment of a person's shell: no servers named for the platform to use, no make
    recursion, and the machine's `python3` first on PATH (not this test's virtualenv), as the
    Makefile expects."""
    drop = ("NATS_URL", "MONGODB_URI", "MAKEFLAGS", "MAKELEVEL")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    venv = env.pop("VIRTUAL_ENV", None) or str(ROOT / ".venv")
    env["PATH"] = os.pathsep.join(d for d in env["PATH"].split(os.pathsep) if not d.startswith(venv))
    return env | extra


class Terminal:
    """A command run as a person runs it in a terminal: it has a controlling terminal, and what is
    typed there (Ctrl-C) goes through the terminal's line discipline to its foreground group."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        self.master, slave = pty.openpty()
        self.process = subprocess.Popen(
            command, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=ROOT, preexec_fn=self._controlling
        )
        os.close(slave)
        self.output: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    @staticmethod
    def _controlling() -> None:
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    def _read(self) -> None:
        pending = b""
        while True:
            try:
                chunk = os.read(self.master, 4096)
            except OSError:  # every holder of the terminal has gone
                chunk = b""
            if not chunk:
                break
            pending += chunk
            *lines, pending = pending.split(b"\n")
            self.output += [line.decode(errors="replace").rstrip("\r") for line in lines]
        if pending:
            self.output.append(pending.decode(errors="replace"))

    def wait_for(self, *texts: str, timeout: float) -> list[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.process.poll() is None:
            if any(text in line for line in self.output for text in texts):
                return list(self.output)
            time.sleep(0.1)
        return list(self.output)

    def type_ctrl_c(self) -> None:
        os.write(self.master, b"\x03")
