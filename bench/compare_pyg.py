#!/usr/bin/env python3
"""compare_pyg.py — the driver behind bench/compare-pyg: lconv against PyTorch Geometric on the same
data files, alternating the two, at each thread count; prints a table and appends it to
bench/RESULTS.md. Run it through bench/compare-pyg, which makes the virtual environment."""
import argparse
import datetime
import os
import platform
import re
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# case: (data file, our spec, PyG model, PyG hidden widths, dropout, time target, epochs per run, most rounds)
# PyG's message-passing L-conv takes minutes an epoch on the arxiv-like graph: one round of two timed epochs there.
CASES = {
    "cora": ("cora", "gcn:16,relu,dropout:0.5,gcn", "gcn", "16", 0.5, 1 / 5, 20, 99),
    "cora-lconv": ("cora", "lconv:16:p=4,relu,dropout:0.5,lconv:p=4", "lconv", "16", 0.5, 1 / 5, 20, 99),
    "arxiv-like": ("arxiv", "gcn:256,relu,gcn:256,relu,gcn:40", "gcn", "256,256", 0.0, 1 / 2, 2, 99),
    "arxiv-like-lconv": ("arxiv", "lconv:256:p=4,relu,lconv:256:p=4,relu,lconv:40:p=4", "lconv", "256,256",
                         0.0, 1 / 4, 2, 1),
}
# PyG's forms of each model (bench/pyg_epoch.py); the first is its default message passing.
FORMS = {
    "gcn": {"edge_index": "GCNConv(cached=True) on edge_index",
            "sparse": "GCNConv(cached=True) on a torch sparse CSR adjacency (fused SpMM)"},
    "lconv": {"edge_index": "MessagePassing on edge_index, all p generators in one message",
              "edge_index_ckpt": "MessagePassing on edge_index, one propagate per generator, each "
                                 "recomputed in backward (torch.utils.checkpoint)",
              "index_add": "plain torch: one gather of the source rows per layer, one index_add_ per "
                           "generator (no message tensor of all generators, nothing recomputed)",
              "sparse": "MessagePassing.message_and_aggregate: one SpMM per generator on a torch sparse "
                        "CSR whose values are the generator's weights"},
}
RSS_TARGET = 1 / 2


def epochs_of(stderr):
    """Every epoch's time from a run's '# epoch_ms NAME: t1 t2 …' line."""
    for line in stderr.splitlines():
        if line.startswith("# epoch_ms"):
            return [float(t) for t in line.split(":", 1)[1].split()]
    return []


def run(cmd, env):
    """One process; returns (epoch times, peak RSS MiB, params, failure or None)."""
    p = subprocess.run(cmd, env=env, capture_output=True, text=True)
    last = p.stdout.strip().splitlines()[-1].split() if p.stdout.strip() else []
    params = re.search(r"params=(\d+)", p.stderr)
    params = int(params.group(1)) if params else None
    if p.returncode == 3 and last[-1:] == ["oom"]:
        return [], None, params, "out of memory"
    if p.returncode != 0:
        sys.stderr.write(p.stderr)
        raise SystemExit(f"compare-pyg: {' '.join(cmd)} failed with status {p.returncode}")
    return epochs_of(p.stderr), float(last[-1]), params, None


def summary(times):
    return statistics.median(times), min(times), max(times)


def fmt(times):
    if not times:
        return "—"
    med, lo, hi = summary(times)
    return f"{med:,.1f} ({lo:,.1f}–{hi:,.1f})".replace(",", " ")


def versions(py):
    out = subprocess.run([py, "-c", "import torch, torch_geometric, numpy, sys; print(torch.__version__, "
                          "torch_geometric.__version__, numpy.__version__, sys.version.split()[0])"],
                         capture_output=True, text=True, check=True).stdout.split()
    return dict(torch=out[0], pyg=out[1], numpy=out[2], python=out[3])


def machine():
    model = "unknown CPU"
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return f"{model}, {os.cpu_count()} vCPUs, Linux {platform.release()}"


