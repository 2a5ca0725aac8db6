"""PyTorch side of scripts/bench-vs-pytorch.sh: the same models and batches as
autoreg's Go benchmarks (gpt.BenchmarkTrainStep, gpt.BenchmarkGenerate and
the char LSTM row), timed the same way. Our own code, run by /usr/bin/python3
with PyTorch 1.13 from Debian. Prints one JSON object per benchmark row.

usage: bench_pytorch.py [gpt-train|gpt-generate|lstm-train ...] [--reps N]
"""
import json
import math
import os
import re
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(2)
# Denormals (tiny gradients late in a step) would take the slow path.
torch.set_flush_denormal(True)


def setup_line():
    cfg = torch.__config__.show()
    blas = re.search(r"BLAS_INFO=([^,]+)", cfg)
    loaded = sorted({l.split()[-1] for l in open("/proc/self/maps") if "blas" in l.lower() and "/" in l})
    return {"torch": torch.__version__, "threads": torch.get_num_threads(),
            "blas_info": blas.group(1) if blas else "?", "blas_loaded": loaded,
            "cpu_capability": (re.search(r"CPU capability usage: (\S+)", cfg) or [None, "?"])[1],
            "mkldnn": torch.backends.mkldnn.is_available() and torch.backends.mkldnn.enabled,
            "env": {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OMP_NUM_THREADS",
                                                    "ATEN_CPU_CAPABILITY", "LD_LIBRARY_PATH")}}


class Block(nn.Module):
    def __init__(self, C, H):
        super().__init__()
        self.H = H
        self.ln1 = nn.LayerNorm(C)
        self.qkv = nn.Linear(C, 3 * C)
        self.proj = nn.Linear(C, C)
        self.ln2 = nn.LayerNorm(C)
        self.fc = nn.Linear(C, 4 * C)
        self.fcproj = nn.Linear(4 * C, C)

    def attn(self, x, cache=None):
        B, T, C = x.shape
        hs = C // self.H
        q, k, v = self.qkv(x).split(C, dim=2)
        q = q.view(B, T, self.H, hs).transpose(1, 2)
        k = k.view(B, T, self.H, hs).transpose(1, 2)
        v = v.view(B, T, self.H, hs).transpose(1, 2)
        if cache is not None:  # incremental: (k, v) of earlier positions
            if cache[0] is not None:
                k = torch.cat([cache[0], k], dim=2)
                v = torch.cat([cache[1], v], dim=2)
            cache[0], cache[1] = k, v
        S = k.shape[2]
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hs))
        if T > 1:
            mask = torch.ones(T, S, dtype=torch.bool).tril(S - T)
            att = att.masked_fill(~mask, float("-inf"))
        att = F.softmax(att, dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        return self.proj(y)

    def forward(self, x, cache=None):
        x = x + self.attn(self.ln1(x), cache)
        x = x + self.fcproj(F.gelu(self.fc(self.ln2(x)), approximate="tanh"))
        return x


class GPT(nn.Module):
    """Pre-LayerNorm GPT-2: learned positions, tied output embedding."""

    def __init__(self, V, L, C, H, T):
        super().__init__()
        self.wte = nn.Embedding(V, C)
        self.wpe = nn.Embedding(T, C)
        self.blocks = nn.ModuleList([Block(C, H) for _ in range(L)])
        self.lnf = nn.LayerNorm(C)

    def forward(self, idx, pos0=0, caches=None):
        T = idx.shape[1]
        x = self.wte(idx) + self.wpe(torch.arange(pos0, pos0 + T))
        for i, b in enumerate(self.blocks):
            x = b(x, None if caches is None else caches[i])
        return self.lnf(x) @ self.wte.weight.t()


def timed(fn, reps, warm=2):
    for _ in range(warm):
        fn()
    ts = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts)


def gpt_train(reps):
    V, L, C, H, T, B = 65, 4, 256, 4, 128, 16
    torch.manual_seed(1)
    m = GPT(V, L, C, H, T)
    opt = torch.optim.AdamW(m.parameters(), lr=1e-3, betas=(0.9, 0.95), weight_decay=0.1)
    x = torch.randint(0, V, (B, T))
    y = torch.randint(0, V, (B, T))

    def step():
        opt.zero_grad(set_to_none=True)
        logits = m(x)
        loss = F.cross_entropy(logits.view(-1, V), y.view(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
        opt.step()

    sec = timed(step, reps)
    return {"row": "gpt-train", "tokens_per_sec": B * T / sec, "step_seconds": sec,
            "setup": "4 layers, 4 heads, width 256, context 128, batch 16, vocab 65; AdamW, clip 1"}


def gpt_generate(reps):
    V, L, C, H, T = 65, 4, 256, 4, 128
    torch.manual_seed(1)
    m = GPT(V, L, C, H, T).eval()
    prompt = torch.arange(16).view(1, 16)

    @torch.inference_mode()
    def run():
        # Same policy as gpt.State: when the window is full, drop the
        # oldest half and re-encode the rest in one pass.
        window = list(range(16))
        caches = [[None, None] for _ in range(L)]
        logits = m(prompt, 0, caches)
        F.log_softmax(logits[:, -1], dim=-1)
        for i in range(256):
            tok = i % 60
            if len(window) == T:
                window = window[T // 2:]
                caches = [[None, None] for _ in range(L)]
                m(torch.tensor([window]), 0, caches)
            logits = m(torch.tensor([[tok]]), len(window), caches)
            window.append(tok)
            F.log_softmax(logits[:, -1], dim=-1)

    sec = timed(run, reps, warm=2)
    return {"row": "gpt-generate", "tokens_per_sec": 256 / sec,
            "setup": "batch 1, prompt 16, 256 new tokens, KV cache, half-window shift at 128"}


def lstm_train(reps):
    V, E, Hd, T, B = 65, 64, 512, 128, 32
    torch.manual_seed(1)
    emb = nn.Embedding(V, E)
    rnn = nn.LSTM(E, Hd, num_layers=1, batch_first=True)
    head = nn.Linear(Hd, V)
    params = list(emb.parameters()) + list(rnn.parameters()) + list(head.parameters())
    opt = torch.optim.AdamW(params, lr=1e-3, weight_decay=0.1)
    x = torch.randint(0, V, (B, T))
    y = torch.randint(0, V, (B, T))
    state = [None]

    def step():
        opt.zero_grad(set_to_none=True)
        h = state[0]
        out, (hn, cn) = rnn(emb(x), h)
        state[0] = (hn.detach(), cn.detach())  # truncated BPTT: carry the state
        loss = F.cross_entropy(head(out).reshape(-1, V), y.reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()

    sec = timed(step, reps)
    return {"row": "lstm-train", "tokens_per_sec": B * T / sec, "step_seconds": sec,
            "setup": "1 layer, hidden 512, embedding 64, sequence 128, batch 32, vocab 65"}


def main():
    args = sys.argv[1:]
    reps = 20
    if "--reps" in args:
        i = args.index("--reps")
        reps = int(args[i + 1])
        del args[i:i + 2]
    rows = args or ["gpt-train", "gpt-generate", "lstm-train"]
    print(json.dumps({"row": "setup", **setup_line()}), flush=True)
    fns = {"gpt-train": gpt_train, "gpt-generate": gpt_generate, "lstm-train": lstm_train}
    for r in rows:
        print(json.dumps(fns[r](reps)), flush=True)


if __name__ == "__main__":
    main()
