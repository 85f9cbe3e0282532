#!/usr/bin/python3
"""Run gensim's KeyedVectors on word vectors and save its answers as JSON.

The fixtures are what vecbolt's parity suite (query/keyedvectors_parity_test.go)
compares against: the same seeded queries asked of vecbolt must give the same
answers. Regenerate them with

    apt-get install -y python3-gensim python3-numpy     # gensim 4.2 on Debian 12
    python3 bench/gensim/parity.py \
        --vectors query/sample/glove-10k-100d.txt.gz \
        --out query/testdata/gensim/parity-10k.json
    python3 bench/gensim/parity.py \
        --vectors ../shared/data/glove-50k-100d.txt.gz \
        --out query/testdata/gensim/parity-50k.json

--formats query/format/testdata/gensim also writes word2vec files with gensim (text, binary, vocab
counts) for query/format's tests and reads back the files vecbolt wrote there.
"""
import argparse
import json
import os
import random
import sys

import gensim
import numpy as np
from gensim.models import KeyedVectors


def pairs(res):
    return [[w, float(s)] for w, s in res]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vectors", required=True, help="GloVe text file (.txt or .txt.gz), no header")
    ap.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data"),
                    help="directory with questions-words.txt, wordsim353.tsv, simlex999.txt")
    ap.add_argument("--out", help="fixture to write (none: only --formats)")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--formats", help="directory for the word2vec format files")
    args = ap.parse_args()

    kv = KeyedVectors.load_word2vec_format(args.vectors, binary=False, no_header=True)
    if args.formats:
        formats(kv, args.formats)
    if not args.out:
        return
    words = kv.index_to_key
    rng = random.Random(args.seed)
    common = words[:5000]  # queries use frequent words, answers come from all
    pick = lambda n: rng.sample(common, n)
    out = {
        "gensim": gensim.__version__,
        "numpy": np.__version__,
        "vectors": os.path.basename(args.vectors),
        "words": len(words),
        "seed": args.seed,
        "queries": args.queries,
    }

    ms, cm, sim, nsim, rank, closer, odd, dists, given, byvec, rcs = ([] for _ in range(11))
    for i in range(args.queries):
        # most_similar: one to three positive keys, zero to two negative,
        # every fourth query restricted to the first 3,000 words.
        pos = pick(1 + i % 3)
        neg = pick(i % 3) if i % 5 else []
        restrict = 3000 if i % 4 == 3 else None
        ms.append({"positive": pos, "negative": neg, "topn": 10, "restrict": restrict or 0,
                   "result": pairs(kv.most_similar(positive=pos, negative=neg, topn=10, restrict_vocab=restrict))})
        pos, neg = pick(1 + i % 2), pick(i % 2)
        # gensim 4.2's most_similar_cosmul accepts restrict_vocab and ignores
        # it (vecbolt honours it), so cosmul queries are not restricted.
        cm.append({"positive": pos, "negative": neg, "topn": 10, "restrict": 0,
                   "result": pairs(kv.most_similar_cosmul(positive=pos, negative=neg, topn=10))})
        a, b = pick(2)
        sim.append({"a": a, "b": b, "value": float(kv.similarity(a, b))})
        ws1, ws2 = pick(1 + i % 4), pick(1 + (i // 4) % 3)
        nsim.append({"a": ws1, "b": ws2, "value": float(kv.n_similarity(ws1, ws2))})
        rank.append({"a": a, "b": b, "value": int(kv.rank(a, b))})
        # closer_than towards a near neighbour, so the answer is short.
        near = kv.most_similar(a, topn=30)[rng.randrange(30)][0]
        closer.append({"a": a, "b": near, "value": list(kv.closer_than(a, near))})
        group = pick(3 + i % 3)
        odd.append({"words": group, "value": kv.doesnt_match(group)})
        others = pick(5)
        dists.append({"a": a, "others": others, "value": [float(x) for x in kv.distances(a, others)]})
        given.append({"a": a, "candidates": others, "value": kv.most_similar_to_given(a, others)})
        scale = [0.5, 1.0, 3.0][i % 3]
        byvec.append({"word": b, "scale": scale, "topn": 10, "restrict": restrict or 0,
                      "result": pairs(kv.similar_by_vector(kv[b] * np.float32(scale), topn=10, restrict_vocab=restrict))})
        rcs.append({"a": a, "b": b, "topn": 10, "value": float(kv.relative_cosine_similarity(a, b, topn=10))})
    # most_similar with (key, weight) terms: gensim uses a tuple's weight as
    # given, in either list. A separate generator keeps the queries above
    # unchanged.
    wrng = random.Random(args.seed + 1)
    weighted = []
    for i in range(args.queries):
        terms = [[k, round(wrng.choice([-1, 1]) * wrng.uniform(0.2, 1.5), 3)] for k in wrng.sample(common, 2 + i % 2)]
        restrict = 3000 if i % 4 == 3 else None
        weighted.append({"terms": terms, "topn": 10, "restrict": restrict or 0,
                         "result": pairs(kv.most_similar(positive=[tuple(t) for t in terms], topn=10, restrict_vocab=restrict))})
    out.update(most_similar=ms, most_similar_weighted=weighted, most_similar_cosmul=cm, similarity=sim, n_similarity=nsim, rank=rank,
               closer_than=closer, doesnt_match=odd, distances=dists, most_similar_to_given=given,
               similar_by_vector=byvec, relative_cosine_similarity=rcs)

    # evaluate_word_analogies, gensim's defaults spelled out.
    qpath = os.path.join(args.data, "questions-words.txt")
    score, sections = kv.evaluate_word_analogies(qpath, restrict_vocab=300000, case_insensitive=True)
    questions = 0
    with open(qpath, encoding="utf8") as f:
        for line in f:
            if not line.startswith(":") and len(line.split()) == 4:
                questions += 1
    answered = sum(len(s["correct"]) + len(s["incorrect"]) for s in sections if s["section"] != "Total accuracy")
    out["evaluate_word_analogies"] = {
        "file": "questions-words.txt", "restrict": 300000, "case_insensitive": True,
        "score": float(score), "questions": questions, "skipped": questions - answered,
        "sections": [{"section": s["section"], "correct": len(s["correct"]), "incorrect": len(s["incorrect"])}
                     for s in sections],
    }
    ev = []
    for name in ["wordsim353.tsv", "simlex999.txt"]:
        (pearson, _), (spearman, _), oov = kv.evaluate_word_pairs(os.path.join(args.data, name))
        ev.append({"file": name, "pearson": float(pearson), "spearman": float(spearman.correlation if hasattr(spearman, "correlation") else spearman),
                   "oov_ratio": float(oov)})
    out["evaluate_word_pairs"] = ev

    with open(args.out, "w", encoding="utf8") as f:
        json.dump(out, f, indent=None, separators=(",", ":"))
        f.write("\n")
    print(f"{args.out}: {args.queries} queries of each kind on {len(words)} words, gensim {gensim.__version__}",
          file=sys.stderr)


def formats(kv, d):
    """gensim writes word2vec files for vecbolt to read, and reads vecbolt's."""
    os.makedirs(d, exist_ok=True)
    small = KeyedVectors(kv.vector_size)
    keys = kv.index_to_key[:40]
    small.add_vectors(keys, kv[keys])
    for i, k in enumerate(keys):
        small.set_vecattr(k, "count", 1000 - 7 * i)
    small.save_word2vec_format(os.path.join(d, "gensim.txt"), fvocab=os.path.join(d, "gensim.vocab"), binary=False)
    small.save_word2vec_format(os.path.join(d, "gensim.bin"), binary=True)
    # What vecbolt wrote (query/format's TestGensimFiles writes them with -update).
    for name, binary in [("vecbolt.txt", False), ("vecbolt.bin", True)]:
        p = os.path.join(d, name)
        if not os.path.exists(p):
            print(f"{p}: missing, run go test ./query/format -run Gensim -update first", file=sys.stderr)
            continue
        vocab = os.path.join(d, "vecbolt.vocab")
        got = KeyedVectors.load_word2vec_format(p, binary=binary, fvocab=vocab if os.path.exists(vocab) else None)
        assert got.index_to_key == keys, (name, got.index_to_key[:5])
        assert np.array_equal(got.vectors, small.vectors), name
        if os.path.exists(vocab):
            for k in keys:
                assert got.get_vecattr(k, "count") == small.get_vecattr(k, "count"), (name, k)
        print(f"{p}: gensim reads it back exactly ({len(keys)} vectors)", file=sys.stderr)


if __name__ == "__main__":
    main()
