#!/usr/bin/env python3
"""check_pyg.py — bench/compare-pyg's equivalence check: our model and its PyG counterpart
(bench/pyg_epoch.py) get the same parameters and the same data file, and must have as many
learnable scalars and give the same log-probabilities (evaluation mode), in every PyG form;
then, from those parameters, both train the same two epochs (forward, loss on the training
mask, backward, Adam with L2 on the first layer's weights; no dropout) and must end with the
same parameters and log-probabilities: the gradients and the optimizer step agree too.

usage: check_pyg.py GCN_EPOCH DATA_FILE WORK_DIR   (exit status 1 on a disagreement)"""
import subprocess
import sys

import numpy as np
import torch

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import pyg_epoch  # noqa: E402

# (our spec, PyG model, hidden widths): the L-conv one has a layer of each weight layout
# (16 -> 64 aggregates first, the others project first).
CASES = [
    ("gcn:16,relu,gcn", "gcn", "16"),
    ("lconv:16:p=4,relu,lconv:64:p=4,relu,lconv:p=4", "lconv", "16,64"),
]
TOLERANCE = 1e-4  # max |Δ log p| / max(1, max |log p|)
# max |Δ parameter| after two Adam steps of lr 0.01: 2 % of a step (a gradient near Adam's ε
# makes a step whose size round-off moves; a missing L2 term moves parameters by 4e-2)
STEP_TOLERANCE = 2e-4
EPOCHS = 2  # gcn_epoch's warm-up and one timed epoch (--reps 1)


def read_dump(path):
    raw = open(path, "rb").read()
    if raw[:8] != b"LCDUMP01":
        raise ValueError(f"{path} is not a parameter dump")
    (count,), off, out = np.frombuffer(raw, np.int64, 1, 8), 16, []
    for _ in range(count):
        (length,) = np.frombuffer(raw, np.int64, 1, off)
        name = raw[off + 8:off + 8 + length].decode()
        off += 8 + length
        (ndim,) = np.frombuffer(raw, np.int64, 1, off)
        shape = tuple(int(s) for s in np.frombuffer(raw, np.int64, ndim, off + 8))
        off += 8 + 8 * ndim
        numel = int(np.prod(shape))
        out.append((name, torch.from_numpy(np.frombuffer(raw, np.float32, numel, off).reshape(shape).copy())))
        off += 4 * numel
    return out


def pyg_order(model):
    """The PyG model's parameters in our creation order and layouts (GCNConv's weight transposed)."""
    for conv in model.convs:
        if model.kind == "gcn":
            yield conv.lin.weight.t()
            yield conv.bias
        else:
            yield from (conv.edge_weight, conv.weights, conv.weight0, conv.bias)


def load_into(model, params):
    """Our parameters in creation order, onto the PyG layers (through pyg_order's views)."""
    for dst, (name, src) in zip(pyg_order(model), params, strict=True):
        if tuple(src.shape) != tuple(dst.shape):
            raise ValueError(f"{name}: ours {tuple(src.shape)}, PyG {tuple(dst.shape)}")
        with torch.no_grad():
            dst.copy_(src)


def main():
    gcn_epoch, data, work = sys.argv[1:4]
    d = pyg_epoch.read_dataset(data)
    bad = 0
    for spec, kind, hidden in CASES:
        dump = f"{work}/check-{kind}.dump"
        subprocess.run([gcn_epoch, "--file", data, "--model", spec, "--reps", str(EPOCHS - 1), "--dump", dump],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        params = read_dump(dump)
        ours_out = params.pop()[1]
        trained = read_dump(dump + ".trained")
        ours_trained_out = trained.pop()[1]
        ours_count = sum(t.numel() for _, t in params)
        for form in ("edge_index", "sparse") + (("edge_index_ckpt", "index_add") if kind == "lconv" else ()):
            args = type("A", (), dict(model=kind, hidden=hidden, dropout=0.0, p=4, form=form))
            model, _ = pyg_epoch.build(args, d)
            load_into(model, params)
            model.eval()
            with torch.no_grad():
                out = model(d["x"], pyg_epoch.graph_inputs(d, form), d["tail"])
            count = sum(q.numel() for q in model.parameters())
            err = (out - ours_out).abs().max().item() / max(1.0, ours_out.abs().max().item())
            ok = count == ours_count and err <= TOLERANCE
            bad += not ok
            # the same two training epochs from the same start
            model, opt = pyg_epoch.build(args, d)
            load_into(model, params)
            graph = pyg_epoch.graph_inputs(d, form)
            for _ in range(EPOCHS):
                model.train()
                opt.zero_grad()
                loss = torch.nn.functional.nll_loss(model(d["x"], graph, d["tail"])[d["train"]], d["y"][d["train"]])
                loss.backward()
                opt.step()
            model.eval()
            with torch.no_grad():
                out = model(d["x"], graph, d["tail"])
            step_err = max((q.detach() - ours).abs().max().item()
                           for q, ours in zip(pyg_order(model), (t for _, t in trained), strict=True))
            out_err = (out - ours_trained_out).abs().max().item() / max(1.0, ours_trained_out.abs().max().item())
            trained_ok = step_err <= STEP_TOLERANCE and out_err <= TOLERANCE
            bad += not trained_ok
            print(f"{'ok  ' if ok else 'FAIL'} {kind:5s} {form:10s} params ours {ours_count} PyG {count}, "
                  f"max |Δ log p| (relative) {err:.2e}  [{spec}]")
            print(f"{'ok  ' if trained_ok else 'FAIL'} {kind:5s} {form:10s} after {EPOCHS} training epochs: "
                  f"max |Δ parameter| {step_err:.2e}, max |Δ log p| (relative) {out_err:.2e}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
