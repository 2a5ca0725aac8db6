"""PyTorch side of scripts/g2p-vs-pytorch.sh: the G2P Transformer of
scripts/recipe-g2p.sh written in PyTorch and trained the same way for the
same wall time, then scored the same way on the same test set. Our own
code, run by /usr/bin/python3 with Debian's PyTorch 1.13, in the setup
scripts/bench-vs-pytorch.sh gives PyTorch (2 threads, OpenMP OpenBLAS,
flushed denormals).

The model is autoreg's seq2seq: learned source and target position
embeddings, pre-LayerNorm encoder and decoder layers (PyTorch's own
nn.TransformerEncoderLayer / nn.TransformerDecoderLayer with
norm_first=True, the GELU MLP), final LayerNorms, an output layer tied to
the target embedding, N(0, 0.02) initialization, dropout after the
embeddings and every sublayer. Training: AdamW (β 0.9/0.95, ε 1e-8, weight
decay 0.1 on matrices only), gradient clipping at 1, linear warmup then a
cosine to lr/10 over the steps that fit the time budget (measured on the
first 30 steps) or over --steps, length-bucketed batches (pools of 50 batches sorted by
length, batches shuffled). Decoding: beam search of width 5, finished
hypotheses ranked by log P / length (length penalty 1, the end token
counted), a word's search ending once 5 hypotheses have ended (early
stopping), as autoreg transduce and eval --decode do. Metrics: a word is right if
the output matches any of its pronunciations (WER); PER is the edit
distance to the closest pronunciation over its length.

usage: g2p_pytorch.py --train train.tsv --dev dev.tsv --test test.tsv --minutes M|--steps N [flags]
Prints progress lines and one final JSON object.
"""
import argparse
import json
import math
import random
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(2)
torch.set_flush_denormal(True)

PAD, BOS, EOS, UNK = 0, 1, 2, 3


def read(path):
    out = []
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if not line.strip():
            continue
        src, tgt = line.split("\t", 1)
        out.append((src, tgt.split()))
    return out


class Vocab:
    def __init__(self, seqs):
        syms = sorted({s for q in seqs for s in q})
        self.ids = {s: i + 4 for i, s in enumerate(syms)}
        self.size = len(syms) + 4

    def encode(self, seq):
        return [self.ids.get(s, UNK) for s in seq]


class Seq2Seq(nn.Module):
    def __init__(self, Vs, Vt, C, H, F_, Le, Ld, S, T, p):
        super().__init__()
        self.src_emb, self.src_pos = nn.Embedding(Vs, C), nn.Embedding(S, C)
        self.tgt_emb, self.tgt_pos = nn.Embedding(Vt, C), nn.Embedding(T, C)
        self.drop = nn.Dropout(p)
        self.enc = nn.ModuleList([nn.TransformerEncoderLayer(C, H, F_, p, activation="gelu", batch_first=True,
                                                             norm_first=True) for _ in range(Le)])
        self.dec = nn.ModuleList([nn.TransformerDecoderLayer(C, H, F_, p, activation="gelu", batch_first=True,
                                                             norm_first=True) for _ in range(Ld)])
        self.enc_ln, self.dec_ln = nn.LayerNorm(C), nn.LayerNorm(C)
        for n, w in self.named_parameters():
            if w.dim() > 1:
                nn.init.normal_(w, 0, 0.02)
            elif n.endswith("bias"):
                nn.init.zeros_(w)

    def encode(self, src, src_pad):
        pos = torch.arange(src.shape[1]).unsqueeze(0)
        x = self.drop(self.src_emb(src) + self.src_pos(pos))
        for l in self.enc:
            x = l(x, src_key_padding_mask=src_pad)
        return self.enc_ln(x)

    def decode(self, y, mem, src_pad):
        T = y.shape[1]
        pos = torch.arange(T).unsqueeze(0)
        x = self.drop(self.tgt_emb(y) + self.tgt_pos(pos))
        causal = torch.triu(torch.full((T, T), float("-inf")), 1)
        for l in self.dec:
            x = l(x, mem, tgt_mask=causal, memory_key_padding_mask=src_pad)
        return self.dec_ln(x) @ self.tgt_emb.weight.t()


def batches(pairs, B, rng):
    idx = list(range(len(pairs)))
    rng.shuffle(idx)
    out = []
    for lo in range(0, len(idx), 50 * B):
        pool = sorted(idx[lo:lo + 50 * B], key=lambda i: (len(pairs[i][1]), len(pairs[i][0])))
        out += [pool[b:b + B] for b in range(0, len(pool), B)]
    rng.shuffle(out)
    return out


