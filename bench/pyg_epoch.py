#!/usr/bin/env python3
"""pyg_epoch.py — PyTorch Geometric side of bench/compare-pyg: one full-batch training epoch on a
benchmark data file written by `bench/gcn_epoch --write` (GCN, or the edge-weighted L-conv as a
MessagePassing layer), timed like bench/gcn_epoch."""
import argparse
import math
import resource
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
import torch.utils.checkpoint
from torch import nn
from torch_geometric.nn import GCNConv, MessagePassing


def read_dataset(path):
    """The benchmark data file (format: bench/datafile.h) as a dict of tensors."""
    raw = open(path, "rb").read()
    if raw[:8] != b"LCBENCH1":
        raise ValueError(f"{path} is not a benchmark data file")
    n, m, f, classes, nnz = np.frombuffer(raw, np.int64, 5, 8)
    off = 48

    def take(dtype, count):
        nonlocal off
        a = np.frombuffer(raw, dtype, int(count), off)
        off += a.nbytes
        return a

    tail, head = take(np.int64, m), take(np.int64, m)
    weight = take(np.float32, m)
    if nnz >= 0:  # sparse features, made dense: PyG's layers take dense x
        rowptr, col, val = take(np.int64, n + 1), take(np.int32, nnz), take(np.float32, nnz)
        x = torch.sparse_csr_tensor(torch.from_numpy(rowptr.copy()), torch.from_numpy(col.astype(np.int64)),
                                    torch.from_numpy(val.copy()), (int(n), int(f))).to_dense()
    else:
        x = torch.from_numpy(take(np.float32, n * f).reshape(int(n), int(f)).copy())
    labels = torch.from_numpy(take(np.int32, n).astype(np.int64))
    masks = [torch.from_numpy(take(np.uint8, n).astype(bool)) for _ in range(3)]
    tail_t, head_t = torch.from_numpy(tail.copy()), torch.from_numpy(head.copy())
    return dict(n=int(n), m=int(m), classes=int(classes), x=x, y=labels, train=masks[0],
                tail=tail_t, head=head_t, weight=torch.from_numpy(weight.copy()))


def graph_inputs(d, form):
    """What the layers get as the graph: edge_index (row 0 = source = head, row 1 = target = tail,
    so messages flow into the tail as in our L_i) or the adjacency as a torch sparse CSR whose rows
    are the targets. Edges are sorted by (tail, head), so CSR entry e is edge e in both."""
    if form.startswith("edge_index") or form == "index_add":
        return torch.stack([d["head"], d["tail"]])
    crow = torch.zeros(d["n"] + 1, dtype=torch.int64)
    crow[1:] = torch.cumsum(torch.bincount(d["tail"], minlength=d["n"]), 0)
    return torch.sparse_csr_tensor(crow, d["head"], torch.ones(d["m"]), (d["n"], d["n"]))


def expand_first(cin, p, cout):
    """The same choice as lc_i_expand_first: aggregate first when each edge then moves fewer floats."""
    return (p + 2) * cin < (2 * p + 1) * cout


