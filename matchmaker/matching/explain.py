"""Evidence for one match that a broker can check (匹配依据).

- the sentence of the candidate that best answers the query: each sentence is compared
  with the query as idf-weighted term vectors (cosine), so a sentence wins by sharing the
  query's telling terms, not its common ones;
- the shared key terms with their idf weight (how telling each one is).

Lexical on purpose: it runs for every listed match on every page view, where embedding
each sentence would cost seconds on this hardware, and a broker can verify it by eye.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable

_SENTENCE_END = re.compile(r"(?<=[。！？!?；;])|\n+")


def sentences(text: str) -> list[str]:
    """Sentences of a posting text, in order (Chinese and Latin end marks, line breaks)."""
    return [s.strip() for s in _SENTENCE_END.split(text or "") if s and s.strip()]


def _vector(tokens: list[str], idf: Callable[[str], float]) -> dict[str, float]:
    return {t: c * idf(t) for t, c in Counter(tokens).items()}


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    dot = sum(w * b[t] for t, w in a.items() if t in b)
    na = math.sqrt(sum(w * w for w in a.values()))
    nb = math.sqrt(sum(w * w for w in b.values()))
    return dot / (na * nb) if na and nb else 0.0


def sentence_scores(
    query_tokens: list[str], text: str, idf: Callable[[str], float], tokenize: Callable[[str], list[str]]
) -> list[tuple[str, float]]:
    """Every sentence of `text` with its similarity to the query."""
    q = _vector(query_tokens, idf)
    return [(s, round(_cosine(q, _vector(tokenize(s), idf)), 4)) for s in sentences(text)]


def best_sentence(
    query_tokens: list[str], text: str, idf: Callable[[str], float], tokenize: Callable[[str], list[str]]
) -> tuple[str, float]:
    """The best-answering sentence and its score ("", 0) when no sentence shares a term."""
    scored = sentence_scores(query_tokens, text, idf, tokenize)
    if not scored:
        return "", 0.0
    sent, score = max(scored, key=lambda p: p[1])  # first of equals: the earlier sentence
    return (sent, score) if score > 0 else ("", 0.0)


def weighted_terms(terms: list[str], idf: Callable[[str], float]) -> list[dict]:
    """Shared terms with their idf, most telling first."""
    return sorted(({"term": t, "weight": round(idf(t), 3)} for t in terms), key=lambda d: -d["weight"])
