"""How long the policy projection takes: 5 options × 10,000 draws × 12 months (target < 1 s).

    .venv/bin/python benchmarks/policy_speed.py [--draws 10000] [--months 12] [--repeat 5]

The funnel is estimated once from the demo company (not timed); then `project` (the Monte Carlo,
luck included) and `sensitivity_frame` (the tornado) are timed, best of `--repeat` runs. Prints
the times; it is not a test.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

from socialroi.demo import generate
from socialroi.policy.funnel import estimate_funnel
from socialroi.policy.options import default_options
from socialroi.policy.projected import calibrate, project, sensitivity_frame, summary_frame


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--draws", type=int, default=10_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    company = generate()
    funnel = estimate_funnel(company.tables, as_of=company.as_of)
    options = [calibrate(o, funnel) for o in default_options().values()]
    project(funnel, options, months=args.months, draws=100, seed=0)  # warm up

    def best(fn: object) -> float:
        times = []
        for i in range(args.repeat):
            t0 = time.perf_counter()
            fn(i)  # type: ignore[operator]
            times.append(time.perf_counter() - t0)
        return min(times)

    sim = best(lambda i: project(funnel, options, months=args.months, draws=args.draws, seed=i))
    summ = best(
        lambda i: summary_frame(
            project(funnel, options, months=args.months, draws=args.draws, seed=i)
        )
    )
    tornado = best(lambda i: sensitivity_frame(funnel, options, months=args.months))
    cells = len(options) * args.draws * args.months
    print(
        f"{len(options)} options × {args.draws:,} draws × {args.months} months "
        f"({cells:,} option-draw-months)"
    )
    print(f"  project:               {sim:.3f} s (target < 1 s)")
    print(f"  project + summary:     {summ:.3f} s")
    print(f"  sensitivity (tornado): {tornado:.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
