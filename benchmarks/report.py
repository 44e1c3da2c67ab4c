"""Markdown tables: the details of each section, and issue 12's targets with met / missed."""
from __future__ import annotations

from collections.abc import Sequence

MET, MISSED = "met", "**missed**"


def table(title: str, header: Sequence[str], rows: Sequence[Sequence[str]],
          text_columns: int = 1) -> str:
    """A markdown section: the first ``text_columns`` columns left-aligned, the rest right."""
    out = [f"## {title}", "", "| " + " | ".join(header) + " |",
           "|" + "|".join("---" if i < text_columns else "---:" for i in range(len(header)))
           + "|"]
    out += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(out) + "\n"


def x(v: float | None) -> str:
    """A ratio as '1.23x' (or a dash when not measured)."""
    return "-" if v is None else f"{v:.2f}x"


def training_table(res: dict, peak: float | None) -> str:
    """One row per size and cell: throughputs, ratios (>1: minigrad faster), JAX's first call,
    loss agreement, GFLOP/s of the step's GEMM FLOPs over the whole step time."""
    rows = []
    for r in res["rows"]:
        def t(k, r=r):
            return f"{r['tok_s'][k]:,.0f}" if k in r["tok_s"] else res["missing"].get(
                k, r["problems"].get(k, "-"))

        rows.append([r["size"], r["cell"], t("minigrad"), t("torch"), t("jax1"), t("jax2"),
                     f"**{x(r['ratio'].get('torch'))}**",
                     f"**{x(r['ratio'].get('jax'))}** ({r.get('jax_best', '-')})",
                     " / ".join(f"{r['first_call_s'][k]:.1f}" for k in ("jax1", "jax2")
                                if k in r["first_call_s"]) or "-",
                     "-" if r["loss_rel_diff"] is None else f"{r['loss_rel_diff']:.0e}",
                     f"{r['gflops']:.1f}",
                     "-" if peak is None else f"{100 * r['gflops'] / peak:.0f}%",
                     others(r)])
    return table("Training step: tokens/s and minigrad's speed ratio to each peer",
                 ["size", "cell", "minigrad", "torch", "JAX 1 thread", "JAX 2 threads",
                  "vs torch", "vs JAX (best)", "JAX compile s", "loss0 rel. diff",
                  "GFLOP/s", "% GEMM peak", "others' CPU"], rows, text_columns=2)


def others(r: dict) -> str:
    """Cores other processes used during a measurement, and how many attempts it took."""
    if r.get("others_cpu") is None:
        return "-"
    tries = r.get("attempts", 1)
    return f"{r['others_cpu']:.2f}" + (f" ({tries} tries)" if tries > 1 else "")


def _cells(rows: list, key: str) -> tuple[str, bool | None]:
    """'rnn 1.2x / lstm 0.8x / gru 2.0x' and the ratios themselves."""
    return " / ".join(f"{r['cell']} {x(r['ratio'].get(key))}" for r in rows), [
        r["ratio"].get(key) for r in rows]


def _status(values: list, ok) -> str:
    if not values or any(v is None for v in values):
        return "not measured"
    return MET if all(ok(v) for v in values) else MISSED


