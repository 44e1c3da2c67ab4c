"""Variable-length sequences: padding, and torch's packed layout.

A batch of sequences of lengths ``l_0 >= l_1 >= ...`` (after sorting) is *packed* by reading
the padded (T, B, *) batch one time step at a time, keeping only the sequences still running:

    data        = [x_0[0], x_1[0], ..., x_0[1], x_1[1], ..., x_0[2], ...]     (sum l_b, *)
    batch_sizes = [#{b : l_b > t} for t in range(max l)]                       (max l,)

``sorted_indices[i]`` is the original batch position of the i-th longest sequence and
``unsorted_indices`` its inverse (both None when the batch was already sorted).  Packing and
unpacking are row gathers, so gradients flow through both.
"""
from __future__ import annotations

from collections import namedtuple
from collections.abc import Sequence

import numpy as np

import minigrad as mg
from minigrad import Tensor

from ..kernels.recurrent import Mode

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence",
           "pad_packed_sequence", "pad_sequence", "unpad_sequence", "pack_sequence",
           "unpack_sequence"]


def _ints(x) -> np.ndarray | None:
    return None if x is None else np.asarray(x).astype(np.int64)


def _index_tensor(x) -> Tensor | None:
    return x if x is None or isinstance(x, Tensor) else Tensor(_ints(x))


def invert_permutation(permutation) -> Tensor | None:
    """The inverse permutation: ``inv[permutation[i]] = i`` (None stays None)."""
    if permutation is None:
        return None
    p = _ints(permutation)
    inv = np.empty_like(p)
    inv[p] = np.arange(len(p))
    return Tensor(inv)


class PackedSequence(namedtuple("PackedSequence_", "data batch_sizes sorted_indices "
                                                   "unsorted_indices")):
    """A packed batch (torch's layout; see the module docstring).

    Fields: ``data`` (sum of lengths, *), ``batch_sizes`` (max length,) int64,
    ``sorted_indices`` / ``unsorted_indices`` (B,) int64 or None.  Built by
    ``pack_padded_sequence`` / ``pack_sequence``, accepted by ``nn.RNN/LSTM/GRU``.
    """

    __slots__ = ()

    def __new__(cls, data: Tensor, batch_sizes=None, sorted_indices=None,
                unsorted_indices=None) -> PackedSequence:
        if batch_sizes is None:  # PackedSequence((data, batch_sizes), ...) as torch allows
            if not (isinstance(data, (list, tuple)) and len(data) == 2):
                raise TypeError("PackedSequence: give (data, batch_sizes[, sorted_indices, "
                                "unsorted_indices])")
            data, batch_sizes = data
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        return super().__new__(cls, data, _index_tensor(batch_sizes),
                               _index_tensor(sorted_indices), _index_tensor(unsorted_indices))

    def _with_data(self, data: Tensor) -> PackedSequence:
        return type(self)(data, self.batch_sizes, self.sorted_indices, self.unsorted_indices)

    def to(self, *args, **kwargs) -> PackedSequence:
        """``data.to(...)``; the index fields stay int64."""
        data = self.data.to(*args, **kwargs)
        return self if data is self.data else self._with_data(data)

    def float(self) -> PackedSequence:
        """The same sequence with float32 data."""
        return self._with_data(self.data.float())

    def double(self) -> PackedSequence:
        """The same sequence with float64 data."""
        return self._with_data(self.data.double())

    def cpu(self) -> PackedSequence:
        """Itself: minigrad runs on the CPU."""
        return self

    @property
    def is_cuda(self) -> bool:
        """Always False (minigrad runs on the CPU)."""
        return False

    def is_pinned(self) -> bool:
        """Always False (no pinned memory on the CPU)."""
        return False


