"""What triage needs from outside knowledge/, as small Protocols.

The category classifier (knowledge.classifier.CategoryClassifier) and the source of similar
open slips (the slip store, in bot/) are injected into Triage; tests pass fakes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol


class CategoryModel(Protocol):
    """The trained first-level category classifier."""

    def predict(self, text: str, top_k: int = 3) -> list[tuple[str, float]]:
        """Best first: (first-level class, probability)."""
        ...

    def explain(self, text: str, label: str, top_n: int = 5) -> list[tuple[str, float]]:
        """The words that pushed ``text`` towards ``label`` most, with their weights."""
        ...


class SimilarSlips(Protocol):
    """Finds open slips similar to a new complaint (SimilarityIndex implements it)."""

    def query(
        self,
        text: str,
        area_code: str | None = None,
        since: dt.datetime | None = None,
        limit: int = 10,
        *,
        topics: frozenset[str] = frozenset(),
    ) -> list[tuple[str, float]]:
        """(slip key, similarity 0..1), most similar first. ``topics``: what the complaint is
        about (routing rule ids); an open slip about one of them counts as more similar."""
        ...


@dataclass(frozen=True)
class OpenSlip:
    """An open slip as the similarity matcher needs it."""

    key: str  # the slip number
    text: str
    area_code: str | None
    created_at: dt.datetime


class RecentOpenSlips(Protocol):
    """The slip store's view for universality: open slips of an area created since a moment.

    ``area_code`` is a street or community code; an implementation returns the slips of that
    area (for a street, its communities' slips too). None means the whole city.
    """

    def recent_open_slips(self, area_code: str | None, since: dt.datetime) -> Iterable[OpenSlip]:
        ...
