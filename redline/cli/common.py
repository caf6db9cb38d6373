"""What every command shares: the group (one line and exit 2 for any failure that is not a finding), the exit
statuses, and the options generated from the library's tables (``redline.parameters``, ``redline.report.documents``)."""

from __future__ import annotations

import functools
import logging
import sys
import warnings

import click

from redline.errors import RedlineError, RedlineWarning
from redline.isolation import Limits
from redline.layers import DEFAULT_MANIFEST
from redline.model import Options
from redline.parameters import DECLARATIONS, PARAMETERS, PARTICULARS, Parameter, cli_spelling, spelled
from redline.report.documents import DOCUMENTS

EXIT_PASS, EXIT_FLAGGED, EXIT_ERROR = 0, 1, 2
log = logging.getLogger("redline.cli")


class RedlineGroup(click.Group):
    """The command group; any failure that is not a finding leaves with one line on stderr and exit status 2.

    Exit status 1 means "violation or review"; an unreadable path, a full disk or a bug must never look like it.
    """

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except RedlineError as error:
            fail(error)
        except KeyboardInterrupt:  # click would say "Aborted!" with exit status 1, which means "violation or review"
            click.echo("", err=True)
            fail("已中断 / interrupted (Ctrl-C); nothing more was written")
        except OSError as error:  # unreadable or unwritable path, full disk, read-only file system
            where = f"{error.filename}: " if error.filename else ""
            fail(f"{where}路径不可读写或磁盘已满 / {error.strerror or error}; check the path, its permissions and "
                 "the free space")
        except Exception as error:  # noqa: BLE001 - a bug: one line, exit 2, the traceback with -v
            log.debug("internal error", exc_info=True)
            first = str(error).strip().splitlines()[0][:300] if str(error).strip() else ""
            fail(f"内部错误，未完成检查 / internal error ({type(error).__name__}: {first}); nothing was checked, "
                 "please report it")


@click.group(cls=RedlineGroup)
@click.option("-v", "--verbose", count=True, help="More log output on stderr.")
@click.option("-q", "--quiet", is_flag=True, help="Only errors on stderr.")
@click.version_option(package_name="redline")
@click.pass_context
def main(ctx, verbose: int, quiet: bool) -> None:
    """redline: check project boundaries against protected layers (red line, farmland, coast, sea, …)."""
    level = logging.ERROR if quiet else (logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    warnings.simplefilter("ignore", RedlineWarning)  # corrections come back in the project and are told by tell()
    ctx.obj = {"quiet": quiet}


def fail(error: Exception | str):
    """One line on stderr (parameters named as this CLI spells them) and exit status 2."""
    text = spelled(str(error).strip(), cli_spelling)
    click.echo(f"redline: {text.splitlines()[0] if text else repr(error)}", err=True)
    sys.exit(EXIT_ERROR)


def tell(ctx, corrections) -> None:
    """Each correction made reading an input, one line on stderr (none with -q)."""
    if not ctx.find_root().obj.get("quiet"):
        for note in corrections:
            click.echo(f"redline: 注意 / note: {note['where']}: {note['zh']} / {note['en']}", err=True)


def parameter_option(parameter: Parameter, help: str | None = None):
    """The click option of a library parameter: ``--search-m`` for ``search_m``, typed and bounded as declared."""
    example = f" (e.g. {parameter.example})" if parameter.example else ""
    settings: dict = {"help": help or f"{parameter.help}{example}."}
    if parameter.kind is bool:
        settings["is_flag"] = True
    elif parameter.choices:
        settings["type"] = click.Choice(parameter.choices)
    elif parameter.kind is int:
        settings["type"] = click.IntRange(parameter.minimum, parameter.maximum)
    elif parameter.kind is float:
        settings["type"] = click.FloatRange(parameter.minimum, parameter.maximum)
    if parameter.default is not None and parameter.kind is not bool:
        settings.update(default=parameter.default, show_default=True)
    return click.option(parameter.flag, parameter.name, **settings)


def _grouped(keyword: str, options: dict, made=dict):
    """A decorator adding ``options`` (keyword → click option) to a command, which receives their values as one
    ``keyword``: ``made`` of the dict of them."""
    def decorate(command):
        @functools.wraps(command)
        def with_group(*args, **kwargs):
            return command(*args, **{keyword: made({name: kwargs.pop(name) for name in options})}, **kwargs)
        for option in reversed(options.values()):
            with_group = option(with_group)
        return with_group
    return decorate


def reading(*names: str, **helps: str):
    """Add the reading options ``names`` (``redline.parameters.READING``) to a command, which receives those given
    as one ``reading`` dict of ``read_project`` keywords; ``helps`` replaces a parameter's help for this command."""
    return _grouped("reading", {name: parameter_option(PARAMETERS[name], helps.get(name)) for name in names},
                    lambda given: {name: value for name, value in given.items() if value})


declarations = _grouped("options", {p.name: parameter_option(p) for p in DECLARATIONS}, lambda given: Options(**given))
"""Add the applicant's declarations (``redline.parameters.DECLARATIONS``) to a command, which receives them as one
``options`` (``Options``)."""
particulars = _grouped("document", {p.name: parameter_option(p) for p in PARTICULARS})
"""Add the documents' particulars (``redline.parameters.PARTICULARS``) to a command, which receives them as one
``document`` dict (``review_files``' keywords)."""


def document_paths(*kinds: str):
    """Add an option per review file ``kinds`` (``redline.report.documents.DOCUMENTS``: ``--pdf``, ``--sheet``, …) to a
    command, which receives ``documents``: kind → path (None when not asked for)."""
    options = {f"{kind}_path": click.option(f"--{DOCUMENTS[kind].name}", f"{kind}_path", type=click.Path(dir_okay=False),
                                            help=f"Write {DOCUMENTS[kind].en} here.") for kind in kinds}
    return _grouped("documents", options, lambda given: {name.removesuffix("_path"): path for name, path in given.items()})


time_limit_option = click.option("--time-limit", type=click.FloatRange(min=0.1), default=Limits.seconds, show_default=True,
                                 help="Seconds one input may take to read and check; it is stopped after that (exit 2).")
manifest_option = click.option("-l", "--layers", "manifest", type=click.Path(dir_okay=False), default=str(DEFAULT_MANIFEST),
                               show_default="the shipped Tianjin demo manifest", help="Layer manifest (TOML).")
overwrite_option = parameter_option(PARAMETERS["overwrite"])
lang_option = functools.partial(click.option, "--lang", type=click.Choice(["zh", "en"]))
