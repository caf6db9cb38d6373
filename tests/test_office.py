"""The review office: users of three roles made with `redline users add`, who sees which check, a reviewer's decision
with an override (the generated finding kept), the document of a decided check, and the hash-chained audit log."""

import io
import sqlite3
import subprocess
import zipfile
from types import SimpleNamespace

import httpx
import pytest

from redline.office import audit, users
from tests.common import http
from tests.conftest import SAMPLES
from tests.test_service import Server

ROAD = next(p for p in SAMPLES if p.stem == "01_qilihai_road")


def redline(*arguments):
    """``redline ARGUMENTS`` run in this process (click's runner): its exit status, stdout and stderr; an exception
    other than the exit is raised."""
    from click.testing import CliRunner

    from redline.cli import main

    done = CliRunner().invoke(main, [str(argument) for argument in arguments])
    if done.exception is not None and not isinstance(done.exception, SystemExit):
        raise done.exception
    return SimpleNamespace(returncode=done.exit_code, stdout=done.stdout, stderr=done.stderr)


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    database = tmp_path_factory.mktemp("office") / "office.sqlite"
    tokens = {}
    for name, role, display in (("admin", "admin", "管理员"), ("li", "reviewer", "李审查"), ("anna", "planner", "安娜"),
                                ("bo", "planner", "博")):
        done = redline("users", "add", name, "--role", role, "--display-name", display, "--db", database)
        assert done.returncode == 0, done.stderr
        tokens[name] = done.stdout.split()[-1]
    server = Server(database)
    yield server, database, {name: {"Authorization": f"Bearer {token}"} for name, token in tokens.items()}
    server.stop()


def submit(server, headers):
    with open(ROAD, "rb") as stream:
        return http.post(f"{server.url}/v1/checks", files={"file": (ROAD.name, stream)}, headers=headers, timeout=120)


def test_who_sees_and_who_decides(office, tmp_path):
    server, database, as_user = office
    assert submit(server, {}).status_code == 401
    assert submit(server, {"Authorization": "Bearer not-a-token"}).status_code == 401
    answer = submit(server, as_user["anna"])
    assert answer.status_code == 201
    check_id = answer.json()["id"]
    url = f"{server.url}/v1/checks/{check_id}"

    for path in ("", "/report.pdf", "/map", "/intrusions.geojson"):  # another planner: as if it did not exist
        assert http.get(url + path, headers=as_user["bo"], timeout=60).status_code == 404
    assert check_id not in [row["id"] for row in http.get(f"{server.url}/v1/checks", headers=as_user["bo"]).json()]
    listed = http.get(f"{server.url}/v1/checks", headers=as_user["li"]).json()
    assert [row["state"] for row in listed if row["id"] == check_id] == ["pending"]
    assert http.get(url, headers=as_user["anna"]).json()["review"]["state_zh"] == "待审"

    decision = {"decision": "return", "opinion": "请补充不可避让论证材料后重新提交。",
                "overrides": [{"rule": "redline", "status": "review", "reason": "线性基础设施，拟申报有限人为活动第6类。"}]}
    assert http.post(f"{url}/decision", json=decision, headers=as_user["anna"]).status_code == 403
    without_reason = {**decision, "overrides": [{"rule": "redline", "status": "review", "reason": ""}]}
    assert http.post(f"{url}/decision", json=without_reason, headers=as_user["li"]).status_code == 422
    assert http.post(f"{url}/decision", json=decision, headers=as_user["li"]).status_code == 200

    seen = http.get(url, headers=as_user["anna"]).json()
    review = seen["review"]
    assert (review["state"], review["state_zh"], review["reviewer_name"]) == ("returned", "退回补正", "李审查")
    assert review["overrides"][0]["reason"] == decision["overrides"][0]["reason"] and review["overrides"][0]["reviewer"] == "li"
    assert next(f for f in seen["findings"] if f["rule"] == "redline")["status"] == "violation"  # the generated finding

    pdf = http.get(f"{url}/report.pdf", headers=as_user["anna"], timeout=120)
    assert pdf.status_code == 200
    (tmp_path / "r.pdf").write_bytes(pdf.content)
    text = "".join(subprocess.run(["pdftotext", str(tmp_path / "r.pdf"), "-"], capture_output=True, text=True).stdout.split())
    assert "李审查" in text and "请补充不可避让论证材料后重新提交。" in text and "拟申报有限人为活动第6类" in text
    assert "退回补正" in text

    assert http.get(f"{server.url}/v1/audit", headers=as_user["anna"]).status_code == 403
    assert http.get(f"{server.url}/v1/audit", headers=as_user["li"]).status_code == 403
    events = http.get(f"{server.url}/v1/audit", params={"check": check_id}, headers=as_user["admin"]).json()
    who = {(event["action"], event["user"]) for event in events}
    assert {("submit", "anna"), ("decision", "li"), ("override", "li"), ("download", "anna")} <= who
    assert http.get(f"{url}/map", headers=as_user["li"], timeout=120).status_code == 200
    events = http.get(f"{server.url}/v1/audit", params={"check": check_id}, headers=as_user["admin"]).json()
    assert {"part": "map"} in [event["detail"] for event in events if event["action"] == "view" and event["user"] == "li"]
    reads = http.get(f"{server.url}/v1/audit", params={"who": "admin"}, headers=as_user["admin"]).json()
    assert "audit_read" in {event["action"] for event in reads}
    assert all(event["at"].endswith("+08:00") for event in events)


