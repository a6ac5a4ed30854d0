"""The harness itself: every corpus template translates offline, with and without Metadata.SamLayers added.

If this fails, the corpus test's failures say nothing about the transform.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.version import Version

from tests.support import corpus, samcheck

FILES = corpus.corpus_files()
BASELINE = Version("1.110.0")  # the corpus README: all 544 translate with this one
WEB = {"Groups": {"Web": {"Packages": ["requests>=2.32"]}}, "Default": ["Web"]}

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not FILES, reason=f"no corpus at {corpus.CORPUS_DIR}"),
]


def test_corpus_is_complete() -> None:
    assert len(FILES) == 544


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_translates_offline(path: Path, tmp_path: Path) -> None:
    region = corpus.region_for(path)
    try:
        plain = samcheck.translate(samcheck.load_sam(path), base_dir=path.parent, region=region)
    except samcheck.TranslationFailed as exc:
        if samcheck.translator_version() < BASELINE:
            # Python 3.9 gets at most 1.107: newer SAM features are unknown to it.
            pytest.xfail(f"aws-sam-translator {samcheck.translator_version()} predates the corpus "
                         f"baseline {BASELINE}: {exc.messages}")
        raise
    copy = tmp_path / path.name
    corpus.add_sam_layers(path, copy, WEB)
    # base_dir: the copy stands for the original, so its local paths get the original's placeholders.
    added = samcheck.translate(samcheck.load_sam(copy), base_dir=path.parent, region=region)
    # The Metadata and Transform lines change nothing else: the corpus test's "before" is honest.
    assert added.pop("Metadata") == {**plain.pop("Metadata", {}), "SamLayers": WEB}
    assert samcheck.canonical(added) == samcheck.canonical(plain)
