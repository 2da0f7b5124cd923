"""Our knowledge is written in our own words: no ten-word run of the clinic's article is repeated."""

from __future__ import annotations

import re

import pytest

from assistant.settings import ROOT

SEED = ROOT.parent / "shared" / "seed"


def words(text: str) -> list[str]:
    return re.findall(r"[a-z']+", text.lower().replace("\u2019", "'").replace("\u2018", "'"))


@pytest.mark.skipif(
    not SEED.is_dir(), reason="the clinic's article (shared/seed) is not beside this checkout"
)
def test_no_ten_word_run_of_the_article_is_copied() -> None:
    seed = words(" ".join(p.read_text(errors="ignore") for p in SEED.iterdir() if p.is_file()))
    runs = {" ".join(seed[i : i + 10]) for i in range(len(seed) - 9)}
    copied = {}
    for path in (ROOT / "knowledge").rglob("*"):
        if path.is_file():
            w = words(path.read_text(errors="ignore"))
            hits = [" ".join(w[i : i + 10]) for i in range(len(w) - 9) if " ".join(w[i : i + 10]) in runs]
            if hits:
                copied[str(path.relative_to(ROOT))] = hits[0]
    assert copied == {}
