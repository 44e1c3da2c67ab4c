"""nn's Numba kernels, each beside its plain numpy reference (``mg.reference_mode()`` runs the
references): the whole-sequence recurrences and the fused softmax + cross-entropy."""