def targets(results: dict) -> str:
    """One row per issue-12 target: what was measured, and met / missed."""
    rows = []
    train = results.get("training")
    by_size = {}
    for r in (train or {}).get("rows", []):
        by_size.setdefault(r["size"], []).append(r)

    def size_row(label, size, key, ok):
        got = by_size.get(size)
        if not got:
            rows.append([label, "not run", "not measured"])
            return
        figure, values = _cells(got, key)
        missing = (train["missing"].get(key) or train["missing"].get("jax")
                   if key == "jax" else train["missing"].get(key))
        rows.append([label, figure if not missing else f"{key} {missing}",
                     _status(values, ok)])

    size_row("small: ≥ 1.5x JAX, every cell", "small", "jax", lambda v: v >= 1.5)
    size_row("small: ≥ 3x PyTorch, every cell", "small", "torch", lambda v: v >= 3)
    got = by_size.get("medium")
    if got:
        faster = [min((r["ratio"][k] for k in ("torch", "jax") if k in r["ratio"]),
                      default=None) for r in got]
        rows.append(["medium: ≥ 1.2x the faster of PyTorch and JAX, every cell",
                     " / ".join(f"{r['cell']} {x(v)}" for r, v in zip(got, faster)),
                     _status(faster, lambda v: v >= 1.2)])
    else:
        rows.append(["medium: ≥ 1.2x the faster of PyTorch and JAX, every cell", "not run",
                     "not measured"])
    got = by_size.get("large")
    if got:
        both = [min((r["ratio"][k] for k in ("torch", "jax2") if k in r["ratio"]),
                    default=None) if {"torch", "jax2"} <= set(r["ratio"]) else None
                for r in got]
        rows.append(["large: ≥ 1.1x both PyTorch and JAX, every cell, 2 threads",
                     " / ".join(f"{r['cell']} {x(v)}" for r, v in zip(got, both))
                     + " (the slower-for-minigrad peer)", _status(both, lambda v: v >= 1.1)])
    else:
        rows.append(["large: ≥ 1.1x both PyTorch and JAX, every cell, 2 threads", "not run",
                     "not measured"])
    eff = results.get("gemm_efficiency")
    if eff:
        rows.append(["large: the step's GEMMs ≥ 70 % of numpy's GEMM peak",
                     " / ".join(f"{c} {100 * v:.0f}%" for c, v in eff.items()),
                     _status(list(eff.values()), lambda v: v >= 0.7)])
    else:
        rows.append(["large: the step's GEMMs ≥ 70 % of numpy's GEMM peak",
                     "not run (needs perf and the large size)", "not measured"])
    busy = results.get("busy")
    if busy:
        rows.append(["busy machine: throughput ≥ 0.6x quiet",
                     " / ".join(f"{k} {x(v['busy_vs_quiet'])}" for k, v in busy.items()),
                     _status([v["busy_vs_quiet"] for v in busy.values()], lambda v: v >= 0.6)])
        rows.append(["busy machine: never below BLAS on 1 thread",
                     " / ".join(f"{k} {x(v['busy_vs_one_thread'])}" for k, v in busy.items()),
                     _status([v["busy_vs_one_thread"] for v in busy.values()],
                             lambda v: v >= 1.0)])
    else:
        rows += [["busy machine: throughput ≥ 0.6x quiet", "not run", "not measured"],
                 ["busy machine: never below BLAS on 1 thread", "not run", "not measured"]]
    start = results.get("startup")
    cold = (start or {}).get("cold") or {}
    if cold:
        firsts = {c: v["import_s"] + v["first_step_s"] for c, v in cold.items()}
        rows.append(["fresh install: import + first training step ≤ 3 s",
                     " / ".join(f"{c} {v:.1f} s" for c, v in firsts.items()),
                     _status(list(firsts.values()), lambda v: v <= 3.0)])
        said = [ln for v in cold.values() for ln in v["printed"]]
        rows.append(["fresh install: a visible message while kernels compile",
                     f"`{said[0][:60]}`" if said else "nothing printed",
                     MET if said else MISSED])
    else:
        rows += [["fresh install: import + first training step ≤ 3 s",
                  "not run" if not start else "not measured (--quick)", "not measured"],
                 ["fresh install: a visible message while kernels compile",
                  "not run" if not start else "not measured (--quick)", "not measured"]]
    imp = (start or {}).get("import", {}).get("minigrad, nn")
    rows.append(["import minigrad, nn ≤ 0.2 s", "not run" if imp is None else f"{imp:.2f} s",
                 "not measured" if imp is None else (MET if imp <= 0.2 else MISSED)])
    over = results.get("overhead")
    fwd = next((r for r in over or [] if r["op"].endswith("(forward only)")), None)
    if fwd and fwd["ratio"] is not None:
        rows.append(["tiny op forward overhead ≤ PyTorch's",
                     f"{fwd['mg_us']:.1f} µs vs {fwd['torch_us']:.1f} µs "
                     f"(torch time / minigrad {x(fwd['ratio'])})",
                     MET if fwd["ratio"] >= 1.0 else MISSED])
    else:
        rows.append(["tiny op forward overhead ≤ PyTorch's",
                     "not run" if not fwd else "torch not installed", "not measured"])
    return table("Issue 12 targets", ["target", "measured (ratios: minigrad / peer "
                                      "throughput, above 1 = minigrad faster)", "status"], rows,
                 text_columns=3)


def busy_table(busy: dict) -> str:
    """Throughput quiet, busy, busy with BLAS on one thread."""
    return table("Busy machine: one CPU-bound process beside minigrad",
                 ["case", "quiet tok/s", "busy tok/s", "busy, BLAS 1 thread tok/s",
                  "busy / quiet", "busy / (busy, BLAS 1 thread)", "others' CPU (quiet rounds)"],
                 [[k, f"{v['quiet_tok_s']:,.0f}", f"{v['busy_tok_s']:,.0f}",
                   f"{v['busy_one_tok_s']:,.0f}", f"**{x(v['busy_vs_quiet'])}**",
                   f"**{x(v['busy_vs_one_thread'])}**",
                   others(v)]
                  for k, v in busy.items()])