def git_rev():
    try:
        rev = subprocess.run(["git", "-C", HERE, "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", HERE, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True).stdout.strip()
        return rev + (" plus uncommitted changes" if dirty else "")
    except OSError:
        return "unknown"


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--build", default=".", help="the lconv build folder (default: the current one)")
    ap.add_argument("--work", default=None, help="where the data files go (default BUILD/compare-pyg)")
    ap.add_argument("--cases", default=",".join(CASES), help="comma-separated, from: " + ", ".join(CASES))
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--rounds", type=int, default=3, help="processes per side, case and thread count")
    ap.add_argument("--mem-limit-gib", type=float, default=12.0,
                    help="a PyG run needing more than this ends as 'out of memory' (protects the machine)")
    ap.add_argument("--env", default="OMP_WAIT_POLICY=passive",
                    help="environment of both sides' runs (default: OpenMP workers sleep between "
                         "parallel regions instead of spinning, which on a shared machine stalls "
                         "every barrier, ours and torch's alike); empty for none")
    ap.add_argument("--no-append", action="store_true", help="print only; leave bench/RESULTS.md alone")
    args = ap.parse_args()

    gcn_epoch = os.path.join(args.build, "bench", "gcn_epoch")
    if not os.access(gcn_epoch, os.X_OK):
        raise SystemExit(f"compare-pyg: no {gcn_epoch}: run it from a build folder or give --build")
    work = args.work or os.path.join(args.build, "compare-pyg")
    os.makedirs(work, exist_ok=True)
    base = dict(os.environ)
    base.setdefault("LCONV_DATA_DIR", os.path.normpath(os.path.join(HERE, "..", "..", "shared", "data")))
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    threads = [int(t) for t in args.threads.split(",")]
    for c in cases:
        if c not in CASES:
            raise SystemExit(f"compare-pyg: unknown case '{c}'")

    # Each graph is written once by our generator; both sides read that file.
    for name in sorted({CASES[c][0] for c in cases} | {"cora"}):
        path = os.path.join(work, name + ".lcb")
        if not os.path.exists(path):
            print(f"# writing {path}", flush=True)
            subprocess.run([gcn_epoch, "--case", name, "--write", path], env=base, check=True)
    print("# equivalence check (bench/check_pyg.py)", flush=True)
    subprocess.run([sys.executable, "-W", "ignore", os.path.join(HERE, "check_pyg.py"), gcn_epoch,
                    os.path.join(work, "cora.lcb"), work], env=base, check=True)

    load_before = open("/proc/loadavg").read().split()[0]
    started = datetime.datetime.now(datetime.timezone.utc)
    res, failed = {}, {}
    for rnd in range(args.rounds):
        for c in cases:
            data, spec, kind, hidden, dropout, _, reps, most = CASES[c]
            if rnd >= most:
                continue
            path = os.path.join(work, data + ".lcb")
            for t in threads:
                ours_env = dict(base, OMP_NUM_THREADS=str(t))
                for kv in args.env.split():
                    k, v = kv.split("=", 1)
                    base[k] = ours_env[k] = v
                pyg_env = dict(base, OMP_NUM_THREADS=str(t), MKL_NUM_THREADS=str(t))
                fails = failed.setdefault(c, {})  # a form out of memory at one thread count is at all
                r = res.setdefault((c, t), dict(ours=[], ours_rss=0.0, pyg={f: [] for f in FORMS[kind]},
                                                pyg_rss={f: 0.0 for f in FORMS[kind]}, fail=fails, params={}))
                # ours, then PyG's forms, in an order that turns every round
                forms = list(FORMS[kind])[rnd % len(FORMS[kind]):] + list(FORMS[kind])[:rnd % len(FORMS[kind])]
                # ours with its intermediate buffers shared (as PyTorch frees them): the same bits
                tm, rss, params, _ = run([gcn_epoch, "--file", path, "--model", spec, "--threads", str(t),
                                          "--reps", str(reps), "--share-buffers"], ours_env)
                r["ours"] += tm
                r["ours_rss"] = max(r["ours_rss"], rss)
                r["params"]["ours"] = params
                for f in forms:
                    if f in r["fail"]:
                        continue
                    tm, rss, params, fail = run(
                        [sys.executable, "-W", "ignore", os.path.join(HERE, "pyg_epoch.py"), "--file", path,
                         "--model", kind, "--hidden", hidden, "--dropout", str(dropout), "--form", f,
                         "--threads", str(t), "--reps", str(reps), "--mem-limit-gib",
                         str(args.mem_limit_gib)], pyg_env)
                    if fail:
                        r["fail"][f] = fail
                        continue
                    r["pyg"][f] += tm
                    r["pyg_rss"][f] = max(r["pyg_rss"][f], rss)
                    r["params"][f] = params
                print(f"# round {rnd + 1}/{args.rounds} {c} threads {t}: ours {fmt(r['ours'])}; "
                      + "; ".join(f"{f} {fmt(r['pyg'][f]) if f not in r['fail'] else r['fail'][f]}"
                                  for f in FORMS[kind]), flush=True)
    load_after = open("/proc/loadavg").read().split()[0]

    rows = ["| case | threads | ours ms/epoch, median (min–max) | PyG, each form: ms/epoch, median (min–max)"
            " | ours / PyG's fastest | target | time met | peak RSS MiB ours / PyG | RSS ratio | RSS met |",
            "|---|---:|---:|---|---:|---:|---|---:|---:|---|"]
    notes = []
    for (c, t), r in res.items():
        kind = CASES[c][2]
        meds = {f: statistics.median(r["pyg"][f]) for f in FORMS[kind] if r["pyg"][f]}
        if not meds:
            rows.append(f"| {c} | {t} | {fmt(r['ours'])} | every form: out of memory | — | | | | | |")
            continue
        best = min(meds, key=meds.get)
        ratio = statistics.median(r["ours"]) / meds[best]
        rss_ratio = r["ours_rss"] / r["pyg_rss"][best]
        target = CASES[c][5]
        cells = [f"`{f}` " + (fmt(r["pyg"][f]) if f not in r["fail"]
                              else r["fail"][f] + f" (> {args.mem_limit_gib:g} GiB)") for f in FORMS[kind]]
        rows.append(f"| {c} | {t} | {fmt(r['ours'])} | " + "<br>".join(cells) +
                    f" | **{ratio:.3f}** vs `{best}` | ≤ {target:.2f} | {'yes' if ratio <= target else 'no'}"
                    f" | {r['ours_rss']:.0f} / {r['pyg_rss'][best]:.0f} | {rss_ratio:.2f} | "
                    f"{'yes' if rss_ratio <= RSS_TARGET else 'no'} |")
        counts = set(v for v in r["params"].values() if v is not None)
        if len(counts) != 1:
            notes.append(f"{c}: parameter counts differ: {r['params']}")
    table = "\n".join(rows)
    py = versions(sys.executable)
    forms = "; ".join(f"{kind} `{f}`: {name}" for kind in FORMS for f, name in FORMS[kind].items())
    cmd = "bench/compare-pyg " + " ".join(sys.argv[1:])
    text = f"""
**Command:** `{cmd.strip()}` (from the build folder). **Date:** {started:%a %b %d %Y %H:%M} UTC.
**Machine:** {machine()}; 1-minute load average {load_before} before, {load_after} after.
**Versions:** torch {py['torch']} (CPU kernels), torch_geometric {py['pyg']}, numpy {py['numpy']},
Python {py['python']}; lconv {git_rev()}. Both sides' runs: `{args.env or 'default environment'}`,
`OMP_NUM_THREADS=T`; PyG's also `torch.set_num_threads(T)`, `MKL_NUM_THREADS=T`.
**What is timed:** one full-batch training epoch (forward in training mode, NLL loss on the training
mask, backward, Adam lr 0.01 with L2 5e-4 on the first layer's weights), one warm-up epoch untimed;
{args.rounds} processes per side, case and thread count, alternating ours and PyG's; medians and
ranges are over every timed epoch of those processes; peak RSS is each process's `ru_maxrss`,
the largest over its runs (PyG's: its faster form's). PyG forms: {forms}.
The ratio is ours against PyG's faster form (median / median).

{table}
"""
    if notes:
        text += "\n" + "\n".join(f"- {n}" for n in notes) + "\n"
    print(text)
    if not args.no_append:
        path = os.path.join(HERE, "RESULTS.md")
        with open(path, "a") as f:
            f.write(f"\n## CPU against PyTorch Geometric (bench/compare-pyg), {started:%Y-%m-%d %H:%M} UTC\n"
                    + text)
        print(f"# appended to {path}")


if __name__ == "__main__":
    main()
