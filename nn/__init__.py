"""nn: modules built on minigrad."""
