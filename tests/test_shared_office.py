"""The review office on PostgreSQL (`--db postgresql://…`): two `redline serve` processes on one database share the
users, the checks, the decisions, the documents of record, the link secret and one audit chain."""

import hashlib
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest

from tests.common import http
from tests.test_office import redline, submit
from tests.test_service import Server

pytestmark = pytest.mark.slow  # a real PostgreSQL server


def test_two_servers_on_one_postgresql_share_the_office(postgres):
    tokens = {}
    for name, role, display in (("admin", "admin", "管理员"), ("li", "reviewer", "李审查"), ("anna", "planner", "安娜"),
                                ("bo", "planner", "博")):
        done = redline("users", "add", name, "--role", role, "--display-name", display, "--db", postgres)
        assert done.returncode == 0, done.stderr
        tokens[name] = {"Authorization": f"Bearer {done.stdout.split()[-1]}"}
    first = Server(postgres)
    second = Server(postgres)
    try:
        check_id = submit(first, tokens["anna"]).json()["id"]  # submitted to one server …
        url = f"{second.url}/v1/checks/{check_id}"  # … read and decided on the other
        assert http.get(url, headers=tokens["bo"]).status_code == 404
        assert http.get(url, headers=tokens["li"]).json()["review"]["state"] == "pending"
        decision = {"decision": "return", "opinion": "请补充论证材料。",
                    "overrides": [{"rule": "redline", "status": "review", "reason": "线性工程，拟申报有限人为活动。"}]}
        decided = http.post(f"{url}/decision", json=decision, headers=tokens["li"], timeout=120)
        assert decided.status_code == 200, decided.text
        seen = http.get(f"{first.url}/v1/checks/{check_id}", headers=tokens["anna"]).json()
        assert (seen["review"]["state_zh"], seen["review"]["reviewer_name"]) == ("退回补正", "李审查")
        assert next(f for f in seen["findings"] if f["rule"] == "redline")["status"] == "violation"
        pdf = http.get(f"{first.url}/v1/checks/{check_id}/report.pdf", headers=tokens["anna"], timeout=120)
        assert hashlib.sha256(pdf.content).hexdigest() == decided.json()["documents"]["pdf"]  # the one of record
        key = http.get(f"{first.url}/v1/checks", headers=tokens["li"]).json()[0]["links"]["report"].split("?key=")[1]
        assert http.get(f"{second.url}/v1/checks/{check_id}?key={key}").status_code == 200  # one link secret

        def one(number):  # both servers at once, each writing checks and audit rows
            return submit((first, second)[number % 2], tokens[("anna", "bo")[number % 2]]).json()["id"]

        with ThreadPoolExecutor(4) as pool:
            made = list(pool.map(one, range(8)))
        assert len(set(made)) == 8
        listed = {row["id"] for row in http.get(f"{first.url}/v1/checks", headers=tokens["li"]).json()}
        assert set(made) | {check_id} <= listed
        events = http.get(f"{second.url}/v1/audit", params={"limit": 1000}, headers=tokens["admin"]).json()
        assert sum(event["action"] == "submit" for event in events) == 9
        assert [event["seq"] for event in events] == list(range(1, len(events) + 1))
    finally:
        first.stop()
        second.stop()
    intact = redline("audit", "verify", "--db", postgres)
    assert intact.returncode == 0 and "the audit log is intact" in intact.stdout, intact.stderr
    with psycopg.connect(postgres, autocommit=True) as db:
        db.execute("UPDATE audit SET \"user\" = 'mallory' WHERE seq = 4")
    broken = redline("audit", "verify", "--db", postgres)
    assert broken.returncode == 1 and "row 4" in broken.stderr


def test_a_database_that_cannot_be_reached_is_one_line_and_exit_2(tmp_path):
    from click.testing import CliRunner

    from redline.cli import main

    unreachable = f"postgresql://nobody:secret@/none?host={tmp_path}"
    for command in (("users", "list"), ("audit", "verify"), ("serve",)):
        done = CliRunner().invoke(main, [*command, "--db", unreachable])
        assert done.exit_code == 2 and "cannot connect to" in done.output and "secret" not in done.output, done.output
        assert isinstance(done.exception, SystemExit)
