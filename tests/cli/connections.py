#!/usr/bin/env python3
"""connections.py HOST:PORT N: opens N connections at once, then asks GET /healthz on each; every one must be
served (200) or refused (closed, or never accepted), and at least one served. Exit 1 otherwise."""
import asyncio, resource, sys

resource.setrlimit(resource.RLIMIT_NOFILE, (4096, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
host, port = sys.argv[1].split(":")
n = int(sys.argv[2])


async def one():
    try:
        r, w = await asyncio.open_connection(host, int(port))
        await asyncio.sleep(0.5)  # all open at once
        w.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        await w.drain()
        data = await asyncio.wait_for(r.read(), 30)
        w.close()
        return "served" if data.startswith(b"HTTP/1.1 200") else ("refused" if not data else "other")
    except (ConnectionError, OSError):
        return "refused"


async def main():
    res = await asyncio.gather(*(one() for _ in range(n)))
    counts = {k: res.count(k) for k in set(res)}
    print(counts, file=sys.stderr)
    assert counts.get("served", 0) > 0 and counts.get("served", 0) + counts.get("refused", 0) == n, counts


asyncio.run(main())
