"""Page builders shared by the tests (written for this project, in its own words)."""

from __future__ import annotations

import random
from importlib import resources
from pathlib import Path

DATA = Path(__file__).parent / "data"

_SIDEBAR = [
    "Weather service warns of storms",
    "Ministry publishes annual report",
    "New rail line opens in the north",
    "Museum night draws record crowds",
    "Parliament debates the budget",
]


def sample_page(name: str) -> bytes:
    """A page shipped with the package (the demo's sample readout)."""
    return (resources.files("archive") / "sample" / name).read_bytes()


def article_paragraphs(topic: str = "talks", count: int = 8) -> list[str]:
    """Deterministic article paragraphs about ``topic``."""
    return [
        f"Paragraph {i + 1} on the {topic}: officials described the state of the {topic} "
        f"and the next steps agreed by both delegations during meeting number {i + 1}."
        for i in range(count)
    ]


def noisy_page(
    seed: int,
    topic: str = "talks",
    paragraphs: list[str] | None = None,
    extra_head: str = "",
) -> bytes:
    """An official-looking page whose noise (clock, counter, token, sidebar) depends on ``seed``.

    The main text depends only on ``topic``/``paragraphs``, so two seeds give the
    same substantive content re-rendered with different noise and markup.
    """
    rng = random.Random(seed)
    side = _SIDEBAR[:]
    rng.shuffle(side)
    paras = paragraphs or article_paragraphs(topic)
    spacing = " " * rng.randint(0, 3)
    body = "\n".join(f"<p>{spacing}{p}{spacing}</p>" for p in paras)
    clock = f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}"
    token = f"{rng.getrandbits(128):032x}"
    links = "".join(f"<li><a href='/n/{i}'>{s}</a></li>" for i, s in enumerate(side))
    html = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Meeting on the {topic}</title>
<meta property="article:published_time" content="2025-06-04T12:00:00+03:00">{extra_head}
<script>var t = {rng.random()};</script></head>
<body>
<header><nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li>
<li><a href="/events">Events</a></li></ul></nav>
<form action="/search"><input type="hidden" name="csrf" value="{token}">
<input name="q"><button>Search</button></form></header>
<main><article>
<h1>Meeting on the {topic}</h1>
<p class="byline"><time datetime="2025-06-04">4 June 2025</time></p>
{body}
</article></main>
<aside><h2>Most read</h2><ul>{links}</ul></aside>
<footer><p>Page generated at {clock}</p><p>Views: {rng.randint(100, 99999)}</p></footer>
</body></html>"""
    return html.encode("utf-8")
