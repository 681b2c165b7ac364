"""The trained category classifier: first-level class of a complaint text.

The shipped artefact (``knowledge/model/``) is plain data: ``model.json`` (labels, n-gram
vocabularies, settings) and ``weights.npz`` (idf vectors, one linear weight matrix, biases).
Loading and predicting need numpy only; training lives in ``knowledge/training.py``.

Features are character 1-2 grams of the whole text plus, weighted lower, of its head (the first
characters, where residents put the gist). Each block is sublinear-tf x idf, l2-normalised, like
scikit-learn's ``TfidfVectorizer(sublinear_tf=True)``; the same ``char_ngrams`` function feeds
training, so training and prediction see identical features.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MODEL_DIR = Path(__file__).parent / "model"
MODEL_FILE = "model.json"
WEIGHTS_FILE = "weights.npz"
FORMAT_VERSION = 1


class ModelFileError(ValueError):
    """The artefact is missing, incomplete or of another format version."""


def normalise(text: str) -> str:
    """NFKC (full-width letters and digits to half-width), lower case, single spaces."""
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


def char_ngrams(text: str, n_max: int = 2) -> list[str]:
    """Character 1..n_max grams of already normalised text (spaces kept as characters)."""
    grams = list(text)
    for n in range(2, n_max + 1):
        grams.extend(text[i : i + n] for i in range(len(text) - n + 1))
    return grams


@dataclass(frozen=True)
class FeatureBlock:
    """One tf-idf block: which part of the text, its vocabulary, idf and weight in the model."""

    part: str  # "text" (whole message) or "head" (first head_chars characters)
    vocabulary: dict[str, int]  # n-gram -> column inside this block
    idf: np.ndarray
    weight: float
    offset: int  # first column of this block in the joined feature space


_WORDLIKE = re.compile(r"[\w]+")  # letters (CJK included) and digits; no punctuation or spaces


def text_parts(text: str, head_chars: int) -> dict[str, str]:
    """The parts each feature block reads, from one raw message."""
    body = normalise(text)
    return {"text": body, "head": body[:head_chars]}


class CategoryClassifier:
    """Linear model over character n-grams; see the module docstring."""

    labels: tuple[str, ...]

    def __init__(
        self,
        labels: tuple[str, ...],
        blocks: tuple[FeatureBlock, ...],
        coef: np.ndarray,
        intercept: np.ndarray,
        temperature: float,
        head_chars: int,
        n_max: int,
        meta: dict | None = None,
    ) -> None:
        self.labels = labels
        self._blocks = blocks
        self._coef = np.ascontiguousarray(coef, dtype=np.float32)  # (n_features, n_labels)
        self._intercept = np.asarray(intercept, dtype=np.float64)
        self._temperature = float(temperature)
        self._head_chars = head_chars
        self._n_max = n_max
        self._index = {label: i for i, label in enumerate(labels)}
        self._feature_names: tuple[list[str], np.ndarray] | None = None
        self.meta = meta or {}

    # -- loading -------------------------------------------------------------------------

    @classmethod
    def load(cls, path: Path | None = None) -> CategoryClassifier:
        """Load an artefact folder; ``None`` loads the one shipped in ``knowledge/model/``."""
        folder = Path(path) if path is not None else MODEL_DIR
        model_file, weights_file = folder / MODEL_FILE, folder / WEIGHTS_FILE
        for file in (model_file, weights_file):
            if not file.is_file():
                raise ModelFileError(f"classifier artefact incomplete: {file} is missing")
        spec = json.loads(model_file.read_text(encoding="utf-8"))
        if spec.get("format_version") != FORMAT_VERSION:
            raise ModelFileError(
                f"{model_file}: format_version {spec.get('format_version')!r}, "
                f"this code reads {FORMAT_VERSION}; retrain with `minyi train`"
            )
        with np.load(weights_file) as arrays:
            coef, intercept = arrays["coef"], arrays["intercept"]
            idfs = {block["part"]: arrays[f"idf_{block['part']}"] for block in spec["blocks"]}
        blocks, offset = [], 0
        for block in spec["blocks"]:
            grams = block["vocabulary"]
            if len(grams) != len(idfs[block["part"]]):
                raise ModelFileError(f"{folder}: vocabulary and idf of {block['part']!r} differ")
            blocks.append(
                FeatureBlock(
                    part=block["part"],
                    vocabulary={gram: i for i, gram in enumerate(grams)},
                    idf=idfs[block["part"]].astype(np.float64),
                    weight=float(block["weight"]),
                    offset=offset,
                )
            )
            offset += len(grams)
        labels = tuple(spec["labels"])
        if coef.shape != (offset, len(labels)) or intercept.shape != (len(labels),):
            raise ModelFileError(f"{folder}: weight shapes do not match vocabulary and labels")
        return cls(
            labels=labels,
            blocks=tuple(blocks),
            coef=coef,
            intercept=intercept,
            temperature=spec["temperature"],
            head_chars=spec["head_chars"],
            n_max=spec["n_max"],
            meta=spec.get("meta", {}),
        )

    # -- features ------------------------------------------------------------------------

    def features(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Sparse feature vector of a message: (column indices, values), columns unique."""
        parts = text_parts(text, self._head_chars)
        columns: list[np.ndarray] = []
        values: list[np.ndarray] = []
        for block in self._blocks:
            counts = Counter(char_ngrams(parts[block.part], self._n_max))
            hits = [(block.vocabulary[g], c) for g, c in counts.items() if g in block.vocabulary]
            if not hits:
                continue
            idx = np.fromiter((h[0] for h in hits), dtype=np.int64, count=len(hits))
            tf = np.fromiter((1.0 + math.log(h[1]) for h in hits), dtype=np.float64)
            vals = tf * block.idf[idx]
            vals *= block.weight / np.sqrt(vals @ vals)
            columns.append(idx + block.offset)
            values.append(vals)
        if not columns:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64)
        return np.concatenate(columns), np.concatenate(values)

    def scores(self, text: str) -> np.ndarray:
        """Raw linear scores, one per label (higher = more likely)."""
        idx, vals = self.features(text)
        return self._intercept + vals @ self._coef[idx].astype(np.float64)

    def probabilities(self, text: str) -> np.ndarray:
        """Calibrated probabilities over all labels (softmax of scaled scores)."""
        z = self.scores(text) * self._temperature
        z -= z.max()
        p = np.exp(z)
        return p / p.sum()

    # -- public API ----------------------------------------------------------------------

    def predict(self, text: str, top_k: int = 3) -> list[tuple[str, float]]:
        """The ``top_k`` most likely categories, best first, with probabilities in [0, 1]."""
        p = self.probabilities(text)
        # Stable sort on -p: ties resolve by label order, so the same text gives the same list.
        order = np.argsort(-p, kind="stable")[: max(top_k, 0)]
        return [(self.labels[i], float(p[i])) for i in order]

    def explain(self, text: str, label: str, top_n: int = 5) -> list[tuple[str, float]]:
        """Words of ``text`` that pushed hardest toward ``label``, with their weights.

        A feature's push is its share of the label's score minus its average share over all
        labels, so characters that favour no class do not show up. Strongly pushing bigrams
        that run on in the text are joined ("派出" + "出所" -> "派出所") and a word's weight
        is the sum of the pushes of the n-grams inside it, so staff read words, not fragments.
        Punctuation and spaces are left out.
        """
        if label not in self._index:
            raise KeyError(f"unknown category {label!r}; known: {', '.join(self.labels)}")
        idx, vals = self.features(text)
        if idx.size == 0:
            return []
        coef = self._coef[idx].astype(np.float64)
        push = vals * (coef[:, self._index[label]] - coef.mean(axis=1))
        names, name_ids = self._names()
        ids, where = np.unique(name_ids[idx], return_inverse=True)
        sums = np.bincount(where, weights=push)  # head and body pushes of one n-gram added
        merged = dict(zip((names[i] for i in ids.tolist()), sums.tolist(), strict=True))
        strong = {g for g, w in merged.items() if w > 0 and _WORDLIKE.fullmatch(g)}
        if not strong:
            return []
        floor = max(merged[g] for g in strong) * 0.15  # weak grams would only lengthen words
        strong = {g for g in strong if merged[g] >= floor}
        body = normalise(text)
        words: set[str] = set()
        i = 0
        while i < len(body) - 1:  # maximal runs of text linked by strong bigrams
            j = i
            while j < len(body) - 1 and body[j : j + 2] in strong:
                j += 1
            if j > i:
                words.add(body[i : j + 1])
                i = j
            else:
                i += 1
        words |= {g for g in strong if len(g) == 1}

        def weight(word: str) -> float:
            grams = set(char_ngrams(word, self._n_max))
            return sum(merged.get(g, 0.0) for g in grams)

        ranked = sorted(((w, weight(w)) for w in words), key=lambda item: (-item[1], item[0]))
        longest_first = sorted(words, key=len, reverse=True)
        chosen: list[tuple[str, float]] = []
        for word, push in ranked:
            if len(chosen) == top_n or push <= 0:
                break
            # a fragment of a longer word found elsewhere in the text adds nothing new
            if not any(len(other) > len(word) and word in other for other in longest_first):
                chosen.append((word, round(push, 6)))
        return chosen

    def _names(self) -> tuple[list[str], np.ndarray]:
        """Distinct n-grams, and for each column the index of its n-gram among them."""
        if self._feature_names is None:
            index: dict[str, int] = {}
            column_ids: list[int] = []
            for block in self._blocks:
                for gram, _ in sorted(block.vocabulary.items(), key=lambda item: item[1]):
                    column_ids.append(index.setdefault(gram, len(index)))
            self._feature_names = (list(index), np.array(column_ids, dtype=np.int64))
        return self._feature_names
