#!/usr/bin/env python3
"""Scoring and statistics of scripts/exposure-bias.sh (standard library only).

  g2p REFS.tsv WORDS.txt OUT.txt            per-word errors as JSON lines
  text-windows TEXT DIR N LEN SEED          N windows of LEN characters of TEXT as DIR/NNN.txt
  repetition DIR SPAN                       per file: 1 if a span of SPAN characters repeats
  report WORKDIR                            the tables, with paired bootstrap intervals

A word is right if the output equals one of its pronunciations; its phoneme
errors are the edit distance to the closest one, over that one's length
(summed over words: PER). Intervals are 95% percentile intervals of 2,000
bootstrap resamples of the test items (paired: the same resample for both
sides of a difference).
"""
import glob
import json
import os
import random
import sys


def edit(a, b):
    row = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        diag, row[0] = row[0], i
        for j in range(1, len(b) + 1):
            up = row[j]
            row[j] = diag if a[i - 1] == b[j - 1] else min(diag, up, row[j - 1]) + 1
            diag = up
    return row[-1]


def g2p(refs_path, words_path, out_path):
    refs = {}
    for line in open(refs_path, encoding="utf-8"):
        w, p = line.rstrip("\n").split("\t")
        refs.setdefault(w, []).append(p.split())
    words = [l.rstrip("\n") for l in open(words_path, encoding="utf-8")]
    outs = [l.rstrip("\n").split() for l in open(out_path, encoding="utf-8")]
    assert len(words) == len(outs), (len(words), len(outs))
    for w, o in zip(words, outs):
        best = min(((edit(o, r), len(r)) for r in refs[w]), key=lambda t: (t[0], -t[1]))
        print(json.dumps({"word": w, "err": int(best[0] > 0), "edits": best[0], "len": best[1]}))


def text_windows(text_path, out_dir, n, length, seed):
    text = open(text_path, encoding="utf-8").read()
    rng = random.Random(int(seed))
    os.makedirs(out_dir, exist_ok=True)
    for i in range(int(n)):
        s = rng.randrange(0, len(text) - int(length))
        with open(os.path.join(out_dir, f"{i:03d}.txt"), "w", encoding="utf-8") as f:
            f.write(text[s:s + int(length)])


def repeated(text, span):
    seen = set()
    for i in range(len(text) - span + 1):
        s = text[i:i + span]
        if s in seen:
            return 1
        seen.add(s)
    return 0


def repetition(d, span):
    for p in sorted(glob.glob(os.path.join(d, "*.txt"))):
        print(repeated(open(p, encoding="utf-8").read(), int(span)))


def boot(stat, n, reps=2000, seed=1):
    rng = random.Random(seed)
    vals = sorted(stat([rng.randrange(n) for _ in range(n)]) for _ in range(reps))
    return vals[int(0.025 * reps)], vals[int(0.975 * reps)]


def load_words(path):
    return [json.loads(l) for l in open(path)]


def runinfo(d, seeds, extra, *remedies):
    """The JSON of a task's runs: its seeds, and for every remedy NAME=LABEL
    its label, the setting chosen (NAME.chosen) and the development score of
    every setting tried (NAME.dev: "score index setting" lines)."""
    out = json.loads(extra)
    out["seeds"] = [int(x) for x in seeds.split()]
    out["remedies"], out["dev"] = [], {}
    for r in remedies:
        name, label = r.split("=", 1)
        setting = "–"
        if name != "tf":
            setting = "`" + open(os.path.join(d, f"{name}.chosen")).read().strip() + "`"
            out["dev"][name] = [[l.split(" ", 2)[2].strip(), float(l.split()[0])] for l in open(os.path.join(d, f"{name}.dev"))]
        out["remedies"].append({"name": name, "label": label, "setting": setting})
    print(json.dumps(out))


def print_dev(c, what):
    if c.get("dev"):
        print(f"\n{what} of every setting tried (seed 1; the best of each remedy was kept):\n")
        for name, rows in c["dev"].items():
            print(f"- {name}: " + ", ".join(f"`{s}` {v:.5g}" for s, v in rows))