def test_audit_verify_finds_an_edited_row(office, tmp_path):
    _, database, _ = office
    copy = tmp_path / "copy.sqlite"
    with sqlite3.connect(database) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    assert redline("audit", "verify", "--db", copy).returncode == 0
    with sqlite3.connect(copy) as db:
        db.execute("UPDATE audit SET user = 'mallory' WHERE seq = 3")
    done = redline("audit", "verify", "--db", copy)
    assert done.returncode == 1 and "row 3" in done.stderr


def test_tokens_are_kept_as_digests_revoked_and_disabled(tmp_path):
    db = users.connect(tmp_path / "u.sqlite")
    token = users.add_user(db, "chen", "planner", display_name="陈")
    assert token not in str(db.execute("SELECT * FROM users").fetchall())
    assert users.by_token(db, token).name == "chen"
    renewed = users.new_token(db, "chen")
    assert users.by_token(db, token) is None and users.by_token(db, renewed).display_name == "陈"
    users.set_password(db, "chen", "correct horse battery")
    assert users.by_password(db, "chen", "correct horse battery").role == "planner"
    assert users.by_password(db, "chen", "wrong password!") is None and users.by_password(db, "nobody", "x" * 12) is None
    users.disable(db, "chen")
    assert users.by_token(db, renewed) is None and users.by_password(db, "chen", "correct horse battery") is None
    with pytest.raises(Exception, match="unknown role"):
        users.add_user(db, "x", "boss")


def test_the_chain_notices_a_deleted_or_reordered_row(tmp_path):
    db = users.connect(tmp_path / "a.sqlite")
    for number in range(5):
        audit.append(db, "view", user="anna", check_id=f"c{number}")
    assert audit.verify(db) is None
    with db:
        db.execute("DELETE FROM audit WHERE seq = 2")
    assert audit.verify(db) == 2


