"""``redline serve``: the planner's page, the reviewer's page and the HTTP API."""

from __future__ import annotations

import os
from contextlib import closing
from pathlib import Path

import click

from redline.cli.common import fail, manifest_option
from redline.errors import RedlineError
from redline.layers import load_layers

db_option = click.option("--db", envvar="REDLINE_DB", default="redline.sqlite", show_default=True, metavar="FILE|URI",
                         help="The service's database: a SQLite file, or a PostgreSQL URI (postgresql://user@host/name) "
                              "that several servers share (also from REDLINE_DB).")


def database(db: str) -> str | Path:
    """``--db`` as the library takes it: a PostgreSQL URI as it is, a SQLite file as an absolute path."""
    from redline.office.database import is_postgres

    return db if is_postgres(db) else Path(db).resolve()


@click.command()
@manifest_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind (loopback unless told otherwise).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@db_option
@click.option("--max-bytes", default=20 * 1024 * 1024, show_default=True, help="Upload size limit.")
@click.option("--time-limit", type=click.FloatRange(min=1), show_default="30 (the service's Limits.seconds)",
              help="Seconds one upload may take to read and check; it is stopped after that (504).")
@click.option("--cdn", is_flag=True, help="Maps link Leaflet from a CDN instead of inlining it.")
@click.option("--workers", default=os.cpu_count() or 1, show_default="the cores", type=click.IntRange(1, 64),
              help="Check processes, forked with the layers loaded (use the number of cores).")
@click.option("--allowed-host", "allowed_hosts", multiple=True, metavar="NAME",
              help="A host name the service answers for besides 127.0.0.1, localhost and the bound address (repeat it; "
                   "other Host headers get 421, against DNS rebinding).")
def serve(manifest, host, port, db, max_bytes, time_limit, cdn, workers, allowed_hosts):
    """Serve the planner's page and the HTTP API (FastAPI on uvicorn); REDLINE_TOKEN sets a bearer token.

    One event loop takes every request; with --workers N each check goes to the next free of N processes.

    Example: redline serve --port 8000 --db results.sqlite --workers 2   (then open http://127.0.0.1:8000/)
    """
    import uvicorn

    from redline.office import users
    from redline.service import SETTINGS, Config, Limits, TimedHttpTools, create_app
    from redline.service.guard import LOOPBACK_HOSTS

    token = os.environ.get(SETTINGS["token"])

    try:
        with closing(users.connect(database(db))) as office:
            named = users.list_users(office)
    except RedlineError as error:
        fail(error)
    if named:
        mode = (f"多用户模式 / office mode: {len(named)} user(s); every route but /healthz needs a user's token; "
                "checks are visible to their planner, reviewers and admins")
    elif token:
        mode = "共享令牌模式 / shared-token mode: one bearer token (REDLINE_TOKEN) for everyone"
    else:
        mode = "单人模式 / single-person mode: no users and no token, anyone who reaches the port may use it"
        if host not in LOOPBACK_HOSTS:
            fail(f"单人模式只能绑定本机 / single-person mode binds 127.0.0.1 only (asked for {host}): add users with "
                 "`redline users add NAME --role …` or set REDLINE_TOKEN first")
    limits = Limits(max_bytes=max_bytes, **({"seconds": time_limit} if time_limit else {}))
    config = Config(db=database(db), token=token or None, limits=limits, cdn=cdn, check_processes=workers,
                    allowed_hosts=tuple(name for name in (host, *allowed_hosts) if name not in ("0.0.0.0", "::")))
    app = create_app(load_layers(manifest), config)  # fails here, once, with a clear message if the layers cannot load
    click.echo(f"redline: 监听 / listening on http://{host}:{port}/ · {mode}", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", http=TimedHttpTools, timeout_keep_alive=5,
                limit_concurrency=Limits.connections, timeout_graceful_shutdown=3)