def _check_lengths(lengths, batch: int, steps: int) -> np.ndarray:
    """lengths as a 1-D int64 array, validated against the padded batch."""
    ln = np.asarray(lengths)
    whole = ln.dtype.kind in "iu" or (ln.dtype.kind == "f" and np.all(ln == np.round(ln)))
    if ln.ndim != 1 or not whole:
        raise RuntimeError(f"'lengths' argument should be a 1-D sequence of integers, got "
                           f"{ln.ndim}-D {ln.dtype} {ln.tolist()}")
    ln = ln.astype(np.int64)
    if len(ln) != batch:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got "
                           f"{len(ln)} (batch_size={batch})")
    if batch == 0:
        raise RuntimeError("Cannot pack empty tensors.")
    if ln.min() <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an "
                           "element in 'lengths' that is <= 0")
    if ln.max() > steps:  # torch reads past the end of the batch here; we refuse
        raise RuntimeError(f"lengths must be at most the padded length {steps}, got "
                           f"{int(ln.max())}")
    return ln


def pack_padded_sequence(input: Tensor, lengths, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded (T, B, *) (or (B, T, *) with ``batch_first``) batch.

    ``lengths`` (B,): each sequence's length, decreasing unless ``enforce_sorted=False``
    (then the batch is sorted by decreasing length, ties keeping their order, and
    ``sorted_indices`` records the order).  Differentiable w.r.t. ``input``.
    """
    if not isinstance(input, Tensor):
        input = mg.tensor(input)
    if input.ndim < 2:
        raise ValueError(f"pack_padded_sequence: input must have at least 2 dims (time and "
                         f"batch), got shape {input.shape}")
    T, B = (input.shape[1], input.shape[0]) if batch_first else input.shape[:2]
    ln = _check_lengths(lengths, B, T)
    if enforce_sorted:
        if np.any(ln[1:] > ln[:-1]):
            raise RuntimeError("`lengths` array must be sorted in decreasing order when "
                               "`enforce_sorted` is True. You can pass `enforce_sorted=False` "
                               "to pack_padded_sequence and/or pack_sequence to sidestep this "
                               "requirement if you do not need ONNX exportability.")
        order, sorted_indices = np.arange(B), None
    else:
        order = np.argsort(-ln, kind="stable")
        ln, sorted_indices = ln[order], order
    running = np.arange(ln[0])[:, None] < ln[None, :]  # (max l, B) in sorted order
    t, j = np.nonzero(running)  # row-major: time step by time step, as packed
    rows = order[j] * T + t if batch_first else t * B + order[j]
    data = input.reshape(T * B, *input.shape[2:])[rows]
    return PackedSequence(data, running.sum(1), sorted_indices, None)


def _check_packed(sequence: PackedSequence) -> np.ndarray:
    if not isinstance(sequence, PackedSequence):
        raise TypeError(f"expected a PackedSequence, got {type(sequence).__name__}")
    bs = np.asarray(sequence.batch_sizes)
    if bs.ndim != 1 or bs.size == 0 or bs.dtype.kind not in "iu" or bs.min() < 1 or np.any(
            bs[1:] > bs[:-1]):
        raise ValueError(f"PackedSequence.batch_sizes must be a non-empty, non-increasing 1-D "
                         f"sequence of positive integers, got {bs.tolist()}")
    if int(bs.sum()) != sequence.data.shape[0]:
        raise ValueError(f"PackedSequence: batch_sizes sum to {int(bs.sum())} but data has "
                         f"{sequence.data.shape[0]} rows")
    return bs


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False,
                        padding_value: float = 0.0,
                        total_length: int | None = None) -> tuple[Tensor, Tensor]:
    """Unpack to ``(padded (T, B, *) or (B, T, *), lengths (B,) int64)`` in the original
    batch order; T is the longest length, or ``total_length``.  Differentiable."""
    bs = _check_packed(sequence)
    steps, B = len(bs), int(bs[0])
    if total_length is not None:
        if total_length < steps:
            raise ValueError("Expected total_length to be at least the length of the longest "
                             f"sequence in input, but got total_length={total_length} and max "
                             f"sequence length being {steps}")
        steps = total_length
    data = sequence.data
    running = np.arange(B)[None, :] < np.pad(bs, (0, steps - len(bs)))[:, None]  # (steps, B)
    where = np.full((steps, B), data.shape[0])  # the extra last row holds the padding
    where[running] = np.arange(data.shape[0])
    lengths = running.sum(0)
    if sequence.unsorted_indices is not None:
        unsort = _ints(sequence.unsorted_indices)
        where, lengths = where[:, unsort], lengths[unsort]
    if batch_first:
        where = where.T
    pad = mg.full((1, *data.shape[1:]), padding_value, dtype=data.dtype)
    rows = mg.cat([data, pad], 0)[where.reshape(-1)]
    return rows.reshape(*where.shape, *data.shape[1:]), Tensor(lengths.astype(np.int64))


def pad_sequence(sequences: Sequence[Tensor], batch_first: bool = False,
                 padding_value: float = 0.0, padding_side: str = "right") -> Tensor:
    """Stack (L_i, *) tensors into (max L, B, *) (or (B, max L, *)), padding each sequence's
    end (or start, with ``padding_side='left'``)."""
    if padding_side not in ("right", "left"):
        raise ValueError(f"padding_side must be 'right' or 'left', got {padding_side!r}")
    if not len(sequences):
        raise RuntimeError("received an empty list of sequences")
    seqs = [s if isinstance(s, Tensor) else mg.tensor(s) for s in sequences]
    trail = seqs[0].shape[1:]
    for s in seqs:
        if s.shape[1:] != trail:
            raise ValueError(f"pad_sequence: trailing dims differ: {trail} vs {s.shape[1:]}")
    L = max(s.shape[0] for s in seqs)
    padded = []
    for s in seqs:
        if s.shape[0] < L:
            pad = mg.full((L - s.shape[0], *trail), padding_value, dtype=s.dtype)
            s = mg.cat([s, pad] if padding_side == "right" else [pad, s], 0)
        padded.append(s)
    return mg.stack(padded, 0 if batch_first else 1)


def unpad_sequence(padded_sequences: Tensor, lengths, batch_first: bool = False) -> list[Tensor]:
    """The inverse of ``pad_sequence``: a list of (l_b, *) tensors."""
    x = padded_sequences if batch_first else padded_sequences.transpose(0, 1)
    ln = _check_lengths(lengths, x.shape[0], x.shape[1])
    return [x[b, :int(n)] for b, n in enumerate(ln)]


def pack_sequence(sequences: Sequence[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of (L_i, *) tensors: ``pack_padded_sequence(pad_sequence(seqs), lengths)``."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """The inverse of ``pack_sequence``: a list of (L_i, *) tensors in the original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)


