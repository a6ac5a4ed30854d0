"""Regenerate the golden outputs: ``make golden`` (then read the diff before committing).

Each folder under ``cases/`` holds one behaviour: ``template.yaml`` (or ``.json``) plus any files
it reads, an optional ``options.json`` (``{"output": "out/template.yaml", "container": true}``),
and what the transform gives: ``expected.<ext>`` (the output, written where ``output`` says),
``expected_warnings.txt``, or ``expected_error.txt`` for bad input (one problem a line).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, Optional

HERE = Path(__file__).resolve().parent
CASES = HERE / "cases"
sys.path.insert(0, str(HERE.parents[1]))

from sam_layers.errors import BadInput  # noqa: E402
from sam_layers.transform import TransformOptions, transform_file  # noqa: E402


def case_template(case: Path) -> Path:
    for name in ("template.yaml", "template.json"):
        if (case / name).exists():
            return case / name
    raise FileNotFoundError(f"{case} has no template")


def case_options(case: Path) -> dict[str, Any]:
    path = case / "options.json"
    return json.loads(path.read_text()) if path.exists() else {}


def expected_output_path(case: Path) -> Path:
    template = case_template(case)
    rel = case_options(case).get("output")
    return case / rel if rel else case / f"expected{template.suffix}"


def run_case(case: Path, template: Optional[Path] = None) -> tuple[Optional[str], str, str]:
    """(output text or None, warnings text, error text) for one case."""
    opts = case_options(case)
    template = template or case_template(case)
    # Messages name files as the user typed them: run from the case folder.
    cwd = os.getcwd()
    os.chdir(case)
    try:
        result = transform_file(Path(os.path.relpath(template, case)),
                                Path(os.path.relpath(expected_output_path(case), case)),
                                TransformOptions(container=bool(opts.get("container"))))
    except BadInput as exc:
        return None, "", "".join(f"{p}\n" for p in exc.problems)
    finally:
        os.chdir(cwd)
    return result.text, "".join(f"{w}\n" for w in result.warnings), ""


def main() -> None:
    for case in sorted(p for p in CASES.iterdir() if p.is_dir()):
        for stale in ("expected_error.txt", "expected_warnings.txt"):
            (case / stale).unlink(missing_ok=True)
        text, warnings, error = run_case(case)
        if error:
            (case / "expected_error.txt").write_text(error)
        else:
            out = expected_output_path(case)
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text or "")
            if warnings:
                (case / "expected_warnings.txt").write_text(warnings)
        print(f"{case.name}: {'error' if error else 'ok'}")


if __name__ == "__main__":
    main()
