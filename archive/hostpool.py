"""Run jobs concurrently with a global limit and a per-host limit.

A plain thread pool with a semaphore per host would park workers on busy
hosts and starve the others; here jobs are only submitted when their host has
a free slot, round-robin across hosts, so one slow site never stalls the rest.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def host_limited_map(
    items: Iterable[T],
    work: Callable[[T], R],
    host_of: Callable[[T], str],
    *,
    concurrency: int,
    per_host: int,
    stop: Callable[[], bool] | None = None,
) -> Iterator[R]:
    """Yield ``work(item)`` for every item as each completes (not in input order).

    Once ``stop()`` is true no new item starts; those in flight finish and are
    yielded, the rest are dropped (a clean shutdown on SIGTERM).
    """
    if concurrency < 1 or per_host < 1:
        raise ValueError("concurrency and per_host must be at least 1")
    queues: dict[str, deque[T]] = {}
    for item in items:
        queues.setdefault(host_of(item), deque()).append(item)
    active: Counter[str] = Counter()
    futures: dict[Future[R], str] = {}
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="readout-fetch") as pool:

        def fill() -> None:
            if stop is not None and stop():
                queues.clear()
                return
            moved = True
            while moved and len(futures) < concurrency:
                moved = False
                for host in list(queues):
                    if len(futures) >= concurrency:
                        return
                    if active[host] < per_host:
                        futures[pool.submit(work, queues[host].popleft())] = host
                        active[host] += 1
                        moved = True
                        if not queues[host]:
                            del queues[host]

        try:
            fill()
            while futures:
                done, _ = wait(futures, return_when=FIRST_COMPLETED)
                for future in done:
                    active[futures.pop(future)] -= 1
                    yield future.result()
                fill()
        finally:
            for future in futures:
                future.cancel()