def startup_table(s: dict) -> str:
    """Cold cache (both compile policies) and warm cache first steps, peers' first steps;
    import times of the libraries."""
    out = ""
    if s["cold"]:
        peers = s.get("peers", {})

        def secs(v):
            return "-" if v is None else f"{v:.2f}"

        rows = []
        for cell in s["cold"]:
            runs = [("cold, background compile (default)", s["cold"]),
                    ("cold, MINIGRAD_COMPILE=wait", s.get("cold_wait", {})),
                    ("warm", s["warm"])]
            for label, v in runs:
                if cell not in v:
                    continue
                r = v[cell]
                first = r["import_s"] + r["first_step_s"]
                ratios = " / ".join(
                    f"{m} {x((p[cell]['import_s'] + p[cell]['first_step_s']) / first)}"
                    for m, p in peers.items() if cell in p) or "-"
                rows.append([cell, label, secs(r["import_s"]), secs(r["first_step_s"]),
                             secs(r.get("jitted_after_s")), f"{first:.2f}", ratios])
            for m, p in peers.items():
                if cell in p:
                    rows.append([cell, m, secs(p[cell]["import_s"]),
                                 secs(p[cell]["first_step_s"]), "", secs(
                                     p[cell]["import_s"] + p[cell]["first_step_s"]), ""])
        out += table(f"Fresh process: import and the first {s.get('case', 'medium')} training "
                     "step", ["cell", "run", "import (s)", "first step (s)",
                              "first jitted step ends (s after the first step starts)",
                              "import + first step (s)",
                              "peer's import + first step / minigrad's"],
                     rows, text_columns=2) + "\n"
        cold = s.get("cold_wait") or s["cold"]
        cells = list(cold)
        names = sorted({k for c in cells for k in cold[c].get("kernels", {})},
                       key=lambda k: -max(cold[c].get("kernels", {}).get(k, [0, 0])[1]
                                          for c in cells))
        out += table("Cold cache, MINIGRAD_COMPILE=wait: Numba compilation per kernel in the "
                     "first step (s, and specialisations)", ["kernel", *cells],
                     [[f"`{k}`", *(f"{cold[c]['kernels'][k][1]:.2f} "
                                   f"({cold[c]['kernels'][k][0]})"
                                   if k in cold[c].get("kernels", {}) else "-"
                                   for c in cells)] for k in names]) + (
            "\nA kernel that calls another includes the callee's compilation in its time.\n\n")
    out += table("Import time, fresh process (median)", ["import", "seconds"],
                 [[f"`import {m}`", "not installed" if t is None else f"{t:.2f}"]
                  for m, t in s["import"].items()])
    return out


def overhead_table(rows: list) -> str:
    """Microseconds per tiny op."""
    return table("Per-op overhead on tiny tensors (2 elements)",
                 ["op", "minigrad µs", "torch µs", "torch time / minigrad time"],
                 [[f"`{r['op']}`", f"{r['mg_us']:.1f}",
                   "-" if r["torch_us"] is None else f"{r['torch_us']:.1f}",
                   f"**{x(r['ratio'])}**"] for r in rows])


def kernels_table(rows: list) -> str:
    """Kernel speed-up over its numpy reference."""
    return table("Numba kernels vs their numpy references", ["kernel", "speed-up"],
                 [[r["kernel"], f"{r['speedup']:.1f}x" if r["speedup"] is not None
                   else f"not measured ({r['error']})"] for r in rows])


def profile_report(title: str, cp: dict, perf: dict | None, top: int = 15,
                   unit: str = "step") -> str:
    """The cProfile and perf views of one step (see profile_step.py)."""
    ms = 1e3 if unit == "step" else 1e6
    ms_name = "ms" if unit == "step" else "µs"
    out = [f"## Profile: {title}", "",
           f"One {unit}: {ms * cp['step_s']:.2f} {ms_name} unprofiled (median), "
           f"{ms * cp['profiled_step_s']:.2f} {ms_name} under cProfile.", ""]
    if perf:
        out.append(table(
            f"perf: where the step's time goes ({perf['samples']} samples, step "
            f"{1e3 * perf['step_s']:.2f} ms in the worker; other processes used "
            f"{others(perf)} cores meanwhile)",
            ["group", "main thread (% of step)", "ms per step", "other threads (% of main's)"],
            [[g, f"{100 * perf['main'][g]:.1f}%", f"{1e3 * perf['main'][g] * perf['step_s']:.3f}",
              f"{100 * perf['others'][g]:.1f}%"]
             for g in perf["main"] if perf["main"][g] or perf["others"][g]]))
        out.append(table("perf: top native symbols (all threads, % of main thread's samples)",
                         ["symbol (library)", "share"],
                         [[f"`{s}`", f"{100 * c:.1f}%"] for s, c in perf["top_symbols"]]))
    else:
        out.append("(perf not available: no native breakdown)\n")
    out.append(table(f"cProfile: time of its own (tottime) per source area, per {unit}",
                     ["area", f"{ms_name} per {unit}", "share"],
                     [[a, f"{ms * t:.3f}", f"{100 * t / cp['profiled_step_s']:.0f}%"]
                      for a, t in cp["areas"][:12]]))
    out.append(table(f"cProfile: top {top} functions by tottime, per {unit}",
                     ["function", "area", "calls", f"tottime {ms_name}", f"cumtime {ms_name}"],
                     [[f"`{r['where']}`", r["area"], f"{r['calls']:.0f}",
                       f"{ms * r['tottime']:.3f}", f"{ms * r['cumtime']:.3f}"]
                      for r in cp["top"][:top]], text_columns=2))
    return "\n".join(out)
