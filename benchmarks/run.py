"""minigrad against PyTorch and JAX on a CPU: the measuring instrument of issue 12.

    python benchmarks/run.py                    # everything (~10 minutes), markdown on stdout
    python benchmarks/run.py --only training    # sections: training busy startup overhead kernels
    python benchmarks/run.py --busy             # the contended-machine section alone
    python benchmarks/run.py --profile medium lstm   # where minigrad's step time goes
    python benchmarks/run.py --profile medium lstm --busy   # ... beside a busy process
    python benchmarks/run.py --profile op add   # where a tiny op's time goes
    python benchmarks/run.py --quick            # a smoke run of every section (the test's)

Ratios are measured in one run with the frameworks alternating round by round, and each is
the median of the per-round ratios (minigrad throughput / peer throughput: above 1, minigrad
is faster), so machine noise hits both sides alike.  PyTorch and JAX are optional: without
them their columns say so.  See benchmarks/README.md for the method and the latest table.
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.dirname(HERE)]  # this checkout's minigrad and nn first

import machine  # noqa: E402
import models  # noqa: E402
import report  # noqa: E402
from peers import version  # noqa: E402

SECTIONS = ("training", "busy", "startup", "overhead", "kernels")
BUSY_CASES = (("medium", "rnn"), ("medium", "lstm"), ("medium", "gru"), ("large", "lstm"))


def header() -> str:
    """Date, machine, versions, load: what a reader needs to weigh the figures."""
    try:
        commit = subprocess.run(["git", "-C", models.ROOT, "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True).stdout.strip() or "?"
    except OSError:
        commit = "?"
    cpu = next((ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo")
                if ln.startswith("model name")), platform.processor()) if os.path.exists(
        "/proc/cpuinfo") else platform.processor()
    threads = "?"
    try:
        import torch

        threads = str(torch.get_num_threads())
    except ImportError:
        pass
    others = machine.others_cpu(1.0)
    busy = "?" if others is None else f"{others:.2f}"
    return (f"# minigrad vs PyTorch and JAX ({datetime.datetime.now():%Y-%m-%d %H:%M})\n\n"
            f"{os.cpu_count()} cores ({cpu}), other processes using {busy} cores at start; "
            f"minigrad {commit}, Python {platform.python_version()}, numpy {version('numpy')},"
            f" numba {version('numba')}, torch {version('torch')} ({threads} threads), "
            f"jax {version('jax')}, jaxlib {version('jaxlib')}.\n")


def run_profile(size: str, cell: str, quick: bool, busy: bool) -> str:
    """``--profile``: both views of minigrad's step (perf beside a spinner with ``--busy``)."""
    import profile_step

    if size == "op":
        return report.profile_report("`a + b` on 2-element tensors (forward only)",
                                     profile_step.cprofile_tiny_add(2000 if quick else 50000),
                                     None, unit="call")
    case = {**models.CASES, **models.QUICK_CASES}[size]
    machine.settle()
    cp = profile_step.cprofile_step(cell, case, steps=3 if quick else 20)
    if quick:
        perf = None
    elif busy:
        from contention import Spinner

        with Spinner():
            perf = profile_step.perf_step(cell, case, seconds=3.0)
    else:
        perf = machine.retried(lambda: profile_step.perf_step(cell, case, seconds=3.0))
    title = f"{size} {cell}" + (" (perf beside one busy process)" if busy else "")
    return report.profile_report(title, cp, perf)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true",
                    help="smoke run: tiny shapes, one round; measures nothing")
    ap.add_argument("--only", nargs="+", choices=SECTIONS, help="sections to run")
    ap.add_argument("--busy", action="store_true", help="the busy-machine section only")
    ap.add_argument("--profile", nargs=2, metavar=("SIZE", "CELL"),
                    help="profile minigrad's step: SIZE small|medium|large, CELL rnn|lstm|gru "
                         "(with --busy: beside a busy process); 'op add': the tiny op")
    ap.add_argument("--sizes", nargs="+", choices=list(models.CASES),
                    help="training and busy sizes to run (default all)")
    ap.add_argument("--cells", nargs="+", choices=models.CELLS,
                    help="training and busy cells to run (default all)")
    ap.add_argument("--peers", default="torch,jax", help="comma-separated: torch, jax")
    ap.add_argument("--rounds", type=int, help="rounds per case (default 5; --quick 1)")
    ap.add_argument("--wait-quiet", type=float, metavar="CORES",
                    help="before each case, wait until other processes use <= CORES cores "
                         "(e.g. 0.3 on a shared machine)")
    ap.add_argument("--wait-limit", type=float, default=3600.0, metavar="SECONDS",
                    help="wait at most this long before each case (default an hour)")
    ap.add_argument("--replay", action="store_true",
                    help="minigrad's step replays a recorded loss (mg.autograd.record), the "
                         "counterpart of JAX's compiled step, instead of running eagerly")
    args = ap.parse_args(argv)
    if args.replay:  # read by models.minigrad_step, here and in the worker processes
        os.environ["MINIGRAD_BENCH_REPLAY"] = "1"
    machine.Quiet.max_cores, machine.Quiet.limit = args.wait_quiet, args.wait_limit
    if args.profile:
        size, cell = args.profile
        if size != "op" and (size not in {**models.CASES, **models.QUICK_CASES}
                             or cell not in models.CELLS):
            ap.error(f"--profile SIZE CELL: SIZE in {list(models.CASES)}, CELL in "
                     f"{list(models.CELLS)}; or --profile op add")
        print(run_profile(size, cell, args.quick, args.busy))
        return 0
    sections = ("busy",) if args.busy else tuple(args.only or SECTIONS)
    rounds = args.rounds or (1 if args.quick else 5)
    segment = 0.02 if args.quick else 0.3
    cases = models.QUICK_CASES if args.quick else {
        k: v for k, v in models.CASES.items() if k in (args.sizes or models.CASES)}
    cells = ("rnn",) if args.quick else tuple(args.cells or models.CELLS)
    peers = tuple(p for p in args.peers.split(",") if p)
    machine.settle()
    print(header(), flush=True)
    if args.replay:
        print("\nminigrad's step: a recorded loss replayed (`mg.autograd.record`), not eager.",
              flush=True)
    results, details = {}, []

    if "training" in sections:
        from training import bench_training, gemm_peak

        machine.settle()
        peaks = [gemm_peak()]
        results["training"] = bench_training(cases, cells, peers, rounds, segment, args.quick)
        if "large" in cases:
            import profile_step

            if profile_step.perf_available():
                eff, rows, gflops = {}, [], {}
                for cell in cells:
                    machine.settle()
                    peaks.append(gemm_peak())
                    prof = machine.retried(lambda c=cell: profile_step.perf_step(
                        c, cases["large"], seconds=3.0))
                    share = profile_step.gemm_wall_share(prof)
                    gflops[cell] = models.step_flops(cell, *cases["large"]) / (
                        share * prof["step_s"]) / 1e9
                    rows.append([cell, f"{1e3 * prof['step_s']:.1f}", f"{100 * share:.0f}%",
                                 f"{gflops[cell]:.0f}", report.others(prof)])
                peak = max(peaks)
                for cell, row in zip(cells, rows):
                    eff[cell] = gflops[cell] / peak
                    row.append(f"**{100 * eff[cell]:.0f}%**")
                results["gemm_efficiency"] = eff
                details.append(report.table(
                    "Large: the step's GEMMs against numpy's GEMM peak (perf)",
                    ["cell", "step ms (worker, under perf)", "share of the step in BLAS",
                     "GEMM GFLOP/s", "others' CPU", "% of peak"], rows)
                    + "\nThe share is the main thread's samples inside OpenBLAS (computing or "
                    "waiting for its helper thread); GEMM GFLOP/s = the step's GEMM FLOPs / "
                    "(share x step time).\n")
        peak = max(peaks)
        details.insert(0, report.training_table(results["training"], peak) + (
            f"\nnumpy float32 GEMM peak (1024^3, default threads, best of {len(peaks)} "
            f"measurements spread over the section: {', '.join(f'{p:.0f}' for p in peaks)}): "
            f"{peak:.0f} GFLOP/s. GFLOP/s counts the step's GEMM FLOPs over the whole step.\n"))
    if "busy" in sections:
        from contention import busy_case

        todo = [("tiny", "rnn")] if args.quick else [
            (s, c) for s, c in BUSY_CASES if s in cases and c in cells]
        results["busy"] = {f"{s} {c}": machine.retried(
            lambda s=s, c=c: busy_case(cases[s], c, rounds, segment)) for s, c in todo}
        details.append(report.busy_table(results["busy"]))
    if "startup" in sections:
        from startup import bench_startup

        results["startup"] = bench_startup(models.CELLS, "medium", args.quick)
        details.append(report.startup_table(results["startup"]))
    if "overhead" in sections:
        from overhead import bench_overhead

        results["overhead"] = bench_overhead(args.quick)
        details.append(report.overhead_table(results["overhead"]))
    if "kernels" in sections:
        from kernels import bench_kernels

        details.append(report.kernels_table(bench_kernels(args.quick)))
    print(report.targets(results))
    print("\n".join(details))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"1-minute load average at the end: {load:.2f}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
