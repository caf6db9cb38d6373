"""The service's configuration: limits per upload and request, and the frozen settings ``create_app`` is given."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from redline.isolation import Limits as IsolationLimits


@dataclass(frozen=True)
class Limits:
    """Upload bytes, boundary vertices, seconds and memory per check; how a request must arrive: its headers within
    ``header_seconds``, each part of its body within ``body_seconds``, and the body as a whole at ``min_body_rate``
    bytes a second or more once ``body_grace_seconds`` have passed; at most ``bodies_per_client`` bodies arriving at
    once from one client address (a slow-body flood from one address cannot take every connection)."""

    max_bytes: int = 20 * 1024 * 1024
    max_vertices: int = 200_000
    seconds: float = 30.0
    memory_bytes: int = 1024 ** 3
    header_seconds: float = 10.0
    body_seconds: float = 30.0
    min_body_rate: float = 16 * 1024
    body_grace_seconds: float = 10.0
    bodies_per_client: int = 32
    connections: int = 512
    growth_bytes: int = 256 * 1024 ** 2
    """The stated memory bound: the server process and each check process stay within their resident size when the
    service started plus this, under any load (bodies are streamed to disk, heavy steps run in children); each child
    that reads an upload or makes a document within its parent's plus ``memory_bytes`` (the kernel holds it there).
    ``tests/test_hostile.py`` samples every process through 200 concurrent uploads and 16 bodies of 19 MiB at once."""

    @property
    def isolation(self) -> IsolationLimits:
        return IsolationLimits(seconds=self.seconds, memory_bytes=self.memory_bytes)


@dataclass(frozen=True)
class Config:
    """What ``create_app`` is given besides the layers: where results are kept, the shared token of shared-token mode
    (None: single-person or office mode, decided by the users in ``db``), the limits, whether maps link Leaflet
    from a CDN, how many check processes to fork, and the host names answered besides the loopback ones."""

    db: str | Path
    """The database: a SQLite file, or a ``postgresql://`` URI that several servers share (``redline.office.database``)."""
    token: str | None = None
    limits: Limits = field(default_factory=Limits)
    cdn: bool = False
    check_processes: int = 1
    allowed_hosts: tuple[str, ...] = ()


SETTINGS = {"manifest": "REDLINE_MANIFEST", "db": "REDLINE_DB", "max_bytes": "REDLINE_MAX_BYTES", "cdn": "REDLINE_CDN",
            "token": "REDLINE_TOKEN", "check_processes": "REDLINE_CHECK_PROCESSES", "hosts": "REDLINE_ALLOWED_HOSTS"}
"""Environment variables of ``config_from_environment`` (for ``uvicorn --factory redline.service:app_from_environment``;
``redline serve`` passes its ``Config`` directly)."""


def config_from_environment() -> tuple[str | None, Config]:
    """The manifest path (None: the shipped one) and the ``Config`` that the ``SETTINGS`` environment variables give."""
    environment = {key: os.environ.get(name) for key, name in SETTINGS.items()}
    return environment["manifest"] or None, Config(
        db=environment["db"] or Path("redline.sqlite"), token=environment["token"] or None,
        limits=Limits(max_bytes=int(environment["max_bytes"] or Limits.max_bytes)), cdn=bool(environment["cdn"]),
        check_processes=int(environment["check_processes"] or 1),
        allowed_hosts=tuple(name for name in (environment["hosts"] or "").split(",") if name))

