"""``autograd.record``: a replayed step gives what the eager step gives, and refuses steps it
cannot repeat."""
import numpy as np
import pytest

import minigrad as mg
import nn
from minigrad import optim
from minigrad.autograd import record


class _Model(nn.Module):
    def __init__(self, cell):
        super().__init__()
        self.emb = nn.Embedding(11, 4)
        self.rnn = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[cell](4, 6, batch_first=True)
        self.out = nn.Linear(6, 11)

    def forward(self, x):
        h, _ = self.rnn(self.emb(x))
        return self.out(h)


def _pair(cell):
    mg.manual_seed(0)
    a = _Model(cell)
    b = _Model(cell)
    b.load_state_dict(a.state_dict())
    return a, b


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_replayed_training_equals_eager_training(cell):
    eager, replayed = _pair(cell)
    tokens = np.random.default_rng(1).integers(0, 11, (2, 8))
    x = mg.tensor(tokens[:, :-1])  # a leaf input, refilled in place between steps
    y = mg.tensor(tokens[:, 1:].reshape(-1))
    opt_e, opt_r = optim.Adam(eager.parameters(), 1e-2), optim.Adam(replayed.parameters(), 1e-2)

    def loss_of(model):
        return nn.functional.cross_entropy(model(x).reshape(-1, 11), y)

    step = record(lambda: loss_of(replayed))
    for i in range(4):
        x.data[...] = np.roll(tokens[:, :-1], i, axis=1)  # new data, same buffer
        opt_e.zero_grad()
        loss_e = loss_of(eager)
        loss_e.backward()
        opt_e.step()
        opt_r.zero_grad()
        loss_r = step.backward()
        opt_r.step()
        np.testing.assert_allclose(loss_r.item(), loss_e.item(), rtol=1e-6)
    for (name, p), q in zip(eager.named_parameters(), replayed.parameters()):
        np.testing.assert_allclose(q.detach().numpy(), p.detach().numpy(), rtol=1e-5,
                                   atol=1e-6, err_msg=name)


def test_replay_accumulates_into_grad_and_runs_leaf_hooks():
    def run(replay):
        w = mg.tensor([1.0, -2.0, 3.0], requires_grad=True)
        seen = []
        w.register_hook(lambda g: seen.append(g.numpy().copy()))

        def loss_fn():
            return (w * w).sum() + w.exp().mean()

        step = record(loss_fn) if replay else None
        for _ in range(2):  # gradients add up over two backward passes
            step.backward() if replay else loss_fn().backward()
        return w.grad.numpy(), seen

    (g_replay, seen_replay), (g_eager, seen_eager) = run(True), run(False)
    np.testing.assert_allclose(g_replay, g_eager, rtol=1e-6)
    assert len(seen_replay) == len(seen_eager) > 0  # the hook saw the same gradients
    for a, b in zip(seen_replay, seen_eager):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_replay_reads_the_leaves_current_values():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    step = record(lambda: (w * w).sum())
    with mg.no_grad():
        w.data[...] = np.array([3.0, -1.0], np.float32)
    loss = step.backward()
    assert loss.item() == 10.0
    np.testing.assert_array_equal(w.grad.numpy(), [6.0, -2.0])


def test_record_refuses_in_place_changes_inside_the_step():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    buf = mg.tensor([0.0, 0.0])

    def loss_fn():
        buf.add_(1.0)
        return (w * buf).sum()

    with pytest.raises(RuntimeError, match="in place"):
        record(loss_fn)


def test_record_refuses_tensors_computed_outside_the_step():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    h = w * 2  # has a history that replay would not re-run
    with pytest.raises(RuntimeError, match="outside loss_fn"):
        record(lambda: (h * w).sum())


def test_record_refuses_a_loss_without_graph():
    with pytest.raises(RuntimeError, match="one-element tensor"):
        record(lambda: mg.tensor([1.0, 2.0], requires_grad=True).sum().detach())


def test_replay_under_anomaly_mode_runs_the_engine_and_its_checks():
    w = mg.tensor([1.0, -2.0], requires_grad=True)
    step = record(lambda: w.log().sum())  # nan for -2: allowed outside anomaly mode
    step.backward()
    with mg.detect_anomaly(), pytest.raises(RuntimeError, match="(?i)nan"):
        step.backward()
