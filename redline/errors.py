"""The one tree of exceptions and warnings redline raises.

An exception means "could not check". A project that intrudes on a protected layer is not an error:
it is a finding in the report.
"""

import warnings


class RedlineError(Exception):
    """Base of every error redline raises."""


class InputError(RedlineError, ValueError):
    """A project or layer file cannot be read or fails validation."""


class FormatError(InputError):
    """A file is not in any format redline reads, or is corrupt or hostile."""


class LimitError(InputError):
    """An input is over a configured size limit (bytes, vertices, archive members)."""


class CRSError(InputError):
    """Data has no CRS, or one redline cannot use."""


class GeometryError(InputError):
    """A geometry is empty, invalid, of the wrong type or outside the region."""


class Interrupted(RedlineError):
    """A batch stopped by SIGTERM or Ctrl-C: what it finished is in its journal, and running it again resumes."""


class ManifestError(RedlineError):
    """A layer manifest is malformed, or a layer file does not match its recorded hash."""


class RedlineWarning(UserWarning):
    """Base of redline's warnings."""


class Correction(RedlineWarning):
    """A correction made while reading an input, to be shown wherever the result is: the report's
    ``project.warnings``, the service's answer, the planner's page, the map and stderr.

    ``code`` names the kind (``axes_swapped``, ``ring_closed``, …), ``where`` the file with its line or feature.
    """

    def __init__(self, code: str, where: str, zh: str, en: str):
        super().__init__(code, where, zh, en)
        self.code, self.where, self.zh, self.en = code, where, zh, en

    def __str__(self) -> str:
        return f"{self.where}: {self.zh} / {self.en}"

    def to_dict(self) -> dict:
        return {"code": self.code, "where": self.where, "zh": self.zh, "en": self.en}


def correct(code: str, where: str, zh: str, en: str) -> None:
    """Warn of a correction (``Correction``); ``read_project`` collects them into the project's warnings."""
    warnings.warn(Correction(code, where, zh, en), stacklevel=3)
