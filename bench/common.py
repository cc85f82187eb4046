"""Small helpers shared by the benchmarks."""

from __future__ import annotations

import statistics
import sys
from pathlib import Path
from typing import Sequence

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def describe(values: Sequence[float], unit: str, scale: float = 1.0) -> str:
    return (f"median {statistics.median(values) * scale:.1f} {unit}, p99 {percentile(values, 0.99) * scale:.1f} "
            f"{unit}, max {max(values) * scale:.1f} {unit} (n={len(values)})")
