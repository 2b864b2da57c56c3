"""Benchmark ``word_diff`` on ~3 MB and ~300 KB texts with 1% of sentences edited.

The baseline, timed in the same run on the same files, is
``git diff --no-index --word-diff=plain``.
"""

from __future__ import annotations

import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from archive.diff import word_diff

WORDS = (
    "the minister said delegation talks agreement ceasefire exchange humanitarian council "
    "meeting government report region budget railway border summit proposal draft memorandum "
    "statement security cooperation economy schedule session negotiation officials president "
    "prisoners bodies transfer pause hotline children commission case claims"
).split()


def make_texts(size: int, seed: int = 7) -> tuple[str, str, int]:
    """An old text of about ``size`` bytes and a new one with 1% of its sentences edited."""
    rng = random.Random(seed)
    paragraphs: list[list[str]] = []
    total = 0
    while total < size:
        para = []
        for _ in range(rng.randint(3, 8)):
            words = [rng.choice(WORDS) for _ in range(rng.randint(8, 25))]
            sentence = " ".join(words).capitalize() + f" {rng.randint(1, 9999)}."
            para.append(sentence)
            total += len(sentence) + 1
        paragraphs.append(para)
    old = "\n".join(" ".join(p) for p in paragraphs) + "\n"
    sentences = [(i, j) for i, p in enumerate(paragraphs) for j in range(len(p))]
    edited = rng.sample(sentences, max(1, len(sentences) // 100))
    for i, j in edited:
        words = paragraphs[i][j].split(" ")
        action = rng.choice(("replace", "delete", "insert"))
        k = rng.randrange(len(words) - 1)
        if action == "replace":
            words[k] = rng.choice(WORDS)
        elif action == "delete":
            del words[k]
        else:
            words.insert(k, rng.choice(WORDS))
        paragraphs[i][j] = " ".join(words)
    new = "\n".join(" ".join(p) for p in paragraphs) + "\n"
    return old, new, len(edited)


def _best(fn: Any, runs: int = 3) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def run() -> dict[str, Any]:
    """Time word_diff and git on both sizes; return figures and ratios."""
    result: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, size in (("3mb", 3_000_000), ("300kb", 300_000)):
            old, new, edits = make_texts(size)
            ops = word_diff(old, new)
            assert "".join(t for k, t in ops if k != "insert") == old
            assert "".join(t for k, t in ops if k != "delete") == new
            a, b = Path(tmp) / f"old-{label}.txt", Path(tmp) / f"new-{label}.txt"
            a.write_text(old)
            b.write_text(new)
            ours = _best(lambda o=old, n=new: word_diff(o, n))
            git = _best(
                lambda a=a, b=b: subprocess.run(
                    ["git", "diff", "--no-index", "--word-diff=plain", str(a), str(b)],
                    stdout=subprocess.DEVNULL,
                    check=False,
                )
            )
            result[f"diff_{label}_s"] = round(ours, 4)
            result[f"git_{label}_s"] = round(git, 4)
            result[f"ratio_{label}_vs_git"] = round(ours / git, 2)
            result[f"sentences_edited_{label}"] = edits
    return result


if __name__ == "__main__":
    for key, value in run().items():
        print(f"{key}: {value}", file=sys.stdout)
