"""Regenerate the golden config.json files that loris-testkit's tiny models are compared against.

The goldens are what Hugging Face transformers itself writes (`config.save_pretrained`) for the
same tiny dimensions and the same token ids, read from the fixture tokenizers. Run once per layout,
each in its own virtual environment (no PyTorch needed, configs only):

    python3 -m venv /tmp/tf4 && /tmp/tf4/bin/pip install transformers==4.55.4
    python3 -m venv /tmp/tf5 && /tmp/tf5/bin/pip install transformers==5.24.0
    /tmp/tf4/bin/python make_golden.py v4
    /tmp/tf5/bin/python make_golden.py v5

Fixtures: tests/fixtures/fetch.sh (LORIS_FIXTURES or ~/.cache/loris-fixtures).
"""

import json
import os
import sys
import tempfile

import transformers as T

LAYOUT = sys.argv[1]  # "v4" (transformers 4.55.4) or "v5" (transformers 5.x)
HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.environ.get("LORIS_FIXTURES") or os.path.expanduser("~/.cache/loris-fixtures")

# name, config class, architecture, fixture tokenizer, extra config arguments
ARCHS = [
    ("llama", "LlamaConfig", "LlamaForCausalLM", "llama3_2", dict(head_dim=16, rope_theta=500000.0)),
    ("qwen2", "Qwen2Config", "Qwen2ForCausalLM", "qwen2_5", dict(rope_theta=1000000.0)),
    ("qwen3", "Qwen3Config", "Qwen3ForCausalLM", "qwen3", dict(head_dim=16, rope_theta=1000000.0)),
    ("gemma2", "Gemma2Config", "Gemma2ForCausalLM", "gemma3",
     dict(head_dim=16, query_pre_attn_scalar=16, rope_theta=10000.0)),
    ("gemma3", "Gemma3TextConfig", "Gemma3ForCausalLM", "gemma3",
     dict(head_dim=16, query_pre_attn_scalar=16, sliding_window=512,
          layer_types=["sliding_attention", "full_attention"])),
    ("mistral", "MistralConfig", "MistralForCausalLM", "mistral_nemo", dict(head_dim=16, rope_theta=1000000.0)),
    ("phi3", "Phi3Config", "Phi3ForCausalLM", "llama3_2", dict(rope_theta=10000.0)),
]


def token_info(name):
    d = os.path.join(FIXTURES, "tokenizers", name)
    tok = json.load(open(os.path.join(d, "tokenizer.json")))
    cfg = json.load(open(os.path.join(d, "tokenizer_config.json")))
    ids = dict(tok["model"]["vocab"])
    for a in tok.get("added_tokens", []):
        ids[a["content"]] = a["id"]

    def lookup(key):
        v = cfg.get(key)
        if isinstance(v, dict):
            v = v.get("content")
        return ids.get(v) if v is not None else None

    bos = lookup("bos_token")
    if bos is None:
        bos = ids.get("<|endoftext|>")
    return dict(vocab_size=max(ids.values()) + 1, bos_token_id=bos,
                eos_token_id=lookup("eos_token"), pad_token_id=lookup("pad_token"))


for name, cls, arch, tok, extra in ARCHS:
    info = token_info(tok)
    kw = dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
              intermediate_size=128, architectures=[arch], **info, **extra)
    if LAYOUT == "v4":
        kw["torch_dtype"] = "bfloat16"
    else:
        kw["dtype"] = "bfloat16"
    config = getattr(T, cls)(**kw)
    with tempfile.TemporaryDirectory() as d:
        config.save_pretrained(d)
        text = open(os.path.join(d, "config.json")).read()
    out = os.path.join(HERE, f"{name}.{LAYOUT}.config.json")
    open(out, "w").write(text)
    print(out, T.__version__)
