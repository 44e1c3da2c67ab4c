"""Lesson 13: gradients of gradients on a recurrent model: a Hessian-vector product and a
WGAN-GP gradient penalty.

Both need the backward pass itself to be differentiable: ``mg.grad(..., create_graph=True)``
records the backward as a graph, which backward can walk again.

1. Hessian-vector product.  For a loss L(theta), H v = d/dtheta <dL/dtheta, v>: one backward
   with create_graph, a dot product with v, a second backward.  It never forms H (n x n for
   n parameters).  We check it against finite differences of the gradient,
   (grad L(theta + eps v) - grad L(theta - eps v)) / (2 eps), and against
   ``mg.autograd.functional.hvp`` (the double-vjp trick).

2. Gradient penalty (Gulrajani et al. 2017, "Improved Training of Wasserstein GANs").  A GRU
   critic D scores sequences: sine waves (real) against noise (fake).  The Wasserstein loss
   D(fake) - D(real) alone lets D grow without bound; the penalty
   lambda * (||dD(x)/dx|| - 1)^2 at points x between real and fake keeps D 1-Lipschitz.  The
   penalty contains dD/dx, so training it differentiates a gradient with respect to the
   critic's weights: a second-order derivative through the whole recurrence.
"""
import numpy as np
from _common import figure, parse_args, progress, result, save

import minigrad as mg
import nn
from minigrad.autograd.functional import hvp

args = parse_args(__doc__)
T, HIDDEN, BATCH = 8, 8, 32
steps = 40 if args.quick else 300
rng = np.random.default_rng(args.seed)


class Critic(nn.Module):
    """D(x): (T, B, 1) sequences -> (B,) scores; a GRU read by a linear layer."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.GRU(1, HIDDEN)
        self.head = nn.Linear(HIDDEN, 1)

    def forward(self, x):
        _, h = self.rnn(x)
        return self.head(h[-1]).reshape(-1)


def real_batch(n):
    """Sine waves with random frequency and phase, (T, n, 1)."""
    t = np.arange(T)[:, None]
    freq, phase = rng.uniform(0.3, 0.8, n), rng.uniform(0, 2 * np.pi, n)
    return mg.tensor(np.sin(freq * t + phase)[..., None])


def fake_batch(n):
    return mg.tensor(rng.normal(0, 0.7, (T, n, 1)))


# ---------------------------------------------------------------- 1. Hessian-vector product
critic = Critic().double()
params = list(critic.parameters())
x, target = real_batch(BATCH), mg.tensor(rng.normal(size=BATCH))


def loss_fn():
    return ((critic(x) - target) ** 2).mean()


v = [mg.tensor(rng.normal(size=p.shape)) for p in params]
grads = mg.grad(loss_fn(), params, create_graph=True)            # dL/dtheta, as a graph
hv = mg.grad(sum((g * vi).sum() for g, vi in zip(grads, v)), params)  # d<dL/dtheta, v>/dtheta


def flat_grad():
    return np.concatenate([g.numpy().ravel() for g in mg.grad(loss_fn(), params)])


eps = 1e-5
with mg.no_grad():
    for p, vi in zip(params, v):
        p.add_(vi * eps)
up = flat_grad()
with mg.no_grad():
    for p, vi in zip(params, v):
        p.sub_(vi * (2 * eps))
down = flat_grad()
with mg.no_grad():
    for p, vi in zip(params, v):
        p.add_(vi * eps)
hv_fd = (up - down) / (2 * eps)
hv_flat = np.concatenate([h.numpy().ravel() for h in hv])
hvp_rel_err = float(np.abs(hv_flat - hv_fd).max() / np.abs(hv_fd).max())
print(f"Hessian-vector product over {hv_flat.size} parameters: max |Hv - finite diff| / "
      f"max |Hv| = {hvp_rel_err:.2e}")

# the same through minigrad.autograd.functional, with respect to the input sequence
xs = real_batch(4)
_, hv_x = hvp(lambda s: critic(s).sum(), xs, mg.ones_like(xs))
print(f"functional.hvp w.r.t. the input: shape {tuple(hv_x.shape)}, "
      f"|Hv| = {float(np.linalg.norm(hv_x.numpy())):.4f}")


# ---------------------------------------------------------------- 2. gradient penalty
def penalty(D, real, fake):
    """mean over the batch of (||dD/dx at x_hat|| - 1)^2, x_hat between real and fake;
    differentiable in D's weights (create_graph=True)."""
    a = mg.tensor(rng.uniform(size=(1, real.shape[1], 1)))
    x_hat = (a * real + (1 - a) * fake).requires_grad_()
    (g,) = mg.grad(D(x_hat).sum(), x_hat, create_graph=True)
    norms = (g * g).sum((0, 2)).sqrt()
    return ((norms - 1) ** 2).mean()


def train(lam):
    mg.manual_seed(args.seed)
    D = Critic().double()
    opt = mg.optim.Adam(D.parameters(), lr=5e-3, betas=(0.5, 0.9))
    history = []
    for _ in progress(range(steps), f"critic, lambda={lam}"):
        real, fake = real_batch(BATCH), fake_batch(BATCH)
        gp = penalty(D, real, fake)
        loss = D(fake).mean() - D(real).mean() + lam * gp
        opt.zero_grad()
        loss.backward()
        opt.step()
        history.append(gp.item())
    real, fake = real_batch(256), fake_batch(256)
    with mg.no_grad():
        gap = float((D(real).mean() - D(fake).mean()).item())
    return history, penalty(D, real, fake).item(), gap


hist_gp, penalty_with, gap_with = train(lam=10.0)
hist_none, penalty_without, gap_without = train(lam=0.0)
print(f"penalty (||dD/dx|| - 1)^2 at the start: {hist_gp[0]:.4f}")
print(f"after {steps} steps with the penalty: {penalty_with:.4f} (Wasserstein gap "
      f"{gap_with:.3f});  without it: {penalty_without:.4f} (gap {gap_without:.3f})")

fig, ax = figure()
ax.semilogy(hist_gp, label="trained with the penalty (lambda = 10)")
ax.semilogy(hist_none, label="without it (lambda = 0)")
ax.set_xlabel("step")
ax.set_ylabel("(||dD/dx|| - 1)^2")
ax.set_title("Gradient penalty of a GRU critic")
ax.legend()
save(fig, args.out, "gradient_penalty.png")

result(hvp_rel_err=hvp_rel_err, penalty_start=hist_gp[0], penalty_with=penalty_with,
       penalty_without=penalty_without, gap_with=gap_with)
