"""Checks an ONNX file written by main.py --onnx-export against the saved model it came from:
runs both on the same random word ids and hidden state (onnxruntime for the ONNX file) and
prints the largest absolute difference of each output. Exit status 1 if any exceeds --atol.

    python check_onnx.py --checkpoint model.pt --onnx model.onnx
"""
import argparse

import numpy as np
import onnxruntime as ort
import torch
from model import RNNModel

parser = argparse.ArgumentParser(description="compare an ONNX export with its model")
parser.add_argument("--checkpoint", type=str, required=True)
parser.add_argument("--onnx", type=str, required=True)
parser.add_argument("--atol", type=float, default=1e-4)
args = parser.parse_args()

with open(args.checkpoint, "rb") as f:
    with torch.serialization.safe_globals([
            RNNModel, torch.nn.modules.dropout.Dropout, torch.nn.modules.linear.Linear,
            torch.nn.modules.rnn.GRU, torch.nn.modules.rnn.LSTM, torch.nn.modules.rnn.RNN,
            torch.nn.modules.sparse.Embedding]):
        model = torch.load(f)
model.eval()

session = ort.InferenceSession(args.onnx)
inputs = session.get_inputs()
seq_len, batch = inputs[0].shape
rng = np.random.default_rng(0)
ids = rng.integers(0, model.ntoken, size=(seq_len, batch)).astype(np.int64)
hidden = model.init_hidden(batch)
hidden = hidden if isinstance(hidden, tuple) else (hidden,)
hidden = tuple(torch.tensor(rng.normal(0, 0.5, size=tuple(h.shape)).astype(np.float32))
               for h in hidden)
with torch.no_grad():
    out, new_hidden = model(torch.from_numpy(ids), hidden if len(hidden) > 1 else hidden[0])
new_hidden = new_hidden if isinstance(new_hidden, tuple) else (new_hidden,)
expected = [out.numpy(), *(h.numpy() for h in new_hidden)]
feeds = {inputs[0].name: ids, **{i.name: h.numpy() for i, h in zip(inputs[1:], hidden)}}
got = session.run(None, feeds)
worst = 0.0
for name, e, g in zip([o.name for o in session.get_outputs()], expected, got):
    diff = float(np.abs(np.asarray(g).reshape(e.shape) - e).max())
    worst = max(worst, diff)
    print(f"{name}: shape {tuple(e.shape)} max |onnx - model| = {diff:.2e}")
raise SystemExit(0 if worst <= args.atol else 1)
