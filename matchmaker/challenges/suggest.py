"""产业立题 suggestions: cluster similar open needs into candidate topics.

Open needs without a topic (optionally of one field and/or city) are embedded with
`matching.embeddings.embed` and clustered by agglomerative clustering on cosine distance
(average linkage). With no distance threshold given, the threshold adapts to the batch
(mean − k·std of pairwise distances, k from the chosen granularity), so the result does not
hinge on the model's scale; needs left alone are not suggested.

Like the ranker, the representation is hybrid: the sentence embedding is joined with a
character-bigram TF-IDF vector, so needs sharing technical terms (金刚石, 速冻...) stay
together even when the embedding model is weak on Chinese.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.postings.models import Need

# 聚类粒度: how far below a typical pair's distance a group must be (in std units).
GRANULARITY = {"loose": ("宽松（大组）", 0.5), "medium": ("适中", 1.0), "strict": ("严格（小而紧）", 1.5)}


@dataclass
class Suggestion:
    """A candidate topic: a cluster of similar open needs."""

    size: int
    needs: list[Need]  # every need in the cluster, the most central first
    samples: list[Need]  # a few to show
    field_name: str | None  # the dominant field
    field_share: float  # its share of the cluster
    keywords: list[str]  # frequent keywords, to name the topic
    title: str  # a proposed title (the most central need's)
    cohesion: float  # mean cosine similarity to the centroid

    @property
    def need_ids(self) -> list[int]:
        return [n.id for n in self.needs]


def candidate_needs(
    session: Session, field_id: int | None = None, region: str | None = None, limit: int = 400
) -> list[Need]:
    """Open needs not yet under a topic, newest first."""
    q = select(Need).where(Need.status == "open", Need.topic_id.is_(None))
    if field_id:
        q = q.where(Need.field_id == field_id)
    if region:
        q = q.where(Need.region == region)
    return list(session.scalars(q.order_by(Need.created_at.desc(), Need.id.desc()).limit(limit)))


def represent(texts: list[str], dense_weight: float = 0.5) -> np.ndarray:
    """Unit vectors [√w·embedding, √(1−w)·char-bigram TF-IDF]; cosine on them mixes both signals."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    from matchmaker.matching.embeddings import configured_model, embed

    dense = embed(texts, configured_model())
    # Centre the batch: sentence embeddings share a large common direction (anisotropy),
    # which would make every pair look alike and drown the differences that matter here.
    dense = dense - dense.mean(axis=0, keepdims=True)
    dense /= np.where((n := np.linalg.norm(dense, axis=1, keepdims=True)) == 0, 1.0, n)
    lexical = (
        TfidfVectorizer(analyzer="char", ngram_range=(2, 2), sublinear_tf=True, min_df=1)
        .fit_transform(["".join(t.split()) for t in texts])
        .toarray()
    )
    out = np.hstack([np.sqrt(dense_weight) * dense, np.sqrt(1 - dense_weight) * lexical]).astype(np.float32)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.where(norms == 0, 1.0, norms)


def adaptive_threshold(vectors: np.ndarray, spread: float = 1.0) -> float:
    """Merge only groups clearly closer than a typical pair: mean − spread·std of pairwise distances.

    Scale-free, so it holds for any embedding model (their cosine ranges differ widely).
    """
    dist = 1.0 - vectors @ vectors.T
    pairs = dist[np.triu_indices(len(vectors), 1)]
    return float(max(pairs.mean() - spread * pairs.std(), 1e-6))


def cluster_labels(
    vectors: np.ndarray, distance_threshold: float | None = None, spread: float = 1.0
) -> np.ndarray:
    """Average-linkage agglomerative clustering on cosine distance; one label per row."""
    from sklearn.cluster import AgglomerativeClustering

    n = len(vectors)
    if n < 2:
        return np.zeros(n, dtype=int)
    threshold = distance_threshold if distance_threshold is not None else adaptive_threshold(vectors, spread)
    model = AgglomerativeClustering(
        n_clusters=None, metric="cosine", linkage="average", distance_threshold=threshold
    )
    return model.fit_predict(vectors)


def suggest_topics(
    session: Session,
    field_id: int | None = None,
    region: str | None = None,
    *,
    min_size: int = 2,
    distance_threshold: float | None = None,
    granularity: str = "medium",
    samples: int = 3,
    needs: list[Need] | None = None,
) -> list[Suggestion]:
    """Candidate topics from open needs, largest clusters first; clusters below min_size are dropped."""
    needs = needs if needs is not None else candidate_needs(session, field_id, region)
    if len(needs) < max(min_size, 2):
        return []
    vectors = represent([n.text for n in needs])
    labels = cluster_labels(vectors, distance_threshold, GRANULARITY[granularity][1])
    out = []
    for label in set(labels.tolist()):
        idx = np.flatnonzero(labels == label)
        if len(idx) < min_size:
            continue
        centroid = vectors[idx].mean(axis=0)
        centroid /= np.linalg.norm(centroid) or 1.0
        sims = vectors[idx] @ centroid
        order = idx[np.argsort(-sims)]
        members = [needs[i] for i in order]
        fields = Counter(n.field.name if n.field else None for n in members)
        top_field, top_count = fields.most_common(1)[0]
        words = Counter(k for n in members for k in (n.keywords or []))
        out.append(
            Suggestion(
                size=len(members),
                needs=members,
                samples=members[:samples],
                field_name=top_field,
                field_share=top_count / len(members),
                keywords=[w for w, _c in words.most_common(5)],
                title=members[0].title,
                cohesion=float(sims.mean()),
            )
        )
    out.sort(key=lambda s: (-s.size, -s.cohesion))
    return out
