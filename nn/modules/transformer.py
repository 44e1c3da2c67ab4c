"""``torch.nn.modules.transformer``: placeholder until ``nn/transformer.py`` lands.

Then it becomes (the same class objects as ``nn.Transformer`` etc.):

    from ..transformer import (Transformer, TransformerDecoder, TransformerDecoderLayer,
                               TransformerEncoder, TransformerEncoderLayer)
"""

__all__: list[str] = []
