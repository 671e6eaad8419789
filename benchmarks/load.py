"""An open-loop, constant-rate HTTP load generator (asyncio + httpx): wrk2 is not packaged here.

Open loop: request ``i`` is *due* at ``start + i / rate`` whether or not earlier ones have
answered, and its latency is counted from when it was due, so a slow server cannot hide its
queue (no coordinated omission).  Every run is bounded: requests still open ``timeout`` seconds
after they were sent count as timed out, and the run ends by itself.

    python benchmarks/load.py URL --rate 200 --seconds 20 [--method POST --json BODY --header 'K: V']

Run it pinned to one core (``taskset -c 0``) with the server on the other; prints one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time

import httpx
import numpy as np

__all__ = ["run"]


async def _run(url: str, method: str, headers: dict, body, rate: float, seconds: float, timeout: float,
               connections: int) -> dict:
    n = max(1, int(rate * seconds))
    latency = np.full(n, np.nan)
    status = np.zeros(n, dtype=int)
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    payload = json.dumps(body).encode() if body is not None else None
    hdrs = {**headers, **({"content-type": "application/json"} if payload else {})}
    async with httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(timeout, pool=timeout)) as client:
        start = time.perf_counter() + 0.1

        slots = asyncio.Semaphore(connections)  # httpx's pool degrades with thousands of waiters: queue here

        async def one(i: int) -> None:
            due = start + i / rate
            try:
                async with slots:
                    r = await client.request(method, url, content=payload, headers=hdrs)
                status[i] = r.status_code
            except httpx.TimeoutException:
                status[i] = -1
            except httpx.HTTPError:
                status[i] = -2
            latency[i] = time.perf_counter() - due

        tasks = []
        for i in range(n):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.ensure_future(one(i)))
        sent_by = time.perf_counter() - start
        _, pending = await asyncio.wait(tasks, timeout=max(1.0, seconds + timeout - sent_by))
        for t in pending:  # bounded: whatever is still open at the end counts as timed out
            t.cancel()
        status[status == 0] = -1
        wall = time.perf_counter() - start
    ok = status == 200

    def pct(mask, q):
        return round(float(np.nanpercentile(latency[mask], q)) * 1000, 2) if mask.any() else None

    answered = status > 0
    return {"offered_rate": rate, "seconds": seconds, "requests": n, "offered_achieved": round(n / sent_by, 1),
            "achieved_rate": round(int(ok.sum()) / wall, 1), "ok": int(ok.sum()), "status_503": int((status == 503).sum()),
            "timeouts": int((status == -1).sum()), "errors": int(((status == -2) | ((status > 0) & ~ok & (status != 503))).sum()),
            "p50_ms": pct(ok, 50), "p99_ms": pct(ok, 99), "max_ms": pct(ok, 100),
            "all_answers_p99_ms": pct(answered, 99), "load_avg_after": round(os.getloadavg()[0], 2)}


def run(url: str, *, method: str = "GET", headers: dict | None = None, body=None, rate: float = 200, seconds: float = 20,
        timeout: float = 10, connections: int = 128) -> dict:
    return asyncio.run(_run(url, method, headers or {}, body, rate, seconds, timeout, connections))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("--method", default="GET")
    ap.add_argument("--json", default=None)
    ap.add_argument("--header", action="append", default=[])
    ap.add_argument("--rate", type=float, default=200)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--timeout", type=float, default=10)
    a = ap.parse_args()
    headers = dict(h.split(": ", 1) for h in a.header)
    print(json.dumps(run(a.url, method=a.method, headers=headers, body=json.loads(a.json) if a.json else None,
                         rate=a.rate, seconds=a.seconds, timeout=a.timeout)))


if __name__ == "__main__":
    main()
