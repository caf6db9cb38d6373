"""The HTTP front (FastAPI): planners upload a boundary, get the verdict, the figures and the map; reviewers decide.

It wires the library and computes nothing itself: ``check`` with limits (in a child process) → reports. Layers are
loaded once when the app is made (``create_app(layers, Config(…))``); check processes are forked from it at start-up,
share them, run niced and die with the server (``PR_SET_PDEATHSIG``). Each upload is read and checked in a child of a
check process held to memory and time limits, so a crash or a runaway file costs that upload only; a dead check process
is replaced. Modules, one job each:

- ``app``: the routes;
- ``access``: who may do what (users, sessions with CSRF, the shared token, link keys, audit records);
- ``config``: ``Limits`` and the frozen ``Config``;
- ``guard``: host allow-list, size and time limits while receiving, cross-site refusals, header deadlines;
- ``queue``: the wait for a check process, in turn by client;
- ``jobs``: what runs in a check process (checks, re-runs, avoiding, documents, the ledger);
- ``store``: results in the database (SQLite or PostgreSQL, ``redline.office.database``) and the link keys;
- ``answers``: error statuses (``ERROR_STATUS``), OpenAPI error responses, pages with their CSP;
- ``forms``: the decision, override and log-in bodies.
"""

from redline.service.answers import ERROR_STATUS
from redline.service.app import app_from_environment, create_app
from redline.service.config import SETTINGS, Config, Limits
from redline.service.guard import TimedHttpTools
from redline.service.store import LINK_DAYS, Store

__all__ = ["ERROR_STATUS", "LINK_DAYS", "SETTINGS", "Config", "Limits", "Store", "TimedHttpTools", "app_from_environment",
           "create_app"]