def tensors(pairs, ids):
    S = max(len(pairs[i][0]) for i in ids) + 1
    T = max(len(pairs[i][1]) for i in ids) + 1
    src = torch.full((len(ids), S), PAD, dtype=torch.long)
    x = torch.full((len(ids), T), PAD, dtype=torch.long)
    y = torch.full((len(ids), T), -100, dtype=torch.long)
    for r, i in enumerate(ids):
        s, t = pairs[i]
        src[r, :len(s) + 1] = torch.tensor(s + [EOS])
        x[r, :len(t) + 1] = torch.tensor([BOS] + t)
        y[r, :len(t) + 1] = torch.tensor(t + [EOS])
    return src, src == PAD, x, y


@torch.inference_mode()
def beam_search(model, src, src_pad, W, max_len):
    """Batched beam search over all sources of src (autoreg's decode rules:
    each step the 2W best extensions of the live beams; an end token among
    the W best finishes a hypothesis, the first W others live on; finished
    hypotheses ranked by log P / length with the end token counted; a
    source stops once it has W finished hypotheses: early stopping, as
    autoreg transduce and eval --decode do by default). Returns each
    source's best token list without the end token."""
    B = src.shape[0]
    mem = model.encode(src, src_pad).repeat_interleave(W, 0)
    pad = src_pad.repeat_interleave(W, 0)
    seqs = torch.full((B * W, 1), BOS, dtype=torch.long)
    scores = torch.full((B, W), float("-inf"))
    scores[:, 0] = 0
    finished = [[] for _ in range(B)]
    done = torch.zeros(B, dtype=torch.bool)
    ar = torch.arange(B).unsqueeze(1)
    for step in range(max_len):
        logp = F.log_softmax(model.decode(seqs, mem, pad)[:, -1].float(), -1)
        logp[:, BOS] = logp[:, PAD] = float("-inf")
        V = logp.shape[1]
        cand = (scores.unsqueeze(2) + logp.view(B, W, V)).view(B, W * V)
        top, ti = cand.topk(2 * W, dim=1)
        beam, tok = ti // V, ti % V
        eos = (tok == EOS) & (top > float("-inf"))
        L = step + 1  # tokens of a hypothesis ending here, its end token included
        for b, r in (eos[:, :W] & ~done.unsqueeze(1)).nonzero().tolist():
            finished[b].append((top[b, r].item() / L, seqs[b * W + beam[b, r], 1:].tolist()))
        # The first W extensions that are not the end token live on.
        key = eos.float() * (2 * W) + torch.arange(2 * W).float()
        keep = key.argsort(dim=1)[:, :W]
        nb, nt, ns = beam.gather(1, keep), tok.gather(1, keep), top.gather(1, keep)
        ns = ns.masked_fill(eos.gather(1, keep), float("-inf"))
        seqs = torch.cat([seqs[(ar * W + nb).view(-1)], nt.view(-1, 1)], 1)
        scores = ns
        for b in range(B):
            if done[b]:
                continue
            f = sorted(finished[b], reverse=True)[:W]
            finished[b] = f
            if len(f) == W or scores[b].max().item() == float("-inf"):
                done[b] = True
        if bool(done.all()):
            break
    out = []
    for b in range(B):
        live = [(scores[b, w].item() / max_len, seqs[b * W + w, 1:].tolist()) for w in range(W)
                if scores[b, w] > float("-inf")] if not done[b] else []
        live = [(s * max_len / len(t), t) for s, t in live]
        best = max(finished[b] + live, default=(0, []))
        out.append(best[1])
    return out