class LConv(MessagePassing):
    """Our edge-weighted L-conv, vector-field form (layers/lconv.c, lib/ops_edge.c):
    Y = X·W0 + Σ_i L_i·X·W_i + b, (L_i z)[v] = Σ_{e: tail(e)=v} w_i[e]·(z[head(e)] − z[v]),
    with learnable per-edge weights w [E, p]. Parameters and their layouts are ours:
    weights [p·in, out] (= [W_1; …; W_p], aggregate first) or [in, p·out] (= [W_1|…|W_p])."""

    def __init__(self, cin, cout, p, num_edges, form="edge_index"):
        super().__init__(aggr="add")
        self.p, self.cin, self.cout = p, cin, cout
        # edge_index_ckpt: one propagate per generator, each recomputed in the backward
        # pass (torch.utils.checkpoint): what lets the message-passing form hold only one
        # generator's [E, f] messages at a time on an arxiv-sized graph.
        self.per_generator = form == "edge_index_ckpt"
        # index_add: plain torch, one gather of the source rows per layer (the one [E, ·]
        # tensor autograd keeps) and one index_add_ per generator; its messages are freed
        # as soon as they are added, and nothing is recomputed.
        self.index_add = form == "index_add"
        self.expand = expand_first(cin, p, cout)
        self.edge_weight = nn.Parameter(torch.randn(num_edges, p) * 0.1)
        a = math.sqrt(6.0 / (cin + cout))
        shape = (p * cin, cout) if self.expand else (cin, p * cout)
        self.weights = nn.Parameter(torch.empty(shape).uniform_(-a, a))
        self.weight0 = nn.Parameter(torch.empty(cin, cout).uniform_(-a, a))
        self.bias = nn.Parameter(torch.zeros(cout))

    def forward(self, x, graph, tail):
        n, p = x.shape[0], self.p
        z = x if self.expand else x @ self.weights
        f = z.shape[1] // (1 if self.expand else p)
        if self.index_add:
            head, target = graph[0], graph[1]
            z_head = z[head]
            parts = []
            for i in range(p):
                z_i = z_head if self.expand else z_head[:, i * f:(i + 1) * f]
                parts.append(torch.zeros(n, f, dtype=z.dtype, device=z.device)
                             .index_add_(0, target, self.edge_weight[:, i:i + 1] * z_i))
            agg = torch.cat(parts, 1) if self.expand else sum(parts)
        elif self.per_generator:
            parts = [torch.utils.checkpoint.checkpoint(
                self.one_generator, graph, z if self.expand else z[:, i * f:(i + 1) * f],
                self.edge_weight[:, i], use_reentrant=False) for i in range(p)]
            agg = torch.cat(parts, 1) if self.expand else sum(parts)
        else:
            agg = self.propagate(graph, z=z, w=self.edge_weight, f=f)
        # the vector field's diagonal: −(Σ_{e leaving v} w_i[e])·z_i[v]
        deg = torch.zeros(n, p, dtype=x.dtype, device=x.device).index_add_(0, tail, self.edge_weight)
        if self.expand:
            agg = agg - (deg.unsqueeze(2) * z.unsqueeze(1)).reshape(n, p * f)
            y = agg @ self.weights
        else:
            y = agg - (deg.unsqueeze(2) * z.view(n, p, f)).sum(1)
        return y + x @ self.weight0 + self.bias

    def one_generator(self, graph, z_i, w_i):
        return self.propagate(graph, z=z_i, w=w_i, f=z_i.shape[1])

    def message(self, z_j, w, f):
        if w.dim() == 1:  # one generator
            return w.unsqueeze(1) * z_j
        e = z_j.shape[0]
        if self.expand:  # one copy of the source row per generator
            return (w.unsqueeze(2) * z_j.unsqueeze(1)).reshape(e, self.p * f)
        return (w.unsqueeze(2) * z_j.view(e, self.p, f)).sum(1)

    def message_and_aggregate(self, adj_t, z, w, f):
        """The sparse form: one CSR SpMM per generator, the generator's weights as its values."""
        crow, col = adj_t.crow_indices(), adj_t.col_indices()
        outs = []
        for i in range(self.p):
            a_i = torch.sparse_csr_tensor(crow, col, w[:, i], adj_t.shape)
            z_i = z if self.expand else z[:, i * f:(i + 1) * f]
            outs.append(a_i @ z_i)
        return torch.cat(outs, 1) if self.expand else sum(outs)


class Net(nn.Module):
    """conv, relu, [dropout], conv, … — the layout of our specs 'gcn:16,relu,dropout:0.5,gcn' etc."""

    def __init__(self, kind, widths, dropout, p, num_edges, form):
        super().__init__()
        if kind == "gcn":
            self.convs = nn.ModuleList(GCNConv(a, b, cached=True) for a, b in zip(widths, widths[1:]))
        else:
            self.convs = nn.ModuleList(LConv(a, b, p, num_edges, form)
                                       for a, b in zip(widths, widths[1:]))
        self.kind, self.dropout = kind, dropout

    def forward(self, x, graph, tail):
        for k, conv in enumerate(self.convs):
            x = conv(x, graph) if self.kind == "gcn" else conv(x, graph, tail)
            if k + 1 < len(self.convs):
                x = F.relu(x)
                if self.dropout > 0:
                    x = F.dropout(x, self.dropout, self.training)
        return F.log_softmax(x, 1)


def first_layer_weights(model):
    """The parameters lc_model_train decays: the first layer's weights (not its bias or edge weights)."""
    conv = model.convs[0]
    if model.kind == "gcn":
        return [conv.lin.weight]
    return [conv.weights, conv.weight0]


def build(args, d):
    # PyG's GCN here runs on the unweighted graph (GCNConv without edge_weight, the CSR's
    # values 1), as ours does on these files: refuse a file whose edges are weighted.
    if args.model == "gcn" and not bool((d["weight"] == 1).all()):
        sys.exit("pyg_epoch: the data file has edge weights other than 1, which the GCN forms here ignore")
    widths = [d["x"].shape[1]] + [int(w) for w in args.hidden.split(",") if w] + [d["classes"]]
    model = Net(args.model, widths, args.dropout, args.p, d["m"], args.form)
    decay = first_layer_weights(model)
    rest = [q for q in model.parameters() if all(q is not r for r in decay)]
    opt = torch.optim.Adam([dict(params=decay, weight_decay=5e-4), dict(params=rest, weight_decay=0.0)],
                           lr=0.01)
    return model, opt


