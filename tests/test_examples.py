"""Every lesson in examples/ runs with --quick, saves its plots and clears a stated bar.

The bars are what a few seconds of training reliably reaches (seeded), well inside the
figures the full runs reach (examples/README.md), so a lesson that stops learning fails here.
"""
from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys

import numpy as np
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
    "sentiment": (lambda r: min(r["test_acc"], r["one_layer_acc"]) >= r["majority_baseline"] + 0.02,
                  "both models above always answering the majority class"),
    "pos_tagging": (lambda r: min(r["uni_acc"], r["bi_acc"]) >= r["majority_baseline"] + 0.15
                    and r["bi_acc"] > r["uni_acc"],
                    "well above the most frequent tag; seeing the words after helps"),
    "reverse_seq2seq": (lambda r: r["attention_acc"] > r["seq2seq_acc"] > r["rnn_acc"],
                        "attention > encoder-decoder > plain RNN"),
    "translate": (lambda r: r["train_bleu"] >= 10,
                  "fits its training pairs (held-out BLEU needs the full run)"),
    "caption_digits": (lambda r: r["exact_match"] >= r["majority_baseline"] + 0.1,
                       "names digits well above always writing the most frequent name"),
    "next_word": (lambda r: max(r["learned_ppl"], r["onehot_ppl"]) < 400,
                  "both learn (uniform guessing is 2000); speed is reported, not asserted"),
    "char_lm": (lambda r: r["val_bits_per_char"] < r["unigram_bits"],
                "beats character frequencies on a novel it never saw"),
    "timeseries": (lambda r: r["test_mse"] < r["baseline_mse"], "beats 'same as now'"),
    "hessian_and_gradient_penalty": (lambda r: r["hvp_rel_err"] < 1e-6
                                     and r["penalty_with"] < r["penalty_without"],
                                     "Hv matches finite differences; the penalty lowers it"),
}
# one BLAS thread per lesson: on a shared, loaded machine multi-threaded BLAS pools spin
# against each other and a quick run takes minutes instead of seconds
SERIAL = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
EXTRAS_MISSING = [m for m in ("tqdm", "matplotlib") if importlib.util.find_spec(m) is None]


def parse_result(stdout: str) -> dict[str, float]:
    lines = [ln for ln in stdout.splitlines() if ln.startswith("RESULT ")]
    assert lines, f"no RESULT line in:\n{stdout[-2000:]}"
    return {k: float(v) for k, v in re.findall(r"(\w+)=(\S+)", lines[-1])}


def test_every_lesson_has_a_bar():
    lessons = {f[:-3] for f in os.listdir(EXAMPLES)
               if f.endswith(".py") and not f.startswith("_") and f != "datasets.py"}
    assert lessons == set(BARS)


@pytest.mark.slow
@pytest.mark.skipif(bool(EXTRAS_MISSING), reason=f"the lessons need {EXTRAS_MISSING}, from the "
                    "'examples' extra: pip install -e '.[examples]'")
@pytest.mark.parametrize("lesson", sorted(BARS))
def test_lesson_quick(lesson, tmp_path):
    proc = subprocess.run([sys.executable, f"{lesson}.py", "--quick", "--out", str(tmp_path)],
                          cwd=EXAMPLES, capture_output=True, text=True, timeout=600,
                          env={**os.environ, **SERIAL})
    assert proc.returncode == 0, proc.stderr[-3000:]
    metrics = parse_result(proc.stdout)
    bar, statement = BARS[lesson]
    assert bar(metrics), f"{lesson}: {metrics} does not meet the bar: {statement}"
    saved = re.findall(r"^saved (.+)$", proc.stdout, re.M)
    if lesson != "custom_op_gradcheck":  # the one lesson that is all text
        assert saved, "the lesson saved no plot"
    for path in saved:
        assert os.path.getsize(path) > 1000, f"{path} is empty"


