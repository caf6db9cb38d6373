"""``redline users`` (the review office's users) and ``redline audit`` (its audit log)."""

from __future__ import annotations

import sys
from contextlib import closing, contextmanager

import click

from redline.cli.common import fail
from redline.cli.serve import database, db_option
from redline.errors import RedlineError


@click.group()
def users():
    """The review office's users: planners submit, reviewers decide, admins manage and read the audit log.

    Example: redline users add zhang --role reviewer --display-name 张三 --db results.sqlite
    """


@contextmanager
def _office(db, *, read_only: bool = False):
    """The database ``--db`` names, with its users table (read-only: as it is); one line and exit 2 if it cannot be
    opened."""
    from redline.office import users as office_users
    from redline.office.database import connect

    try:
        office = connect(database(db), read_only=True) if read_only else office_users.connect(database(db))
    except RedlineError as error:
        fail(error)
    with closing(office):
        yield office


def _change_users(db, event: str, name: str, change):
    """``change(office)`` on the users of ``db``, recorded as ``event`` in the audit log; one line and exit 2 on failure."""
    from redline.office import audit as office_audit

    with _office(db) as office:
        try:
            result = change(office)
        except RedlineError as error:
            fail(error)
        office_audit.append(office, event, user="cli", detail={"name": name})
    return result


@users.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(["planner", "reviewer", "admin"]))
@click.option("--display-name", help="The name documents and pages show (e.g. 张三).")
@db_option
def users_add(name, role, display_name, db):
    """Add a user; prints their API token, once, as the last word (only its digest is kept)."""
    from redline.office.users import add_user

    token = _change_users(db, "user_added", name, lambda office: add_user(office, name, role, display_name=display_name))
    click.echo(f"用户 / user {name} ({role}) 的令牌 / token: {token}")


@users.command("list")
@db_option
def users_list(db):
    """List the users: name, role, display name, whether disabled."""
    from redline.office import users as office_users

    with _office(db) as office:
        for user in office_users.list_users(office):
            click.echo(f"{user.name}\t{user.role}\t{user.display_name}\t{'disabled' if user.disabled else 'active'}")


@users.command("disable")
@click.argument("name")
@db_option
def users_disable(name, db):
    """Disable a user: their token and password stop working at once; their checks stay."""
    from redline.office.users import disable

    _change_users(db, "user_disabled", name, lambda office: disable(office, name))
    click.echo(f"用户 / user {name}: 已停用 / disabled")


@users.command("token")
@click.argument("name")
@db_option
def users_token(name, db):
    """Give a user a new API token (printed once, as the last word); the old one stops working."""
    from redline.office.users import new_token

    token = _change_users(db, "token_renewed", name, lambda office: new_token(office, name))
    click.echo(f"用户 / user {name} 的新令牌 / new token: {token}")


@users.command("passwd")
@click.argument("name")
@click.password_option(help="The new password (asked twice when not given).")
@db_option
def users_passwd(name, password, db):
    """Set a user's password for the pages (stored as an Argon2id hash)."""
    from redline.office.users import set_password

    _change_users(db, "password_set", name, lambda office: set_password(office, name, password))
    click.echo(f"用户 / user {name}: 密码已设置 / password set")


@click.group()
def audit():
    """The audit log of the review office.

    Example: redline audit verify --db results.sqlite
    """


@audit.command("verify")
@db_option
def audit_verify(db):
    """Check the audit log's hash chain: exit 0 when intact, 1 naming the first row edited, deleted or reordered."""
    from redline.office import audit as office_audit
    from redline.office.database import display

    with _office(db, read_only=True) as office:
        broken = office_audit.verify(office)
        count = office.execute("SELECT count(*) FROM audit").fetchone()[0] if broken is None and office.columns("audit") else 0
    if broken is None:
        click.echo(f"{display(db)}: 审计日志完整 / the audit log is intact ({count:,} rows)")
        return
    click.echo(f"{display(db)}: 审计日志自第 {broken} 行起被改动 / the audit log was altered at row {broken} (edited, deleted or "
               "reordered)", err=True)
    sys.exit(1)
