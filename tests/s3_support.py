"""Real S3 for tests: a moto server subprocess on 127.0.0.1 and a TCP fault proxy in front of it.

The proxy forwards bytes unchanged, records every request line it forwards (method, path, Range
header) so a test can count object fetches, and can hold one object's response half-way (`stall`) so a
test can interrupt a download at a known point, then drop the connection or let it finish.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import boto3
from botocore.config import Config

from scribe_lakehouse.spark.session import free_port


def wait_for(predicate: Any, what: str, limit: float = 60.0) -> None:
    """Poll until `predicate()` is true (bounded; a readiness wait, not a timing assertion)."""
    deadline = time.monotonic() + limit
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.05)


@dataclass
class MotoServer:
    port: int
    proc: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)

    def admin(self) -> Any:
        """A signed client (any credentials do for moto) for seeding buckets."""
        return boto3.client(
            "s3",
            endpoint_url=self.url,
            aws_access_key_id="test",
            aws_secret_access_key="test",
            region_name="us-east-1",
            config=Config(s3={"addressing_style": "path"}),
        )


def start_moto(log_dir: Path) -> MotoServer:
    port = free_port()
    log = log_dir / f"moto-{port}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = MotoServer(port, proc, log)

    def ready() -> bool:
        if proc.poll() is not None:
            raise AssertionError(f"moto server exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            return False

    try:
        wait_for(ready, "the moto server")
    except BaseException:
        server.stop()
        raise
    return server


def seed(
    server: MotoServer,
    bucket: str,
    prefix: str,
    folder: Path,
    *,
    private: Iterable[str] = (),
) -> dict[str, bytes]:
    """Upload every file under `folder` to s3://bucket/prefix/<relative path>, public-read unless its
    relative path is in `private`; returns key → bytes."""
    s3 = server.admin()
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    if bucket not in existing:
        s3.create_bucket(Bucket=bucket, ACL="public-read")
    hidden = set(private)
    objects: dict[str, bytes] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        key = f"{prefix.strip('/')}/{rel}"
        data = path.read_bytes()
        s3.put_object(Bucket=bucket, Key=key, Body=data, ACL="private" if rel in hidden else "public-read")
        objects[key] = data
    return objects


def put_raw(server: MotoServer, bucket: str, keys: dict[str, bytes]) -> None:
    s3 = server.admin()
    for key, data in keys.items():
        s3.put_object(Bucket=bucket, Key=key, Body=data, ACL="public-read")


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # decoded, without the query string
    query: str
    range: str | None

    def is_object_get(self, bucket: str) -> bool:
        return self.method == "GET" and self.path.startswith(f"/{bucket}/") and "list-type" not in self.query


@dataclass
class _Stall:
    key_path: str
    after_bytes: int
    triggered: bool = False


@dataclass
class FaultProxy:
    """A TCP proxy on 127.0.0.1 in front of `upstream_port`."""

    upstream_port: int
    port: int = 0
    requests: list[Request] = field(default_factory=list)
    stalled: threading.Event = field(default_factory=threading.Event)
    _release: threading.Event = field(default_factory=threading.Event)
    _drop: bool = False
    _stall: _Stall | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _sockets: list[socket.socket] = field(default_factory=list)
    _listener: socket.socket | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FaultProxy:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        self._listener = listener
        self.port = int(listener.getsockname()[1])
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def stall(self, bucket: str, key: str, after_bytes: int) -> None:
        """Hold the response to the next GET of `key` after `after_bytes` bytes (headers included)."""
        self._stall = _Stall(f"/{bucket}/{key}", after_bytes)
        self.stalled.clear()
        self._release.clear()

    def release(self, *, drop: bool) -> None:
        """Let a held response go on (drop=False) or cut that connection (drop=True)."""
        self._drop = drop
        self._release.set()

    def object_gets(self, bucket: str) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r.is_object_get(bucket)]

    def close(self) -> None:
        self._release.set()
        for sock in [self._listener, *self._sockets]:
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.close()

    def _accept(self) -> None:
        assert self._listener is not None
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()  # upstream is gone: the client sees its connection dropped
                continue
            self._sockets += [client, upstream]
            budget: list[int | None] = [None]
            threading.Thread(target=self._requests, args=(client, upstream, budget), daemon=True).start()
            threading.Thread(target=self._responses, args=(upstream, client, budget), daemon=True).start()

    def _requests(self, src: socket.socket, dst: socket.socket, budget: list[int | None]) -> None:
        buf = b""
        try:
            while data := src.recv(65536):
                buf += data
                while b"\r\n\r\n" in buf:  # the client sends no request bodies through the proxy
                    head, buf = buf.split(b"\r\n\r\n", 1)
                    self._note(head, budget)
                    dst.sendall(head + b"\r\n\r\n")
        except OSError:
            pass
        finally:
            _close(src, dst)

    def _note(self, head: bytes, budget: list[int | None]) -> None:
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        parts = urlsplit(target)
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        request = Request(method, unquote(parts.path), parts.query, headers.get("range"))
        with self._lock:
            self.requests.append(request)
        stall = self._stall
        if stall and not stall.triggered and method == "GET" and request.path == stall.key_path:
            stall.triggered = True
            budget[0] = stall.after_bytes

    def _responses(self, src: socket.socket, dst: socket.socket, budget: list[int | None]) -> None:
        try:
            while data := src.recv(65536):
                left = budget[0]
                if left is not None and len(data) >= left:
                    dst.sendall(data[:left])
                    budget[0] = None
                    self.stalled.set()
                    self._release.wait()
                    if self._drop:
                        return
                    data = data[left:]
                elif left is not None:
                    budget[0] = left - len(data)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            _close(src, dst)


def _close(*socks: socket.socket) -> None:
    for sock in socks:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            sock.close()
