"""Scores a `leviathan export --hf` folder with transformers' GPT2LMHeadModel on the validation split,
in the windows `leviathan eval` uses (consecutive, non-overlapping, context+1 characters)."""
import json, math, sys
import torch
from transformers import GPT2LMHeadModel
import transformers

folder, data = sys.argv[1], sys.argv[2]
model = GPT2LMHeadModel.from_pretrained(folder)
model.eval()
vocab = json.load(open(f"{folder}/vocab.json", encoding="utf-8"))
text = open(data, encoding="utf-8").read()
ids = [vocab[c] for c in text]
val = ids[int(len(ids) * 0.9):]
T = model.config.n_positions
n = len(val) // (T + 1)
total = 0.0
with torch.no_grad():
    for b in range(0, n, 16):
        rows = [val[w * (T + 1):(w + 1) * (T + 1)] for w in range(b, min(n, b + 16))]
        x = torch.tensor([r[:-1] for r in rows])
        y = torch.tensor([r[1:] for r in rows])
        logits = model(x).logits
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1), reduction="sum")
        total += loss.item()
mean = total / (n * T)
print(f"transformers {transformers.__version__}, torch {torch.__version__}: {n} windows of {T + 1}: loss {mean:.5f}, {mean / math.log(2):.4f} bpc")
