"""The import smoke test: the runtime's CPython imports modules with only the layers on the path.

One interpreter per function (not per module) keeps it fast. The interpreter runs isolated
(``-I``: no user site, no PYTHON* variables, no script folder on the path), without the
interpreter's own site-packages (``-S``: a Lambda runtime has none of the host's packages),
and never writes bytecode into a layer (``-B`` and ``PYTHONDONTWRITEBYTECODE``). It runs in
a scratch folder that is also its HOME and TMPDIR, so a package that writes a cache at import
does not write into the layer or the user's home either.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Sequence

IMPORT_TEST_VERSION = 2
DEFAULT_TIMEOUT = 300.0

_SCRIPT = r"""
import json, os, sys
request = json.loads(sys.stdin.read())
sys.path[:0] = request["paths"]
report = os.fdopen(os.dup(1), "w")
os.dup2(2, 1)
for name in request["modules"]:
    report.write(json.dumps({"start": name}) + "\n")
    report.flush()
    try:
        __import__(name)
        result = {"ok": name}
    except BaseException as exc:
        error, missing, cause, seen = "%s: %s" % (type(exc).__name__, exc), None, exc, 0
        while cause is not None and seen < 5:
            if isinstance(cause, ImportError) and cause.name and missing is None:
                missing = cause.name
                if cause is not exc:
                    error += " (caused by %s: %s)" % (type(cause).__name__, cause)
            cause, seen = cause.__cause__ or cause.__context__, seen + 1
        result = {"failed": name, "error": error, "missing": missing}
    report.write(json.dumps(result) + "\n")
    report.flush()
"""


@dataclass(frozen=True)
class ImportFailure:
    module: str
    error: str  # "ModuleNotFoundError: No module named 'numpy'", on one line
    missing: Optional[str] = None  # the module Python could not find, when it says

    def to_json(self) -> dict[str, Any]:
        return {"module": self.module, "error": self.error, "missing": self.missing}

    @classmethod
    def from_json(cls, data: Any) -> "ImportFailure":
        missing = data.get("missing")
        return cls(str(data["module"]), str(data["error"]), str(missing) if missing else None)


def import_modules(python: Path, paths: Sequence[Path], modules: Sequence[str],
                   timeout: float = DEFAULT_TIMEOUT) -> list[ImportFailure]:
    """Import every module in one interpreter; a crash is a failure of the module being imported,
    and the rest are imported by a fresh interpreter."""
    failures: list[ImportFailure] = []
    remaining = list(modules)
    with tempfile.TemporaryDirectory(prefix="sam-layers-import-") as scratch:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": scratch,
            "TMPDIR": scratch,
            "LANG": "C.UTF-8",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        while remaining:
            request = {"paths": [os.path.abspath(p) for p in paths], "modules": remaining}
            try:
                proc = subprocess.run(
                    [str(python), "-I", "-S", "-B", "-c", _SCRIPT], input=json.dumps(request),
                    capture_output=True, text=True, cwd=scratch, env=env, timeout=timeout)
                stdout, stderr, code = proc.stdout, proc.stderr, proc.returncode
                crash = f"the interpreter exited with code {code}"
            except subprocess.TimeoutExpired as exc:
                stdout = _text(exc.stdout)
                stderr = _text(exc.stderr)
                crash = f"no result after {timeout:.0f} s"
            done, started = _parse(stdout, failures)
            if started is None or started in done:
                break
            tail = " ".join(stderr.strip().splitlines()[-2:])
            failures.append(ImportFailure(started, f"{crash} while importing it"
                                          + (f": {tail}" if tail else "")))
            remaining = remaining[remaining.index(started) + 1:]
    return failures


def _text(data: Any) -> str:
    if isinstance(data, bytes):
        return data.decode("utf-8", "replace")
    return data if isinstance(data, str) else ""


def _parse(stdout: str, failures: list[ImportFailure]) -> tuple[set[str], Optional[str]]:
    done: set[str] = set()
    started: Optional[str] = None
    for line in stdout.splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if "start" in event:
            started = str(event["start"])
        elif "ok" in event:
            done.add(str(event["ok"]))
        elif "failed" in event:
            done.add(str(event["failed"]))
            error = " ".join(str(event["error"]).split())
            failures.append(ImportFailure(str(event["failed"]), error, event.get("missing")))
    return done, started
