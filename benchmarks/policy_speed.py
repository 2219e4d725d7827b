"""How long the policy comparison takes on the demo company (target: `policy compare` under ~2 s).

    .venv/bin/python benchmarks/policy_speed.py [--draws 10000] [--months 12] [--repeat 5]

The pipeline is built once from the demo company (not timed). Timed, best of `--repeat` runs:
the funnel; `project` (5 options × draws × months, parameter uncertainty and month-to-month
luck); the tornado; and `compare` end to end (funnel, projection, tornado, summary; without the
observed effects). Prints the times; it is not a test.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence

from socialroi.core.pipeline import Pipeline
from socialroi.demo import generate
from socialroi.policy import compare
from socialroi.policy.funnel import LOOKBACK_DAYS, estimate_funnel
from socialroi.policy.options import default_options
from socialroi.policy.projected import baseline_weights, calibrate, project, sensitivity_frame


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--draws", type=int, default=10_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    company = generate()
    pipeline = Pipeline(company.tables, as_of=company.as_of, lookback_days=LOOKBACK_DAYS)
    funnel = estimate_funnel(pipeline)
    options = [calibrate(o, funnel) for o in default_options().values()]
    weights, _ = baseline_weights(funnel, [o.name for o in options])

    def best(fn: Callable[[int], object]) -> float:
        times = []
        for i in range(args.repeat):
            t0 = time.perf_counter()
            fn(i)
            times.append(time.perf_counter() - t0)
        return min(times)

    m, d = args.months, args.draws
    fun = best(lambda i: estimate_funnel(pipeline))
    sim = best(lambda i: project(funnel, options, months=m, draws=d, seed=i, baseline=weights))
    tornado = best(lambda i: sensitivity_frame(funnel, options, months=m, baseline=weights))
    whole = best(lambda i: compare(pipeline, months=m, draws=d, seed=i, observed=False))
    print(f"{len(options)} options × {d:,} draws × {m} months ({len(options) * d * m:,} cells)")
    print(f"  funnel:                {fun:.3f} s")
    print(f"  project (with luck):   {sim:.3f} s")
    print(f"  sensitivity (tornado): {tornado:.3f} s")
    print(f"  compare, end to end:   {whole:.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
