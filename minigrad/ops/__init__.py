"""Every built-in differentiable op, one ``Function`` each, grouped by family.

arithmetic.py  + - * / ** maximum minimum where clip
unary.py       exp log sqrt abs tanh sigmoid relu sin cos
reduce.py      sum mean var max min logsumexp softmax log_softmax
shape.py       reshape permute expand cat split
indexing.py    getitem gather index_select masked_fill
matmul.py      matmul (batched, broadcasting)
"""