def test_missing_extra_is_named_before_any_work():
    sys.path.insert(0, EXAMPLES)
    try:
        import _common
    finally:
        sys.path.remove(EXAMPLES)
    with pytest.raises(SystemExit, match=r"needs no_such_module_xyz.*'examples' extra.*pip"):
        _common.require("tqdm", "no_such_module_xyz")


def test_lesson_data_ships_with_sources_and_licences():
    """Every data file the lessons read is in examples/data and named in its README."""
    data = os.path.join(EXAMPLES, "data")
    readme = open(os.path.join(data, "README.md"), encoding="utf-8").read()
    rows = {ln.split("`")[1]: [c.strip() for c in ln.strip().strip("|").split("|")]
            for ln in readme.splitlines() if ln.startswith("| `")}
    files = [f for f in os.listdir(data) if f != "README.md"]
    assert files
    for f in files:
        assert f in rows, f"examples/data/README.md has no row for {f}"
        what, source, licence = rows[f][1:]
        assert what and source and licence, f"{f}: what, source and licence must all be given"


def test_plot_attention_leaves_the_backend_alone(tmp_path):
    mpl = pytest.importorskip("matplotlib")
    from nn.utils.plot import plot_attention

    before = mpl.get_backend()
    path = plot_attention(np.full((2, 3), 1 / 3), list("abc"), list("xy"), str(tmp_path / "a.png"))
    assert mpl.get_backend() == before
    assert os.path.getsize(path) > 1000


def _datasets_module():
    spec = importlib.util.spec_from_file_location("lesson_datasets",
                                                  os.path.join(EXAMPLES, "datasets.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_full_sets_are_read_as_published_from_a_data_folder(tmp_path, monkeypatch):
    """The full sentiment and tagging sets are found in $MINIGRAD_DATA (or shared/data/) in
    the form their publishers ship: UCI's three labelled files and UD's CoNLL-U files, with
    multi-word token ranges and empty nodes skipped."""
    ds = _datasets_module()
    samples = (len(ds.sentiment_sentences()[0]), len(ds.tagged_sentences()))
    for i, name in enumerate(ds.UCI_FILES):
        (tmp_path / name).write_text(f"Great film {i}.  \t1\nAwful, dull {i}.\t0\n",
                                     encoding="utf-8")
    conllu = ("# sent_id = a\n# text = I can't.\n"
              "1\tI\tI\tPRON\tPRP\t_\t2\tnsubj\t_\t_\n"
              "2-3\tcan't\t_\t_\t_\t_\t_\t_\t_\t_\n"
              "2\tca\tcan\tAUX\tMD\t_\t0\troot\t_\t_\n"
              "3\tn't\tnot\tPART\tRB\t_\t2\tadvmod\t_\t_\n"
              "3.1\tgo\tgo\tVERB\tVB\t_\t_\t_\t2:conj\t_\n"
              "4\t.\t.\tPUNCT\t.\t_\t2\tpunct\t_\t_\n\n")
    for name in ds.UD_FILES:
        (tmp_path / name).write_text(conllu, encoding="utf-8")
    monkeypatch.setenv("MINIGRAD_DATA", str(tmp_path))
    texts, labels = ds.sentiment_sentences()
    assert texts[:2] == ["Great film 0.", "Awful, dull 0."] and len(texts) == 6
    assert labels.tolist() == [1, 0] * 3
    tagged = ds.tagged_sentences()
    assert tagged == [[("I", "PRON"), ("ca", "AUX"), ("n't", "PART"), (".", "PUNCT")]] * 3
    monkeypatch.delenv("MINIGRAD_DATA")  # without it: the committed samples again
    assert (len(ds.sentiment_sentences()[0]), len(ds.tagged_sentences())) == samples


def test_a_malformed_conllu_line_is_named(tmp_path):
    ds = _datasets_module()
    bad = tmp_path / "bad.conllu"
    bad.write_text("1\tI\tPRON\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not a CoNLL-U word line"):
        ds.read_conllu(str(bad))
