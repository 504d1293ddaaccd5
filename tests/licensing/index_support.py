"""Helpers for the index tests: tiny real wheels and a uvicorn server in a thread."""

from __future__ import annotations

import base64
import hashlib
import socket
import threading
import time
import zipfile
from pathlib import Path

import uvicorn
from starlette.types import ASGIApp


def make_wheel(
    folder: Path, name: str, version: str, requires_python: str = ">=3.11", padding: int = 0
) -> Path:
    """Build a minimal installable wheel for ``name`` (one module that records its version)."""
    module = name.replace("-", "_")
    dist_info = f"{module}-{version}.dist-info"
    metadata = (
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
        f"Requires-Python: {requires_python}\n"
        "Classifier: Private :: Do Not Upload\n\nA test wheel.\n"
    )
    files = {
        f"{module}/__init__.py": f"VERSION = {version!r}\n# {'x' * padding}\n",
        f"{dist_info}/METADATA": metadata,
        f"{dist_info}/WHEEL": (
            "Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
    }
    record = [
        f"{path},sha256={_urlsafe_digest(text.encode())},{len(text.encode())}"
        for path, text in files.items()
    ]
    files[f"{dist_info}/RECORD"] = "\n".join([*record, f"{dist_info}/RECORD,,"]) + "\n"
    path = folder / f"{module}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, text in files.items():
            archive.writestr(member, text)
    return path


def wheel_metadata(path: Path) -> bytes:
    with zipfile.ZipFile(path) as archive:
        member = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        return archive.read(member)


def _urlsafe_digest(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


class ThreadedServer:
    """uvicorn on a free 127.0.0.1 port in a daemon thread of the test process."""

    def __init__(self, app: ASGIApp) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        self._server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    def url(self, user: str | None = None, password: str | None = None) -> str:
        auth = f"{user}:{password}@" if user is not None else ""
        return f"http://{auth}127.0.0.1:{self.port}"

    def __enter__(self) -> ThreadedServer:
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the test index server did not start within 15 s")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(10)
        self._socket.close()


def seed_accounts(data: Path) -> tuple[str, dict[str, str]]:
    """An admin token and three customers (Pro, Enterprise, suspended); return the tokens."""
    from workhorse_licensing.issuer.index.accounts import Accounts

    accounts = Accounts(data)
    admin = accounts.set_admin_token()
    accounts.add_customer("cus_pro", "Pro Customer", ("pro",), "lic_pro")
    accounts.add_customer("cus_ent", "Enterprise Customer", ("enterprise",), "lic_ent")
    accounts.add_customer("cus_off", "Suspended Customer", ("enterprise",))
    accounts.update_customer("cus_off", suspended=True)
    return admin, {c: accounts.issue_token(c)[1] for c in ("cus_pro", "cus_ent", "cus_off")}
