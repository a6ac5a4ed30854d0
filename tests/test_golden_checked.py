"""Every golden output is what AWS would accept: it translates offline and cfn-lint finds no new errors."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Dict, List

import pytest

from tests.golden.regenerate import CASES, case_template, expected_output_path
from tests.support import samcheck

CASE_DIRS = sorted(p for p in CASES.iterdir() if p.is_dir() and not p.name.startswith("error_"))

pytestmark = pytest.mark.integration

# Problems the transform's owner has been told about; strict, so a fix shows up as XPASS.
KNOWN: Dict[str, Dict[str, str]] = {"translates": {}, "lints": {}}

# SAM's generated logical ids end in a hash of their properties (Versions, LayerVersions): a layer
# added to a function changes it, the finding stays the same.
_HASH_SUFFIX = re.compile(r"([A-Za-z][A-Za-z0-9]*?)[0-9a-f]{10}\b")


def _params(check: str) -> List[Any]:
    known = KNOWN[check]
    return [
        pytest.param(c, id=c.name, marks=[pytest.mark.xfail(reason=known[c.name], strict=True)] if c.name in known else [])
        for c in CASE_DIRS
    ]


def _findings(template: Path) -> List[str]:
    return sorted(_HASH_SUFFIX.sub(r"\1", finding) for finding in samcheck.lint(template))


@pytest.mark.parametrize("case", _params("translates"))
def test_golden_output_translates(case: Path) -> None:
    template = case_template(case)
    output = expected_output_path(case)
    assert output.exists(), f"{output} is missing"
    try:
        samcheck.translate(samcheck.load_sam(template), base_dir=template.parent)
    except samcheck.TranslationFailed as exc:
        # e.g. AWS::LanguageExtensions' Fn::ForEach, which CloudFormation expands before SAM runs.
        pytest.skip(f"the input does not translate either: {exc.messages}")
    samcheck.translate(samcheck.load_sam(output), base_dir=output.parent)


@pytest.mark.parametrize("case", _params("lints"))
def test_golden_output_lints_no_worse(case: Path) -> None:
    template = case_template(case)
    output = expected_output_path(case)
    assert output.exists(), f"{output} is missing"
    transform = samcheck.load_sam(template).get("Transform")
    if "AWS::Serverless-2016-10-31" not in (transform if isinstance(transform, list) else [transform]):
        pytest.skip("no SAM Transform: cfn-lint does not translate it, every SAM type is an E3038")
    before = _findings(template)
    after = _findings(output)
    assert [f for f in after if f not in before] == []
