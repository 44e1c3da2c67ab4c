"""Every lesson in examples/ runs with --quick, saves its plots and clears a stated bar.

The bars are what a few seconds of training reliably reaches (seeded), well inside the
figures the full runs reach (examples/README.md), so a lesson that stops learning fails here.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")

# lesson -> (bar on its RESULT metrics, human-readable statement of the bar)
BARS = {
    "hello_char_rnn": (lambda r: r["accuracy"] == 1.0, "learns hell -> ello exactly"),
    "xor_parity": (lambda r: r["rnn_acc"] >= 0.85 and r["mlp_acc"] <= 0.75,
                   "RNN generalises to held-out lengths, the MLP does not"),
    "custom_op_gradcheck": (lambda r: r["ok"] == 1 and r["caught"] == 1,
                            "right backward passes, wrong backward is caught"),
    "vanishing_gradients": (lambda r: r["rnn_ratio"] < r["lstm_ratio"]
                            and r["rnn_ratio"] < r["gru_ratio"]
                            and r["lstm_forget_bias_ratio"] > 1e3 * r["lstm_ratio"]
                            and abs(r["clipped_norm"] - 1.0) < 1e-3,
                            "RNN decays fastest, forget bias 3 keeps gradient, clip caps at 1"),
    "sentiment": (lambda r: r["test_acc"] >= 0.57 and r["one_layer_acc"] >= 0.57,
                  "above the 0.54 of always answering the majority class"),
    "pos_tagging": (lambda r: r["uni_acc"] >= 0.5 and r["bi_acc"] >= 0.5,
                    "well above the 0.17 of the most frequent tag"),
    "reverse_seq2seq": (lambda r: r["attention_acc"] > r["seq2seq_acc"] > r["rnn_acc"],
                        "attention > encoder-decoder > plain RNN"),
    "translate": (lambda r: r["train_bleu"] >= 20,
                  "fits its training pairs (held-out BLEU needs the full run)"),
    "caption_digits": (lambda r: r["exact_match"] >= 0.2, "names some digits exactly"),
    "next_word": (lambda r: max(r["learned_ppl"], r["onehot_ppl"]) < 400,
                  "both learn (uniform guessing is 2000); speed is not asserted here"),
    "char_lm": (lambda r: r["val_bits_per_char"] < 4.0, "below the 4.6 bits of a uniform guess"),
    "timeseries": (lambda r: r["test_mse"] < r["baseline_mse"], "beats the last-value baseline"),
}


def parse_result(stdout: str) -> dict[str, float]:
    lines = [ln for ln in stdout.splitlines() if ln.startswith("RESULT ")]
    assert lines, f"no RESULT line in:\n{stdout[-2000:]}"
    return {k: float(v) for k, v in re.findall(r"(\w+)=(\S+)", lines[-1])}


def test_every_lesson_has_a_bar():
    lessons = {f[:-3] for f in os.listdir(EXAMPLES)
               if f.endswith(".py") and not f.startswith("_") and f != "datasets.py"}
    assert lessons == set(BARS)


@pytest.mark.slow
@pytest.mark.parametrize("lesson", sorted(BARS))
def test_lesson_quick(lesson, tmp_path):
    proc = subprocess.run([sys.executable, f"{lesson}.py", "--quick", "--out", str(tmp_path)],
                          cwd=EXAMPLES, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "MPLBACKEND": "Agg"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    metrics = parse_result(proc.stdout)
    bar, statement = BARS[lesson]
    assert bar(metrics), f"{lesson}: {metrics} does not meet the bar: {statement}"
    saved = re.findall(r"^saved (.+)$", proc.stdout, re.M)
    if lesson != "custom_op_gradcheck":  # the one lesson that is all text
        assert saved, "the lesson saved no plot"
    for path in saved:
        assert os.path.getsize(path) > 1000, f"{path} is empty"
