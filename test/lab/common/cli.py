# SPDX-License-Identifier: BSD-3-Clause
"""The labs' common command line: `lab.py plan|run|cleanup`. Stdlib only."""
import argparse

from common.netns import cleanup_recorded


def parser(add_plan_options):
    """`plan` and `run` with the lab's plan options (add_plan_options(subparser)) and --out; `run` also with
    --work and --keep-work; `cleanup --work W`. Returns (parser, subparsers) for a lab to add more."""
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("plan", "run"):
        s = sub.add_parser(name)
        add_plan_options(s)
        s.add_argument("--out", required=True)
    sub.choices["run"].add_argument("--work")
    sub.choices["run"].add_argument("--keep-work", action="store_true")
    c = sub.add_parser("cleanup")
    c.add_argument("--work", required=True)
    return ap, sub


def dispatch(a, plan_text, run):
    """Runs the common commands: `plan` writes plan_text(a) to --out, `run` returns run(a), `cleanup`
    undoes what the run in --work recorded. Returns the exit status, None for a lab's own command."""
    if a.cmd == "plan":
        with open(a.out, "w") as f:
            f.write(plan_text(a))
        return 0
    if a.cmd == "run":
        return run(a)
    if a.cmd == "cleanup":
        cleanup_recorded(a.work)
        return 0
    return None
