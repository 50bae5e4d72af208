"""Training speed of PyTorch on the same task as BenchmarkTrainVsTorch.

  python3 bench_torch.py DATA.safetensors CELL HIDDEN BATCH EPOCHS THREADS

DATA holds x [N, T, I] and y [N] (class indices as floats). The model is
nn.GRU/nn.LSTM/nn.RNN(batch_first=True) + nn.Linear on the last step,
trained with Adam, cross-entropy and clipping by global norm, as package
train does. Prints the sequences per second of the batch loop as JSON.
"""
import json
import struct
import sys
import time

import torch


def read_st(path):
    with open(path, "rb") as f:
        b = f.read()
    n = struct.unpack("<Q", b[:8])[0]
    hdr = json.loads(b[8:8 + n])
    hdr.pop("__metadata__", None)
    data = b[8 + n:]
    out = {}
    for name, e in hdr.items():
        lo, hi = e["data_offsets"]
        out[name] = torch.frombuffer(bytearray(data[lo:hi]), dtype=torch.float32).reshape(e["shape"])
    return out


def main():
    path, cell, hidden, batch, epochs, threads = sys.argv[1:7]
    hidden, batch, epochs, threads = int(hidden), int(batch), int(epochs), int(threads)
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    ts = read_st(path)
    x, y = ts["x"], ts["y"].long()
    classes = int(y.max()) + 1
    rnn = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[cell](x.shape[2], hidden, 1, batch_first=True)
    head = torch.nn.Linear(hidden, classes)
    params = list(rnn.parameters()) + list(head.parameters())
    opt = torch.optim.Adam(params, lr=0.01)
    seqs, t0 = 0, time.perf_counter()
    for _ in range(epochs):
        order = torch.randperm(x.shape[0])
        for s in range(0, x.shape[0], batch):
            idx = order[s:s + batch]
            out, _ = rnn(x[idx])
            loss = torch.nn.functional.cross_entropy(head(out[:, -1]), y[idx])
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 5.0)
            opt.step()
            seqs += len(idx)
    print(json.dumps({"sequences_per_second": seqs / (time.perf_counter() - t0), "torch": torch.__version__}))


if __name__ == "__main__":
    main()
