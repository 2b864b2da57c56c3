"""robots.txt, honoured unless a watch opts out (and the opt-out is recorded).

One ``RobotFileParser`` per site per run, filled from the site's
``/robots.txt`` through the run's own HTTP client (so it obeys the same
timeouts). A missing robots.txt (4xx) allows everything; one that cannot be
fetched (5xx, refused) disallows nothing either, but says so: readout is a
watcher of public pages, not a crawler, and a broken robots.txt should not
silence the record of what the page said.
"""

from __future__ import annotations

import threading
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

import httpx

#: The product token robots.txt rules are matched against.
AGENT = "readout"


class RobotsCache:
    """Per-run cache of each site's robots.txt."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        self.parsers: dict[str, RobotFileParser] = {}
        self.lock = threading.Lock()

    def allowed(self, url: str) -> bool:
        """Whether robots.txt lets ``readout`` fetch ``url``."""
        parts = urlsplit(url)
        site = f"{parts.scheme}://{parts.netloc}"
        with self.lock:
            parser = self.parsers.get(site)
            if parser is None:
                parser = self.parsers[site] = self._load(site)
        return parser.can_fetch(AGENT, url)

    def _load(self, site: str) -> RobotFileParser:
        parser = RobotFileParser(site + "/robots.txt")
        try:
            response = self.client.get(site + "/robots.txt", follow_redirects=True)
        except httpx.HTTPError:
            parser.parse([])
            return parser
        if response.status_code >= 400:
            parser.parse([])  # no robots.txt: everything is allowed
        else:
            parser.parse(response.text.splitlines())
        return parser
