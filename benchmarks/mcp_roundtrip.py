"""Round-trip time of one probe tool call: in-memory MCP session vs a real stdio subprocess.

Run: .venv/bin/python benchmarks/mcp_roundtrip.py [--calls 50]
The stdio numbers include the shared simulator session (load, catch up, save) that every call of a real IDE
server pays; the in-memory numbers use a SimCluster directly.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import anyio
from mcp import Client, StdioServerParameters

from aoi.cluster.readonly import ReadOnlyView
from aoi.cluster.sim.cluster import SimCluster
from aoi.tools.probe import build_probe_server

CALLS = [("get_alerts", {}), ("get_resources", {"resource_type": "pods"}),
         ("get_metrics", {"target": "frontend", "window_seconds": 60})]


async def measure(client: Client, calls: int) -> dict[str, float]:
    results = {}
    for tool, args in CALLS:
        await client.call_tool(tool, args)  # warm
        samples = []
        for _ in range(calls):
            start = time.perf_counter()
            await client.call_tool(tool, args)
            samples.append((time.perf_counter() - start) * 1000)
        results[tool] = statistics.median(samples)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=50)
    args = parser.parse_args()
    cluster = SimCluster("online-boutique", seed=0)
    server = build_probe_server(ReadOnlyView(cluster), default_namespace=cluster.namespace)

    async def in_memory() -> dict[str, float]:
        async with Client(server) as client:
            return await measure(client, args.calls)

    home = tempfile.mkdtemp(prefix="aoi-bench-")
    params = StdioServerParameters(command=str(Path(sys.executable).parent / "aoi"),
                                   args=["mcp", "probe", "--cluster", "sim:online-boutique"],
                                   env={**os.environ, "AOI_HOME": home})

    async def stdio() -> dict[str, float]:
        async with Client(params) as client:
            return await measure(client, args.calls)

    memory, pipe = anyio.run(in_memory), anyio.run(stdio)
    print(f"median round trip per call over {args.calls} calls (ms)")
    print(f"{'tool':<16}{'in-memory':>12}{'stdio':>12}")
    for tool, _ in CALLS:
        print(f"{tool:<16}{memory[tool]:>12.2f}{pipe[tool]:>12.2f}")


if __name__ == "__main__":
    main()