def edit(a, b):
    row = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        diag, row[0] = row[0], i
        for j in range(1, len(b) + 1):
            up = row[j]
            row[j] = diag if a[i - 1] == b[j - 1] else min(diag, up, row[j - 1]) + 1
            diag = up
    return row[len(b)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", required=True)
    ap.add_argument("--dev", required=True)
    ap.add_argument("--test", required=True)
    ap.add_argument("--minutes", type=float, default=0, help="train this long (the steps that fit)")
    ap.add_argument("--steps", type=int, default=0, help="train this many steps instead of --minutes")
    ap.add_argument("--enc-layers", type=int, default=2)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--dim", type=int, default=256)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--ffn", type=int, default=1024)
    ap.add_argument("--dropout", type=float, default=0.1)
    ap.add_argument("--label-smoothing", type=float, default=0.0)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--warmup", type=float, default=0.05, help="fraction of the steps")
    ap.add_argument("--context", type=int, default=40)
    ap.add_argument("--beams", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    if (a.minutes > 0) == (a.steps > 0):
        ap.error("give one of --minutes and --steps")
    torch.manual_seed(a.seed)
    rng = random.Random(a.seed)
    train, dev, test = read(a.train), read(a.dev), read(a.test)
    sv = Vocab([s for s, _ in train])
    tv = Vocab([t for _, t in train])
    enc = lambda ps: [(sv.encode(s), tv.encode(t)) for s, t in ps]
    tr, dv = enc(train), enc(dev)
    model = Seq2Seq(sv.size, tv.size, a.dim, a.heads, a.ffn, a.enc_layers, a.layers, a.context + 1, a.context, a.dropout)
    decay = [p for n, p in model.named_parameters() if p.dim() > 1 and "emb" not in n and "pos" not in n]
    other = [p for n, p in model.named_parameters() if not (p.dim() > 1 and "emb" not in n and "pos" not in n)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": other, "weight_decay": 0}],
                            lr=a.lr, betas=(0.9, 0.95), eps=1e-8)
    budget = a.minutes * 60 if a.minutes > 0 else math.inf
    total = a.steps or None  # planned steps; with --minutes set after the calibration steps
    order, pos, epoch, step, tokens = batches(tr, a.batch, rng), 0, 0, 0, 0
    start = time.time()
    calib = 30
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(),
                      "params": sum(p.numel() for p in model.parameters()), "train_pairs": len(tr)}), flush=True)
    while True:
        el = time.time() - start
        if el >= budget or step == a.steps:
            break
        if step == calib and not a.steps:
            total = max(calib + 1, int(calib * budget / el))
        planned = total or 10 ** 9
        warm = max(1, int(a.warmup * (total or 2000)))
        if step < warm:
            lr = a.lr * (step + 1) / warm
        else:
            prog = min(1.0, (step - warm) / max(1, planned - warm))
            lr = a.lr / 10 + (a.lr - a.lr / 10) * 0.5 * (1 + math.cos(math.pi * prog))
        for g in opt.param_groups:
            g["lr"] = lr
        if pos == len(order):
            order, pos, epoch = batches(tr, a.batch, rng), 0, epoch + 1
        src, pad, x, y = tensors(tr, order[pos])
        pos += 1
        model.train()
        logits = model.decode(x, model.encode(src, pad), pad)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), ignore_index=-100,
                               label_smoothing=a.label_smoothing)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        tokens += int((y != -100).sum())
        if step % 500 == 0:
            print(json.dumps({"step": step, "planned": total, "epoch": epoch, "loss": loss.item(), "lr": lr,
                              "tokens_per_sec": tokens / (time.time() - start)}), flush=True)
    train_sec = time.time() - start
    model.eval()
    # Dev loss (nats per target token, </s> included).
    with torch.inference_mode():
        nll, n = 0.0, 0
        idx = sorted(range(len(dv)), key=lambda i: (len(dv[i][1]), len(dv[i][0])))
        for lo in range(0, len(idx), 256):
            src, pad, x, y = tensors(dv, idx[lo:lo + 256])
            logits = model.decode(x, model.encode(src, pad), pad)
            nll += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), ignore_index=-100,
                                   reduction="sum").item()
            n += int((y != -100).sum())
    # Test: each word once, all its pronunciations as references.
    refs = {}
    for s, t in test:
        refs.setdefault(s, []).append(t)
    words = sorted(refs, key=len)
    t0 = time.time()
    errors = dist = reflen = 0
    for lo in range(0, len(words), 128):
        chunk = words[lo:lo + 128]
        ids = [sv.encode(w) for w in chunk]
        S = max(len(s) for s in ids) + 1
        src = torch.full((len(chunk), S), PAD, dtype=torch.long)
        for r, s in enumerate(ids):
            src[r, :len(s) + 1] = torch.tensor(s + [EOS])
        hyps = beam_search(model, src, src == PAD, a.beams, a.context - 1)
        for w, h in zip(chunk, hyps):
            out = h
            rs = [tv.encode(r) for r in refs[w]]
            ds = [(edit(out, r), -len(r), r) for r in rs]
            d, negl, _ = min(ds)
            errors += d != 0 and not any(out == r for r in rs)
            dist += d
            reflen += -negl
    print(json.dumps({"train_seconds": train_sec, "steps": step, "epochs": epoch + pos / len(order),
                      "dev_loss": nll / n, "test_words": len(words), "wer": errors / len(words),
                      "per": dist / reflen, "decode_seconds": time.time() - t0,
                      "words_per_sec": len(words) / (time.time() - t0)}), flush=True)


if __name__ == "__main__":
    sys.exit(main())
