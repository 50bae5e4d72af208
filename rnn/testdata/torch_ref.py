"""Reference outputs from PyTorch for rnn's parity test (torch_test.go).

Reads a JSON list of jobs on stdin and prints a JSON list of results, each
the per-step softmax (a list of lists) of PyTorch's nn.RNN/GRU/LSTM followed
by nn.Linear:
  {"op": "run", "model": M, "x": X}
      the model built from our file M, on the tensor x of file X;
  {"op": "make", "cell": C, "input": I, "hidden": H, "layers": L,
   "classes": K, "seed": S, "model": M, "x": X}
      a random PyTorch model saved to M in the activityd format and a random
      x saved to X.
Exits with status 3 when torch cannot be imported.

It reads and writes safetensors by hand (8-byte length, JSON header, raw
little-endian data) so that it needs nothing beyond torch.
"""
import json
import struct
import sys

try:
    import torch
except ImportError as e:
    print(e, file=sys.stderr)
    sys.exit(3)

CELLS = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}


def read_st(path):
    with open(path, "rb") as f:
        b = f.read()
    n = struct.unpack("<Q", b[:8])[0]
    hdr = json.loads(b[8:8 + n])
    meta = hdr.pop("__metadata__", {})
    data = b[8 + n:]
    out = {}
    for name, e in hdr.items():
        assert e["dtype"] == "F32", e["dtype"]
        lo, hi = e["data_offsets"]
        out[name] = torch.frombuffer(bytearray(data[lo:hi]), dtype=torch.float32).reshape(e["shape"])
    return out, meta


def write_st(path, tensors, meta):
    hdr = {"__metadata__": meta}
    blobs, off = [], 0
    for name in sorted(tensors):
        raw = tensors[name].detach().contiguous().to(torch.float32).numpy().tobytes()
        hdr[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [off, off + len(raw)]}
        off += len(raw)
        blobs.append(raw)
    js = json.dumps(hdr).encode()
    js += b" " * ((8 - (8 + len(js)) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(js)) + js + b"".join(blobs))


class Classifier(torch.nn.Module):
    def __init__(self, cell, inputs, hidden, layers, classes):
        super().__init__()
        self.rnn = CELLS[cell](inputs, hidden, layers, batch_first=True)
        self.head = torch.nn.Linear(hidden, classes)

    def forward(self, x):
        y, _ = self.rnn(x)
        return torch.softmax(self.head(y), dim=-1)


def run(model_path, x_path):
    ts, meta = read_st(model_path)
    net = Classifier(meta["cell"], int(meta["input_size"]), int(meta["hidden_size"]),
                     int(meta["num_layers"]), ts["head.bias"].shape[0])
    net.load_state_dict({k: v for k, v in ts.items() if not k.startswith("norm.")})
    x = read_st(x_path)[0]["x"]
    if "norm.mean" in ts:
        x = (x - ts["norm.mean"]) / ts["norm.std"]
    with torch.no_grad():
        return net(x[None])[0]


def make(cell, inputs, hidden, layers, classes, seed, model_path, x_path):
    torch.manual_seed(seed)
    net = Classifier(cell, inputs, hidden, layers, classes)
    x = torch.randn(17, inputs)
    tensors = dict(net.state_dict())
    meta = {"format": "activityd.rnn.v1", "cell": cell, "num_layers": str(layers),
            "hidden_size": str(hidden), "input_size": str(inputs), "mode": "many-to-many",
            "labels": json.dumps(["c%d" % i for i in range(classes)]), "fps": "5",
            "backbone": "descriptor"}
    write_st(model_path, tensors, meta)
    write_st(x_path, {"x": x}, {})
    with torch.no_grad():
        return net(x[None])[0]


if __name__ == "__main__":
    torch.set_num_threads(1)
    out = []
    for job in json.load(sys.stdin):
        if job["op"] == "run":
            probs = run(job["model"], job["x"])
        else:
            probs = make(job["cell"], job["input"], job["hidden"], job["layers"], job["classes"],
                         job["seed"], job["model"], job["x"])
        out.append(probs.tolist())
    print(json.dumps(out))
