"""Runs every benchmark, or the ones named:

    python -m bench [on_event] [latency] [print_duration] [apprise_cost] [outbox_cost] [media_cost]
"""

from __future__ import annotations

import sys

from bench import apprise_cost, latency, media_cost, on_event, outbox_cost, print_duration

BENCHMARKS = {
    "on_event": on_event.main,
    "latency": latency.main,
    "print_duration": print_duration.main,
    "apprise_cost": apprise_cost.main,
    "outbox_cost": outbox_cost.main,
    "media_cost": media_cost.main,
}


def main(names) -> int:
    for name in names or list(BENCHMARKS):
        if name not in BENCHMARKS:
            print(f"unknown benchmark {name!r}; choose from {', '.join(BENCHMARKS)}", file=sys.stderr)
            return 2
        print(f"== {name}", flush=True)
        BENCHMARKS[name]()
        print(flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
