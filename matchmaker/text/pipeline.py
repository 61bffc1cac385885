"""Normalise → segment → map synonyms → drop stopwords (归一化、分词、同义词、停用词)."""

from __future__ import annotations

import logging
import re
import threading
from collections import Counter
from functools import lru_cache
from pathlib import Path

from matchmaker.text.markup import strip_markup

DATA = Path(__file__).parent / "data"
_lock = threading.Lock()

# Tokens worth keeping: Latin/digit terms, or CJK words of two or more characters.
_LATIN = re.compile(r"^[a-z0-9][a-z0-9.\-+/#]*$")
_CJK = re.compile(r"^[\u4e00-\u9fff]+$")
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=1)
def _opencc():
    import opencc

    return opencc.OpenCC("t2s")


def _halfwidth(text: str) -> str:
    """Full-width ASCII (ＡＢＣ１２３, full-width space) to half-width."""
    out = []
    for ch in text:
        code = ord(ch)
        if code == 0x3000:
            code = 0x20
        elif 0xFF01 <= code <= 0xFF5E:
            code -= 0xFEE0
        out.append(chr(code))
    return "".join(out)


def normalize(text: str) -> str:
    """Traditional→Simplified (OpenCC), full→half width, Latin case folding."""
    if not text:
        return ""
    return _opencc().convert(_halfwidth(text)).casefold()


def _read_lines(name: str) -> list[str]:
    return [
        line.strip()
        for line in (DATA / name).read_text("utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    return frozenset(normalize(w) for w in _read_lines("stopwords.txt"))


@lru_cache(maxsize=1)
def synonyms() -> dict[str, str]:
    """variant → canonical token (all normalised)."""
    table = {}
    for line in _read_lines("synonyms.txt"):
        canonical, _, variants = line.partition("\t")
        canonical = normalize(canonical.strip())
        table[canonical] = canonical
        for v in variants.split(","):
            if v.strip():
                table[normalize(v.strip())] = canonical
    return table


@lru_cache(maxsize=1)
def _jieba():
    """A private jieba tokenizer with the domain dictionary (the global one stays untouched)."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tk = jieba.Tokenizer()
    tk.load_userdict(str(DATA / "userdict.txt"))
    # Synonym variants must segment as whole words so the mapping can see them.
    for variant in synonyms():
        if _CJK.match(variant):
            tk.add_word(variant, 50)
    with _lock:
        tk.initialize()
    return tk


def _keep(tok: str) -> bool:
    if tok in stopwords():
        return False
    if _LATIN.match(tok):
        return not tok.isdigit() or len(tok) >= 4
    return bool(_CJK.match(tok)) and len(tok) >= 2


def tokenize(text: str, *, search: bool = True) -> list[str]:
    """Normalised tokens for BM25 and shared-term explanations.

    search=True also emits the sub-words of long words (jieba search mode), so
    "数控机床" in a need still meets "机床" in a result.
    """
    text = _SPACES.sub(" ", normalize(strip_markup(text)))
    tk = _jieba()
    syn = synonyms()
    out = []
    for w in tk.cut(text):
        w = w.strip()
        if not w:
            continue
        if w in syn:  # an abbreviation or its Chinese term: one canonical token, no sub-words
            out.append(syn[w])
            continue
        if search and len(w) > 2 and _CJK.match(w):
            # jieba's search mode: dictionary sub-words of a long word
            for n in (2, 3):
                for i in range(len(w) - n + 1):
                    gram = w[i : i + n]
                    if gram != w and tk.FREQ.get(gram) and _keep(gram):
                        out.append(syn.get(gram, gram))
        if _keep(w):
            out.append(w)
    return out


def key_terms(text: str, top: int = 10) -> list[str]:
    """The most characteristic terms of a text (TF-IDF over jieba's corpus statistics)."""
    extractor = _extractor()
    extractor.tokenizer = _jieba()
    syn = synonyms()
    terms = []
    for w in extractor.extract_tags(normalize(strip_markup(text)), topK=top * 2):
        w = syn.get(w, w)
        if _keep(w) and w not in terms:
            terms.append(w)
    return terms[:top]


@lru_cache(maxsize=1)
def _extractor():
    import jieba.analyse

    return jieba.analyse.TFIDF()


def shared_terms(
    a_tokens: list[str], b_tokens: list[str], weights: dict[str, float] | None = None, top: int = 8
) -> list[str]:
    """Terms both sides use, most informative first (by weight, else by length),
    dropping a term already covered by a longer shared term (机床 inside 数控机床)."""
    common = set(a_tokens) & set(b_tokens)
    if not common:
        return []
    counts = Counter(a_tokens) + Counter(b_tokens)
    ranked = sorted(common, key=lambda t: (-(weights or {}).get(t, 0.0), -len(t), -counts[t], t))
    chosen: list[str] = []
    for term in ranked:
        if any(term in longer for longer in chosen):
            continue
        chosen.append(term)
        if len(chosen) >= top:
            break
    return chosen
