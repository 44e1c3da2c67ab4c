"""Every built-in differentiable op, one ``Function`` each, grouped by family.

arithmetic.py  + - * / ** maximum minimum where clamp
unary.py       exp log sqrt abs sin cos tanh sigmoid relu
reduce.py      sum mean var max min logsumexp softmax log_softmax
shape.py       reshape permute expand cat copy cast
indexing.py    getitem (and its adjoint scatter_add), index put, masked_fill
matmul.py      matmul (batched, broadcasting)
"""