def test_pages_log_in_with_a_session_cookie_and_a_csrf_token(office):
    """Name and password give an HttpOnly, SameSite=Strict cookie, a new one at every log-in; changes need the CSRF
    token; failed log-ins are throttled; log-out ends the session."""
    server, database, as_user = office
    done = redline("users", "passwd", "bo", "--password", "bo-secret-pass", "--db", database)
    assert done.returncode == 0, done.stderr
    with httpx.Client(base_url=server.url, timeout=120) as client:
        assert client.post("/login", json={"name": "bo", "password": "wrong-password"}).status_code == 401
        first = client.post("/login", json={"name": "bo", "password": "bo-secret-pass"})
        assert first.status_code == 200
        cookie = first.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie and "path=/" in cookie
        session, csrf = client.cookies["redline_session"], first.json()["csrf"]
        again = client.post("/login", json={"name": "bo", "password": "bo-secret-pass"})
        assert client.cookies["redline_session"] != session  # no session fixation: a new id at every log-in
        session, csrf = client.cookies["redline_session"], again.json()["csrf"]
        assert client.get("/v1/session").json()["user"] == "bo" and client.get("/v1/checks").status_code == 200
        with open(ROAD, "rb") as stream:
            assert client.post("/v1/checks", files={"file": (ROAD.name, stream)}).status_code == 403  # no CSRF token
        with open(ROAD, "rb") as stream:
            assert client.post("/v1/checks", files={"file": (ROAD.name, stream)},
                               headers={"X-CSRF-Token": csrf}).status_code == 201
        assert client.post("/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
        client.cookies.set("redline_session", session)  # the ended session's id opens nothing
        assert client.get("/v1/checks").status_code == 401
    for _ in range(5):
        http.post(f"{server.url}/login", json={"name": "li", "password": "guess"})
    throttled = http.post(f"{server.url}/login", json={"name": "li", "password": "guess"})
    assert throttled.status_code == 429 and int(throttled.headers["retry-after"]) > 0
    page = http.get(f"{server.url}/").text
    assert 'id="account"' in page and '<script src="login.js">' in page
    assert 'id="login-password"' in http.get(f"{server.url}/login.js").text


def test_a_decided_check_keeps_its_documents_of_record(office):
    """The PDF and Word issued at the decision are kept (bytes + SHA-256) and served as they were, never made again."""
    import hashlib
    server, _, as_user = office
    check_id = submit(server, as_user["anna"]).json()["id"]
    url = f"{server.url}/v1/checks/{check_id}"
    decided = http.post(f"{url}/decision", json={"decision": "approve", "opinion": "同意。"}, headers=as_user["li"],
                         timeout=120).json()
    assert set(decided["documents"]) == {"pdf", "docx"}
    first = http.get(f"{url}/report.pdf", headers=as_user["anna"], timeout=120)
    again = http.get(f"{url}/report.pdf", headers=as_user["li"], timeout=120)
    assert first.content == again.content and hashlib.sha256(first.content).hexdigest() == decided["documents"]["pdf"]
    assert first.headers["x-redline-document"] == f"of-record; sha256={decided['documents']['pdf']}"
    bundle = http.get(f"{server.url}/v1/checks.zip", params={"id": [check_id, check_id]}, headers=as_user["anna"],
                       timeout=120)  # several projects' review files in one zip: the one of record, once
    with zipfile.ZipFile(io.BytesIO(bundle.content)) as archive:
        assert [archive.read(name) for name in archive.namelist()] == [first.content]
        assert archive.namelist()[0].endswith(".pdf") and "/" not in archive.namelist()[0]
    assert http.get(f"{server.url}/v1/checks.zip", params={"id": check_id}, headers=as_user["bo"]).status_code == 404
    assert http.get(url, headers=as_user["anna"]).json()["review"]["state_zh"] == "已通过"


def test_a_check_on_outdated_layers_stays_downloadable(tmp_path):
    """A stored check whose layers changed since: its documents come with its stored figures and without a map sheet
    drawn from other layers (409 before); the listing flags it."""
    import json
    import sqlite3

    from tests.test_service import Server
    database = tmp_path / "db.sqlite"
    server = Server(database)
    try:
        with open(ROAD, "rb") as stream:
            check_id = http.post(f"{server.url}/v1/checks", files={"file": (ROAD.name, stream)}, timeout=120).json()["id"]
        with sqlite3.connect(database) as db:  # as if checked against another vintage of the red line
            report = json.loads(db.execute("SELECT report FROM checks WHERE id = ?", (check_id,)).fetchone()[0])
            report["manifest"]["sha256"] = "0" * 64
            next(layer for layer in report["manifest"]["layers"] if layer["id"] == "ecological_redline")["sha256"] = "0" * 64
            db.execute("UPDATE checks SET report = ? WHERE id = ?", (json.dumps(report, ensure_ascii=False), check_id))
        pdf = http.get(f"{server.url}/v1/checks/{check_id}/report.pdf", timeout=120)
        assert pdf.status_code == 200 and pdf.headers["x-redline-layers"] == "outdated: ecological_redline"
        assert [row["outdated"] for row in http.get(f"{server.url}/v1/checks").json() if row["id"] == check_id] == [True]
    finally:
        server.stop()


def test_a_resubmission_links_the_check_it_answers_and_says_what_changed(office, tmp_path):
    import json
    server, _, as_user = office
    first = submit(server, as_user["anna"]).json()["id"]
    smaller = json.loads(ROAD.read_text(encoding="utf-8"))  # the applicant redraws: only the road's western half
    geometry = smaller["features"][0]["geometry"]
    ring = geometry["coordinates"][0] if geometry["type"] == "Polygon" else geometry["coordinates"][0][0]
    west = min(x for x, _ in ring)
    half = west + (max(x for x, _ in ring) - west) * 0.3
    for point in ring:
        point[0] = min(point[0], half)
    path = tmp_path / "01_qilihai_road_v2.geojson"
    path.write_text(json.dumps(smaller, ensure_ascii=False), encoding="utf-8")
    with open(path, "rb") as stream:
        answer = http.post(f"{server.url}/v1/checks", files={"file": (path.name, stream)}, data={"previous": first},
                            headers=as_user["anna"], timeout=120)
    assert answer.status_code == 201
    seen = http.get(f"{server.url}/v1/checks/{answer.json()['id']}", headers=as_user["anna"]).json()
    assert seen["previous"] == first
    area = next(change for change in seen["changes"] if change["what"] == "area_m2")
    assert area["after"] < area["before"]
    with open(path, "rb") as stream:  # another planner cannot link to anna's check
        assert http.post(f"{server.url}/v1/checks", files={"file": (path.name, stream)}, data={"previous": first},
                          headers=as_user["bo"], timeout=120).status_code == 404


def test_the_form_s_particulars_reach_the_documents(tmp_path):
    """申请单位, 文号 and 项目代码 given with the upload are kept with the check and printed in its review report."""
    from tests.test_service import Server
    server = Server(tmp_path / "db.sqlite")
    try:
        with open(ROAD, "rb") as stream:
            check_id = http.post(f"{server.url}/v1/checks", files={"file": (ROAD.name, stream)}, timeout=120,
                                  data={"applicant": "天津市某建设单位", "reference": "津审〔2026〕8号",
                                        "project_code": "2026-120116-48-01-000003"}).json()["id"]
        assert http.get(f"{server.url}/v1/checks/{check_id}").json()["particulars"]["reference"] == "津审〔2026〕8号"
        pdf = http.get(f"{server.url}/v1/checks/{check_id}/report.pdf", timeout=120)
        (tmp_path / "r.pdf").write_bytes(pdf.content)
        text = "".join(subprocess.run(["pdftotext", str(tmp_path / "r.pdf"), "-"], capture_output=True,
                                      text=True).stdout.split())
        assert "天津市某建设单位" in text and "津审〔2026〕8号" in text and "2026-120116-48-01-000003" in text
    finally:
        server.stop()


def test_single_person_mode_binds_the_loopback_only(tmp_path):
    """No users and no token: anyone who reaches the port may use it, so it is not served beyond this machine."""
    done = redline("serve", "--host", "0.0.0.0", "--port", "0", "--db", tmp_path / "empty.sqlite")
    assert done.returncode == 2 and "single-person mode binds 127.0.0.1 only" in done.stderr


def test_the_listing_comes_in_pages_and_the_ledger_downloads_what_it_lists(office):
    """``limit``/``offset`` pages with ``X-Total-Count`` and ``Link``; ``/v1/checks.xlsx`` is the 台账 of the same
    filters, a planner's holding their own checks only."""
    import io
    import re

    import openpyxl

    server, _, as_user = office
    mine = {submit(server, as_user["bo"]).json()["id"] for _ in range(3)}
    everyone = http.get(f"{server.url}/v1/checks", params={"limit": 1000}, headers=as_user["li"])
    total = int(everyone.headers["x-total-count"])
    assert total == len(everyone.json()) >= 3
    first = http.get(f"{server.url}/v1/checks", params={"limit": 2}, headers=as_user["li"])
    assert len(first.json()) == 2 and first.headers["x-total-count"] == str(total)
    assert 'rel="next"' in first.headers["link"] and 'rel="prev"' not in first.headers["link"]
    second = http.get(f"{server.url}/v1/checks", params={"limit": 2, "offset": 2}, headers=as_user["li"])
    assert 'rel="prev"' in second.headers["link"]
    assert [row["id"] for row in first.json() + second.json()] == [row["id"] for row in everyone.json()[:4]]

    ledger = http.get(f"{server.url}/v1/checks.xlsx", headers=as_user["bo"], timeout=120)
    assert ledger.status_code == 200 and ledger.headers["content-disposition"].endswith('.xlsx"')
    sheet = openpyxl.load_workbook(io.BytesIO(ledger.content)).worksheets[0]
    header = [cell.value for cell in sheet[2]]
    assert header[:9] == ["编号 / id", "项目名称 / project", "项目代码 / project code", "申请单位 / applicant",
                          "文号 / reference", "坐落 / location", "提交时间 / submitted", "审查状态 / review", "结论 / verdict"]
    rows = [row for row in sheet.iter_rows(min_row=3, values_only=True) if row[0] != "合计"]
    own = {row["id"] for row in http.get(f"{server.url}/v1/checks", params={"limit": 1000}, headers=as_user["bo"]).json()}
    assert mine <= {row[0] for row in rows} == own  # bo's own, none of anna's
    assert {row[7] for row in rows} == {"待审"} and {row[8] for row in rows} == {"不符合"}
    assert all(row[5].endswith("区") and re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}", row[6]) for row in rows)
    reviewer = http.get(f"{server.url}/v1/checks.xlsx", params={"verdict": "pass"}, headers=as_user["li"], timeout=120)
    assert reviewer.status_code == 200