def report(work):
    cfg = json.load(open(os.path.join(work, "runs.json")))
    g2p_report(work, cfg)
    births_report(work, cfg)
    text_report(work, cfg)


def mean_over_seeds(work, task, name, seeds, suffix):
    per = [load_words(os.path.join(work, task, f"{name}.s{s}.{suffix}.jsonl")) for s in seeds]
    out = []
    for items in zip(*per):
        out.append({k: sum(it[k] for it in items) / len(items) for k in ("err", "edits", "len")})
    return out


def g2p_report(work, cfg):
    c = cfg.get("g2p")
    if not c:
        return
    print(f"\n## Grapheme-to-phoneme (test words: WER / PER in %, mean of seeds {c['seeds']})\n")
    print("| training | setting (chosen on dev) | greedy WER | greedy PER | beam-5 WER | beam-5 PER | greedy WER vs teacher forcing, relative (95% CI) |")
    print("|---|---|---|---|---|---|---|")
    base = {m: mean_over_seeds(work, "g2p", "tf", c["seeds"], m) for m in ("greedy", "beam")}
    n = len(base["greedy"])
    for rem in c["remedies"]:
        name, setting = rem["name"], rem["setting"]
        cur = base if name == "tf" else {m: mean_over_seeds(work, "g2p", name, c["seeds"], m) for m in ("greedy", "beam")}
        row = []
        for m in ("greedy", "beam"):
            w = cur[m]
            row += [100 * sum(x["err"] for x in w) / n, 100 * sum(x["edits"] for x in w) / sum(x["len"] for x in w)]
        rel = ""
        if name != "tf":
            b, g = base["greedy"], cur["greedy"]

            def stat(idx):
                bs = sum(b[i]["err"] for i in idx)
                return (sum(g[i]["err"] for i in idx) - bs) / max(bs, 1e-9)
            lo, hi = boot(stat, n)
            rel = f"{100 * stat(range(n)):+.1f}% ({100 * lo:+.1f}, {100 * hi:+.1f})"
        print(f"| {rem['label']} | {setting} | {row[0]:.2f} | {row[1]:.2f} | {row[2]:.2f} | {row[3]:.2f} | {rel} |")
    names = [r["name"] for r in c["remedies"]]
    if "ft" in names and "mrt" in names:
        b, g = mean_over_seeds(work, "g2p", "ft", c["seeds"], "greedy"), mean_over_seeds(work, "g2p", "mrt", c["seeds"], "greedy")

        def stat(idx):
            bs = sum(b[i]["err"] for i in idx)
            return (sum(g[i]["err"] for i in idx) - bs) / max(bs, 1e-9)
        lo, hi = boot(stat, n)
        print(f"\nMRT against its control (the same fine-tuning by likelihood), greedy WER: {100 * stat(range(n)):+.1f}% ({100 * lo:+.1f}, {100 * hi:+.1f})")
    print_dev(c, "Development greedy WER (%)")


def origins(work, name, seeds, lead):
    """Per-origin CRPS at lead, mean over seeds (None where unscored)."""
    cols = []
    for s in seeds:
        vals = {}
        for line in open(os.path.join(work, "births", f"{name}.s{s}.origins.csv")).readlines()[1:]:
            o, h, v = line.split(",")
            if int(h) == lead:
                vals[int(o)] = float(v)
        cols.append(vals)
    return [None if any(c[o] != c[o] for c in cols) else sum(c[o] for c in cols) / len(cols) for o in sorted(cols[0])]


