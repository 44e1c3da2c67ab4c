"""Encoder–decoder with attention.

Encoder: embedding -> any recurrent layer (RNN/LSTM/GRU, stacked, bidirectional) over the
padded source with ``lengths``.  Its last layer's final state (both directions concatenated)
goes through a linear "bridge" to start the decoder.

Decoder (Luong style): embedding -> a one-layer recurrence of the same kind -> attention of
each decoder state over the encoder outputs (padding masked) -> tanh(W_c [h; context]) ->
vocabulary logits.  With teacher forcing the whole target runs at once (one fused
recurrence, one batched attention); otherwise, and in ``generate``, one token at a time with
the same weights.  ``attention=None`` gives the plain encoder–decoder that must squeeze the
source into the bridged state.
"""
from __future__ import annotations

import numpy as np

import minigrad as mg
from minigrad import Tensor

from . import functional as F
from .attention import AdditiveAttention, DotAttention
from .beam import Hypothesis, beam_search
from .kernels.recurrent import Mode
from .layers import Dropout, Embedding, Linear
from .module import Module
from .rnn import GRU, LSTM, RNN, RNNBase


class Seq2Seq(Module):
    """forward(src (B, S), src_lengths, tgt (B, T)) -> logits (B, T - 1, V) predicting
    tgt[:, 1:] from tgt[:, :-1] (tgt starts with bos; pad with ``padding_idx``, ignored by
    ``cross_entropy(..., ignore_index=padding_idx)``).

    ``dropout`` applies, in training mode, to the source and target embeddings, to the
    decoder's readout before the output layer, and between stacked encoder layers."""

    def __init__(self, src_vocab: int, tgt_vocab: int, embed_dim: int = 32,
                 hidden_size: int = 64, cell: str = "lstm", num_layers: int = 1,
                 bidirectional: bool = True, attention: str | None = "additive",
                 dropout: float = 0.0, padding_idx: int = 0, encoder: RNNBase | None = None):
        super().__init__()
        kinds = {"rnn": RNN, "lstm": LSTM, "gru": GRU}
        if encoder is None:
            if cell not in kinds:
                raise ValueError(f"cell must be one of {sorted(kinds)}, got {cell!r}")
            encoder = kinds[cell](embed_dim, hidden_size, num_layers=num_layers,
                                  batch_first=True, dropout=dropout,
                                  bidirectional=bidirectional)
        if not encoder.batch_first or encoder.input_size != embed_dim:
            raise ValueError("the encoder must be batch_first with input_size == embed_dim")
        self.padding_idx, self.hidden_size = padding_idx, hidden_size
        self.is_lstm = encoder.mode == Mode.LSTM
        self.src_embed = Embedding(src_vocab, embed_dim, padding_idx=padding_idx)
        self.tgt_embed = Embedding(tgt_vocab, embed_dim, padding_idx=padding_idx)
        self.encoder = encoder
        enc_dim = encoder.hidden_size * (2 if encoder.bidirectional else 1)
        dec_cls = {Mode.LSTM: LSTM, Mode.GRU: GRU}.get(encoder.mode, RNN)
        self.decoder = dec_cls(embed_dim, hidden_size, batch_first=True)
        self.bridge_h = Linear(enc_dim, hidden_size)
        self.bridge_c = Linear(enc_dim, hidden_size) if self.is_lstm else None
        self.attention_kind = attention
        if attention == "additive":
            self.attention = AdditiveAttention(hidden_size, enc_dim, hidden_size)
        elif attention in ("dot", "general"):
            self.attention = DotAttention("general" if attention == "general" or
                                          enc_dim != hidden_size else "dot",
                                          hidden_size, enc_dim)
        elif attention is not None:
            raise ValueError(f"attention must be 'additive', 'dot', 'general' or None, got "
                             f"{attention!r}")
        self.combine = Linear(hidden_size + enc_dim, hidden_size) if attention else None
        self.out = Linear(hidden_size, tgt_vocab)
        self.drop = Dropout(dropout)  # on embeddings and before the output layer, in training

    # ------------------------------------------------------------------ pieces
    def encode(self, src, src_lengths):
        """-> (encoder outputs (B, S, enc_dim), key mask (B, S) True = real, decoder state)."""
        src = np.asarray(src)
        lengths = np.asarray(src_lengths)
        enc_out, state = self.encoder(self.drop(self.src_embed(src)), lengths=lengths)
        h_n = state[0] if self.is_lstm else state
        D = 2 if self.encoder.bidirectional else 1
        last = mg.cat([h_n[-D + d] for d in range(D)], -1)  # last layer, both directions
        h0 = self.bridge_h(last).tanh().unsqueeze(0)
        if self.is_lstm:
            c_last = mg.cat([state[1][-D + d] for d in range(D)], -1)
            dec_state = (h0, self.bridge_c(c_last).unsqueeze(0))
        else:
            dec_state = h0
        mask = np.arange(src.shape[1])[None, :] < lengths[:, None]
        return enc_out, mask, dec_state

    def _readout(self, dec_out: Tensor, enc_out: Tensor, mask: np.ndarray):
        """Decoder states (B, T, H) -> (logits (B, T, V), attention weights (B, T, S) or None)."""
        if self.attention_kind is None:
            return self.out(self.drop(dec_out)), None
        ctx, w = self.attention(dec_out, enc_out, mask=mask)
        return self.out(self.drop(self.combine(mg.cat([dec_out, ctx], -1)).tanh())), w

    def decode_step(self, tokens: np.ndarray, state, enc_out: Tensor, mask: np.ndarray):
        """One decoder step for tokens (B,) -> (logits (B, V), new state, attention (B, S))."""
        dec_out, state = self.decoder(self.drop(self.tgt_embed(tokens[:, None])), state)
        logits, w = self._readout(dec_out, enc_out, mask)
        return logits[:, 0], state, (None if w is None else w[:, 0])

    # ------------------------------------------------------------------ training
    def forward(self, src, src_lengths, tgt, teacher_forcing: float = 1.0) -> Tensor:
        tgt = np.asarray(getattr(tgt, "data", tgt))
        if tgt.ndim != 2 or tgt.shape[1] < 2:
            raise ValueError(f"tgt must be (batch, T >= 2) starting with bos, got {tgt.shape}")
        enc_out, mask, state = self.encode(src, src_lengths)
        if teacher_forcing >= 1.0:
            dec_out, _ = self.decoder(self.drop(self.tgt_embed(tgt[:, :-1])), state)
            return self._readout(dec_out, enc_out, mask)[0]
        logits, tok = [], tgt[:, 0]
        for t in range(tgt.shape[1] - 1):
            step_logits, state, _ = self.decode_step(tok, state, enc_out, mask)
            logits.append(step_logits)
            use_truth = float(mg.rand(())) < teacher_forcing
            tok = tgt[:, t + 1] if use_truth else step_logits.detach().argmax(-1)
        return mg.stack(logits, 1)

    # ------------------------------------------------------------------ inference
    @mg.no_grad()
    def generate(self, src, src_lengths, max_len: int, bos: int, eos: int,
                 beam_size: int = 1) -> tuple[list[list[int]], list[np.ndarray]]:
        """Decode each source: greedy (beam_size=1) or beam search.  Returns the token ids of
        each output (without bos and eos) and its attention weights (out_len, S) (an empty
        array without attention)."""
        was_training = self.training
        self.eval()
        try:
            src = np.asarray(src)
            lengths = np.asarray(src_lengths)
            enc_out, mask, state = self.encode(src, lengths)
            if beam_size == 1:
                return self._greedy(enc_out, mask, state, lengths, max_len, bos, eos)
            results: list[Hypothesis] = []
            for b in range(src.shape[0]):
                n = int(lengths[b])
                enc_b, mask_b = enc_out[b:b + 1, :n], mask[b:b + 1, :n]
                st = _select(state, np.array([b]))

                def step(tokens, s, enc_b=enc_b, mask_b=mask_b):
                    k = len(tokens)
                    logits, s, w = self.decode_step(
                        tokens, s, enc_b.expand(k, *enc_b.shape[1:]),
                        np.broadcast_to(mask_b, (k, mask_b.shape[1])))
                    return (logits.log_softmax(-1).detach().numpy(), s,
                            None if w is None else w.detach().numpy())

                results.append(beam_search(step, _select, st, bos, eos, max_len, beam_size))
        finally:
            self.train(was_training)
        return [h.tokens for h in results], [h.attention for h in results]


    def _greedy(self, enc_out, mask, state, lengths, max_len, bos, eos):
        """Greedy decoding of the whole batch at once (what beam_size=1 computes)."""
        B = enc_out.shape[0]
        tok = np.full(B, bos)
        done = np.zeros(B, bool)
        steps, attns = [], []
        for _ in range(max_len):
            logits, state, w = self.decode_step(tok, state, enc_out, mask)
            tok = logits.detach().argmax(-1).numpy()
            steps.append(tok)
            attns.append(None if w is None else w.detach().numpy())
            done |= tok == eos
            if done.all():
                break
        ids = np.stack(steps, 1)
        tokens, weights = [], []
        for b in range(B):
            row = ids[b].tolist()
            n = row.index(eos) if eos in row else len(row)
            tokens.append(row[:n])
            k = min(n + 1, len(row))
            weights.append(np.stack([a[b, :int(lengths[b])] for a in attns[:k]])
                           if attns[0] is not None else np.zeros((0, 0)))
        return tokens, weights


def _select(state, idx: np.ndarray):
    if isinstance(state, tuple):
        return tuple(s[:, idx] for s in state)
    return state[:, idx]


def sequence_loss(logits: Tensor, tgt, padding_idx: int = 0) -> Tensor:
    """Masked cross-entropy of ``Seq2Seq`` logits (B, T-1, V) against tgt[:, 1:]."""
    tgt = np.asarray(getattr(tgt, "data", tgt))
    V = logits.shape[-1]
    return F.cross_entropy(logits.reshape(-1, V), tgt[:, 1:].reshape(-1),
                           ignore_index=padding_idx)
