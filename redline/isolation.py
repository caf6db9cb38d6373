"""Run untrusted work in a child process that a crash, a runaway query or a memory blow-up costs alone.

``isolated(function, *args, limits=…)`` (or ``started(…)``, then ``.result()`` when the answer is needed) forks a
child that inherits everything loaded (layers, caches), caps its address space (``RLIMIT_AS``: what it may allocate
beyond what it inherited), asks the kernel to kill it when its parent dies (``PR_SET_PDEATHSIG``), runs the function
and hands back its result or its exception through a pipe. The parent waits at most ``limits.seconds`` and then kills
the child: a GeoPackage whose layer is an endless SQL view, or a WKB that overflows GEOS's stack, ends as that input's
``RedlineError``, and the next input is checked as if nothing had happened. Fork only from a single-threaded process
(the CLI, a batch worker, a service check process): a thread holding a lock at fork time would leave the child stuck."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import pickle
import re
import resource
import select
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from redline.errors import InputError, LimitError, RedlineError

PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class Limits:
    """Wall-clock seconds and memory (bytes beyond what the parent holds) one input may take."""

    seconds: float = 60.0
    memory_bytes: int = 2 * 1024 ** 3


class TimeLimitError(LimitError):
    """An input took longer than its time limit; the work was killed."""


class CrashError(InputError):
    """The process reading or checking an input died (a crash in a native library, or memory exhausted)."""


_LIBC = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True) if sys.platform.startswith("linux") else None


def die_with_parent(parent: int) -> None:
    """Have the kernel kill this process when ``parent``, the process that forked it, dies (Linux); if ``parent``
    died before this call took effect (the window between the fork and here), exit now."""
    if _LIBC is not None:
        _LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)


def isolated(function, *args, limits: Limits = Limits(), label: str = "the input", **kwargs):
    """``function(*args, **kwargs)`` in a forked child held to ``limits``; its result, or its exception raised here.

    A child killed for time is ``TimeLimitError``; one that died (signal, memory) is ``CrashError``; an exception
    that is not a ``RedlineError`` comes back as ``CrashError`` with its first line (a bug, or an input no
    library should have accepted).
    """
    return started(function, *args, limits=limits, label=label, **kwargs).result()


def started(function, *args, limits: Limits = Limits(), label: str = "the input", **kwargs) -> Child:
    """``isolated``, with this process free to work until it asks for the ``Child``'s result (its time limit runs
    from now)."""
    parent = os.getpid()
    scratch = scratch_folder("child")
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(reader)
        tempfile.tempdir = scratch  # whatever the child extracts lands here, and the parent removes it
        os.environ["TMPDIR"] = os.environ["CPL_TMPDIR"] = scratch
        _run_child(writer, parent, limits, function, args, kwargs)
    os.close(writer)
    return Child(pid, reader, scratch, time.monotonic() + limits.seconds, limits, label)


@dataclass
class Child:
    """A child process started by ``started``: ``result()`` waits for its answer (until its deadline)."""

    pid: int
    reader: int
    scratch: str
    deadline: float
    limits: Limits
    label: str

    def result(self):
        """The function's result, or its exception raised here (see ``isolated``); called once."""
        limits, label = self.limits, self.label
        try:
            try:
                data = _read_until(self.reader, self.deadline)
            finally:
                os.close(self.reader)
            if data is None:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
                raise TimeLimitError(f"{label}: 检查超过 {limits.seconds:g} 秒，已终止 / took over {limits.seconds:g} s to "
                                     "read and check; the work was stopped")
            _, status = os.waitpid(self.pid, 0)
        finally:
            shutil.rmtree(self.scratch, ignore_errors=True)  # the child's files, whatever its fate
        if not data:
            cause = (f"signal {signal.Signals(os.WTERMSIG(status)).name}" if os.WIFSIGNALED(status)
                     else f"exit status {os.WEXITSTATUS(status)}")
            raise CrashError(f"{label}: 读取该文件时进程崩溃，未能检查 / the reader crashed on this file ({cause}; a "
                             f"damaged or hostile file, or over the {limits.memory_bytes / 1024 ** 3:g} GiB memory "
                             "limit); nothing was checked")
        try:
            ok, value = pickle.loads(data)
        except Exception:  # noqa: BLE001 - the child died while writing its answer
            raise CrashError(f"{label}: 检查进程中途退出 / the check process died while answering; nothing was "
                             "checked") from None
        if ok:
            return value
        raise value

    def stop(self) -> None:
        """Kill the child and forget its answer (when what it was started for is abandoned)."""
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        os.close(self.reader)
        shutil.rmtree(self.scratch, ignore_errors=True)


SCRATCH = re.compile(r"^redline-(child|upload|inputs)-(\d+)-")
"""Temporary folders redline makes, named with the process that owns them."""


def scratch_folder(kind: str) -> str:
    """A new temporary folder owned by this process (``redline-<kind>-<pid>-…``): removed by its owner, or by
    ``sweep_scratch`` once the owner is gone (killed with SIGKILL, say)."""
    return tempfile.mkdtemp(prefix=f"redline-{kind}-{os.getpid()}-", dir=_TMP)


def sweep_scratch() -> int:
    """Remove the temporary folders of redline processes that no longer run; how many were removed."""
    removed = 0
    for entry in Path(_TMP).iterdir():
        match = SCRATCH.match(entry.name)
        if match and entry.is_dir() and not _alive(int(match.group(2))):
            shutil.rmtree(entry, ignore_errors=True)
            removed += 1
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


_TMP = tempfile.gettempdir()
"""The system's temporary folder, fixed at import (a child points ``tempfile.tempdir`` at its own scratch)."""


def _run_child(writer: int, parent: int, limits: Limits, function, args, kwargs) -> None:
    status = 0
    try:
        die_with_parent(parent)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        ceiling = _address_space_bytes() + limits.memory_bytes
        resource.setrlimit(resource.RLIMIT_AS, (ceiling, ceiling))
        try:
            payload = (True, function(*args, **kwargs))
        except RedlineError as error:
            payload = (False, error)
        except MemoryError:
            payload = (False, LimitError(f"超出内存限制 / the input needs more than the {limits.memory_bytes / 1024 ** 3:g} "
                                         "GiB memory limit; simplify or split it"))
        except RecursionError:
            payload = (False, InputError("文件嵌套过深 / the input nests too deep to read; export it again"))
        except Exception as error:  # noqa: BLE001 - anything else is this input's failure, reported as such
            first = str(error).strip().splitlines()[0] if str(error).strip() else ""
            payload = (False, CrashError(f"未能检查 / could not check: {type(error).__name__}: {first[:300]}"))
        try:
            data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as error:  # noqa: BLE001 - an unpicklable result or exception
            data = pickle.dumps((False, CrashError(f"未能返回结果 / could not hand back the result: {error}")))
        view = memoryview(data)
        while view:
            view = view[os.write(writer, view):]
    except BaseException:  # noqa: BLE001 - the child must never run the parent's code after this point
        status = 1
    finally:
        os._exit(status)


def _read_until(reader: int, deadline: float) -> bytes | None:
    """Everything written to the pipe until it closes, or None if ``deadline`` passes first."""
    chunks = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        ready, _, _ = select.select([reader], [], [], left)
        if not ready:
            return None
        chunk = os.read(reader, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _address_space_bytes() -> int:
    """This process's virtual size now (what the child inherited)."""
    with open("/proc/self/statm") as stream:
        return int(stream.read().split()[0]) * resource.getpagesize()