def gcn_operator(d, device):
    """Â = D̃^-1/2 (A + I) D̃^-1/2 as a torch sparse CSR on `device` (rows = targets), as ours."""
    n = d["n"]
    loops = torch.arange(n)
    rows = torch.cat([d["tail"], loops]).to(device)
    cols = torch.cat([d["head"], loops]).to(device)
    vals = torch.cat([d["weight"], torch.ones(n)]).to(device)
    deg = torch.zeros(n, device=device).index_add_(0, rows, vals)
    vals = vals * deg[rows].rsqrt() * deg[cols].rsqrt()
    return torch.sparse_coo_tensor(torch.stack([rows, cols]), vals, (n, n)).coalesce().to_sparse_csr()


def time_spmm(d, reps, device):
    """Y = Â·X with X [n, 256] through torch (cuSPARSE on a GPU), like gcn_epoch --spmm-device."""
    a = gcn_operator(d, device)
    x = torch.randn(d["n"], 256, device=device)
    times = []
    for r in range(-1, reps):
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        y = a @ x
        torch.cuda.synchronize()
        if r >= 0:
            times.append(1e3 * (time.perf_counter() - t0))
    del y
    times.sort()
    nnz = a.values().numel()
    gather = (nnz * (256 * 4 + 8) + d["n"] * 256 * 4) / (times[len(times) // 2] * 1e-3) / 1e12
    print(f"pyg_spmm median_ms {times[len(times) // 2]:.3f} min_ms {times[0]:.3f} max_ms {times[-1]:.3f} "
          f"gather_TB/s {gather:.2f} nnz {nnz}")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--file", required=True)
    ap.add_argument("--model", choices=["gcn", "lconv"], required=True)
    ap.add_argument("--hidden", default="16", help="hidden widths, comma-separated")
    ap.add_argument("--dropout", type=float, default=0.0)
    ap.add_argument("--p", type=int, default=4)
    ap.add_argument("--form", choices=["edge_index", "edge_index_ckpt", "index_add", "sparse"],
                    default="edge_index")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--mem-limit-gib", type=float, default=0,
                    help="cap the address space this much above what is mapped after loading "
                         "(0: none); an epoch that needs more ends with status 3, not with the OOM killer")
    ap.add_argument("--device", choices=["cpu", "cuda"], default="cpu",
                    help="cuda: time between synchronisations; the last column is then the peak of "
                         "torch.cuda.max_memory_allocated (MiB)")
    ap.add_argument("--spmm", action="store_true", help="time Y = Â·X (f = 256) alone, on the device")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    torch.backends.cuda.matmul.allow_tf32 = False  # fp32, as ours
    d = read_dataset(args.file)
    if args.spmm:
        time_spmm(d, args.reps, args.device)
        return
    dev = torch.device(args.device)
    graph = graph_inputs(d, args.form).to(dev)
    model, opt = build(args, d)
    model.to(dev)
    x, y, train, tail = d["x"].to(dev), d["y"].to(dev), d["train"].to(dev), d["tail"].to(dev)
    cuda = args.device == "cuda"
    if args.mem_limit_gib > 0:
        mapped = int(open("/proc/self/statm").read().split()[0]) * resource.getpagesize()
        cap = mapped + int(args.mem_limit_gib * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    times = []
    try:
        for r in range(-1, args.reps):  # one untimed warm-up epoch (the GCN cache fills there)
            t0 = time.perf_counter()
            model.train()
            opt.zero_grad()
            out = model(x, graph, tail)
            loss = F.nll_loss(out[train], y[train])
            loss.backward()
            opt.step()
            if cuda:
                torch.cuda.synchronize()
            t1 = time.perf_counter()
            if r >= 0:
                times.append(1e3 * (t1 - t0))
    except (MemoryError, RuntimeError) as err:
        if "alloc" not in str(err).lower() and not isinstance(err, MemoryError):
            raise
        print(f"# pyg {args.model} form={args.form}: out of memory within {args.mem_limit_gib:g} GiB: {err}",
              file=sys.stderr)
        print(f"pyg {args.threads} oom")
        sys.exit(3)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    if cuda:
        rss = torch.cuda.max_memory_allocated() / 2**20
        # the caching allocator's peak reservation: what the device gave torch's tensors
        print(f"# device_reserved_mib pyg: {torch.cuda.max_memory_reserved() / 2**20:.1f}", file=sys.stderr)
    params = sum(q.numel() for q in model.parameters())
    print(f"# pyg {args.model} form={args.form} params={params} loss={loss.item():.4f}", file=sys.stderr)
    print("# epoch_ms pyg: " + " ".join(f"{t:.3f}" for t in times), file=sys.stderr)
    times.sort()
    med = times[len(times) // 2] if len(times) % 2 else 0.5 * (times[len(times) // 2 - 1] + times[len(times) // 2])
    print(f"pyg {args.threads} {med:.2f} {times[0]:.2f} {times[-1]:.2f} {rss:.1f}")


if __name__ == "__main__":
    main()