def births_report(work, cfg):
    c = cfg.get("births")
    if not c:
        return
    leads = c["leads"]
    print(f"\n## Births: fair CRPS by lead (births/day; every test origin, mean of seeds {c['seeds']}; "
          "in brackets the change against teacher forcing with its 95% paired bootstrap interval over origins)\n")
    print("| training | setting | " + " | ".join(f"lead {h}" for h in leads) + " | one-step NLL (std) |")
    print("|---|---|" + "---|" * len(leads) + "---|")
    base = {h: origins(work, "tf", c["seeds"], h) for h in leads}
    for rem in c["remedies"]:
        cells, nll = [], 0.0
        for s in c["seeds"]:
            nll += json.load(open(os.path.join(work, "births", f"{rem['name']}.s{s}.eval.json")))["nll_std"] / len(c["seeds"])
        for h in leads:
            cur = origins(work, rem["name"], c["seeds"], h)
            ok = [i for i in range(len(cur)) if cur[i] is not None and base[h][i] is not None]
            mean = sum(cur[i] for i in ok) / len(ok)
            if rem["name"] == "tf":
                cells.append(f"{mean:.1f}")
                continue

            def stat(idx):
                return 100 * (sum(cur[ok[i]] for i in idx) / sum(base[h][ok[i]] for i in idx) - 1)
            lo, hi = boot(stat, len(ok))
            cells.append(f"{mean:.1f} ({stat(range(len(ok))):+.1f}% [{lo:+.1f}, {hi:+.1f}])")
        print(f"| {rem['label']} | {rem['setting']} | " + " | ".join(cells) + f" | {nll:.4f} |")
    names = [r["name"] for r in c["remedies"]]
    if "ft" in names and "mrt" in names:
        cells = []
        for h in leads:
            cur, ctl = origins(work, "mrt", c["seeds"], h), origins(work, "ft", c["seeds"], h)
            ok = [i for i in range(len(cur)) if cur[i] is not None and ctl[i] is not None]

            def stat(idx):
                return 100 * (sum(cur[ok[i]] for i in idx) / sum(ctl[ok[i]] for i in idx) - 1)
            lo, hi = boot(stat, len(ok))
            cells.append(f"lead {h} {stat(range(len(ok))):+.1f}% [{lo:+.1f}, {hi:+.1f}]")
        print("\nMRT against its control (the same fine-tuning by likelihood): " + ", ".join(cells))
    print_dev(c, "Validation CRPS over leads 1–28 (births per day)")


def text_report(work, cfg):
    c = cfg.get("text")
    if not c:
        return
    print(f"\n## Char GPT, tiny Shakespeare (seeds {c['seeds']}; {c['samples']} samples of {c['chars']} characters at temperature 1)\n")
    print("| text | held-out NLL (nats/char) | repeated span ≥ 30 chars (% of samples, 95% CI) | judge 8-gram NLL (nats/char, 95% CI) |")
    print("|---|---|---|---|")

    def sets(name):
        rep, nll = [], []
        for s in c["seeds"]:
            rep += [int(l) for l in open(os.path.join(work, "text", f"{name}.s{s}.rep"))]
            nll += [json.loads(l) for l in open(os.path.join(work, "text", f"{name}.s{s}.judge.jsonl"))]
        return rep, nll

    def row(label, held, rep, nll):
        n = len(rep)
        lo, hi = boot(lambda idx: 100 * sum(rep[i] for i in idx) / n, n)
        tot = lambda idx: sum(nll[i]["nats"] for i in idx) / sum(nll[i]["chars"] for i in idx)
        nlo, nhi = boot(tot, len(nll))
        print(f"| {label} | {held} | {100 * sum(rep) / n:.1f} ({lo:.1f}, {hi:.1f}) | {tot(range(len(nll))):.3f} ({nlo:.3f}, {nhi:.3f}) |")

    rep = [int(l) for l in open(os.path.join(work, "text", "real.rep"))]
    nll = [json.loads(l) for l in open(os.path.join(work, "text", "real.judge.jsonl"))]
    row("real held-out text", "–", rep, nll)
    for rem in c["remedies"]:
        held = sum(json.load(open(os.path.join(work, "text", f"{rem['name']}.s{s}.eval.json")))["nats_per_char"]
                   for s in c["seeds"]) / len(c["seeds"])
        r, j = sets(rem["name"])
        row(f"{rem['label']} ({rem['setting']})", f"{held:.4f}", r, j)
    print_dev(c, "Validation NLL (nats per character)")


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"g2p": g2p, "text-windows": text_windows, "repetition": repetition, "runinfo": runinfo, "report": report}[cmd](*args)
