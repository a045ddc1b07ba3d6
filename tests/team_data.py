"""Team data the tests write: the shape of a Llama-3.1-8B-like model, shared by the files that
need a team model profile."""

# The body of a dense 8B model (32 layers, GQA with 8 KV heads); no braces, so it can be joined
# into templates that are later `.format()`-ed.
SHAPE_8B = """\
layers = 32
hidden = 4096
intermediate = 14336
heads = 32
kv_heads = 8
head_dim = 128
vocab = 128256
"""