def rnn_forward_packed(module, input: PackedSequence, hx, lengths=None):
    """Run a recurrent module on a packed batch the way torch does: in sorted order, with
    ``hx`` permuted by ``sorted_indices`` on the way in and the final states permuted back
    on the way out.  Returns (PackedSequence output, h_n) or (.., (h_n, c_n)) for an LSTM."""
    if lengths is not None:
        raise ValueError(f"{type(module).__name__}: a PackedSequence input carries its own "
                         f"lengths; do not pass lengths= too")
    _check_packed(input)
    sorted_only = PackedSequence(input.data, input.batch_sizes)
    padded, ln = pad_packed_sequence(sorted_only, batch_first=module.batch_first)
    perm, unperm = input.sorted_indices, input.unsorted_indices
    is_lstm = module.mode == Mode.LSTM
    if hx is not None and perm is not None:
        hx = tuple(h.index_select(1, perm) for h in hx) if is_lstm else hx.index_select(1, perm)
    out, h = module.forward(padded, hx, lengths=ln)
    data = pack_padded_sequence(out, ln, batch_first=module.batch_first).data
    if unperm is not None:
        h = tuple(s.index_select(1, unperm) for s in h) if is_lstm else h.index_select(1, unperm)
    return PackedSequence(data, input.batch_sizes, perm, unperm), h
