"""产业立题 suggestions: cluster similar open needs into candidate topics.

Open needs without a topic (optionally of one field and/or city) are embedded with
`matching.embeddings.embed` and clustered by agglomerative clustering on cosine distance
(average linkage). With no distance threshold given, the number of clusters is chosen by
the silhouette score, so the result does not hinge on the embedding model's scale.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.postings.models import Need


@dataclass
class Suggestion:
    """A candidate topic: a cluster of similar open needs."""
    size: int
    needs: list[Need]          # every need in the cluster, the most central first
    samples: list[Need]        # a few to show
    field_name: str | None     # the dominant field
    field_share: float         # its share of the cluster
    keywords: list[str]        # frequent keywords, to name the topic
    title: str                 # a proposed title (the most central need's)
    cohesion: float            # mean cosine similarity to the centroid

    @property
    def need_ids(self) -> list[int]:
        return [n.id for n in self.needs]


def candidate_needs(session: Session, field_id: int | None = None, region: str | None = None,
                    limit: int = 400) -> list[Need]:
    """Open needs not yet under a topic, newest first."""
    q = select(Need).where(Need.status == "open", Need.topic_id.is_(None))
    if field_id:
        q = q.where(Need.field_id == field_id)
    if region:
        q = q.where(Need.region == region)
    return list(session.scalars(q.order_by(Need.created_at.desc(), Need.id.desc()).limit(limit)))


def cluster_labels(vectors: np.ndarray, distance_threshold: float | None = None,
                   max_clusters: int = 12) -> np.ndarray:
    """Cluster L2-normalised vectors; returns one label per row."""
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.metrics import silhouette_score

    n = len(vectors)
    if n < 2:
        return np.zeros(n, dtype=int)
    if distance_threshold is not None:
        model = AgglomerativeClustering(n_clusters=None, metric="cosine", linkage="average",
                                        distance_threshold=distance_threshold)
        return model.fit_predict(vectors)
    best, best_score = np.zeros(n, dtype=int), -1.0
    for k in range(2, min(max_clusters, n - 1) + 1):
        labels = AgglomerativeClustering(n_clusters=k, metric="cosine", linkage="average").fit_predict(vectors)
        score = silhouette_score(vectors, labels, metric="cosine")
        if score > best_score:
            best, best_score = labels, score
    return best


def suggest_topics(session: Session, field_id: int | None = None, region: str | None = None,
                   *, min_size: int = 2, distance_threshold: float | None = None,
                   samples: int = 3, needs: list[Need] | None = None) -> list[Suggestion]:
    """Candidate topics from open needs, largest clusters first; clusters below min_size are dropped."""
    from matchmaker.matching.embeddings import embed

    needs = needs if needs is not None else candidate_needs(session, field_id, region)
    if len(needs) < max(min_size, 2):
        return []
    vectors = embed([n.text for n in needs])
    labels = cluster_labels(vectors, distance_threshold)
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
        out.append(Suggestion(size=len(members), needs=members, samples=members[:samples],
                              field_name=top_field, field_share=top_count / len(members),
                              keywords=[w for w, _c in words.most_common(5)], title=members[0].title,
                              cohesion=float(sims.mean())))
    out.sort(key=lambda s: (-s.size, -s.cohesion))
    return out
