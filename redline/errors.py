"""The one tree of exceptions and warnings redline raises.

An exception means "could not check". A project that intrudes on a protected layer is not an error:
it is a finding in the report.
"""


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


class ManifestError(RedlineError):
    """A layer manifest is malformed, or a layer file does not match its recorded hash."""


class RedlineWarning(UserWarning):
    """Base of redline's warnings."""
