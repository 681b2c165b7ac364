"""The trained category classifier: first-level class of a complaint text.

The shipped artefact (``knowledge/model/``) is plain data: ``model.json`` (labels, n-gram
vocabularies, settings) and ``weights.npz`` (idf vectors, one linear weight matrix, biases).
Loading and predicting need numpy only; training lives in ``knowledge/training.py``.

Features are character 1-2 grams of the whole text plus, weighted lower, of its head (the first
characters, where residents put the gist), plus the words of the text (``knowledge/lexicon.py``:
a word list mined from unlabelled messages, shipped in ``model.json``). Each block is
sublinear-tf x idf, l2-normalised, like scikit-learn's ``TfidfVectorizer(sublinear_tf=True)``.
Training feeds ``char_ngrams`` (and ``Segmenter.segment``) to that vectoriser; prediction looks
the same n-grams up as integer keys with numpy (fast, one message at a time) and the words up in
a dict, and a test checks both give identical features.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from knowledge.lexicon import Segmenter

MODEL_DIR = Path(__file__).parent / "model"
MODEL_FILE = "model.json"
WEIGHTS_FILE = "weights.npz"
FORMAT_VERSION = 2  # 2: the words block and its lexicon


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


_BASE = 0x110001  # one more than the number of code points: a gram's key is unique


def gram_key(gram: str) -> int:
    """Integer key of an n-gram (n <= 3 fits in int64); keys of different n never collide."""
    key = 0
    for ch in gram:
        key = key * _BASE + ord(ch) + 1
    return key


def text_keys(codes: np.ndarray, n_max: int) -> np.ndarray:
    """Keys of all 1..n_max grams of a text given as code points + 1 (as ``char_ngrams``)."""
    keys = [codes]
    for n in range(2, n_max + 1):
        if len(codes) < n:
            break
        k = codes[: len(codes) - n + 1].copy()
        for j in range(1, n):
            k = k * _BASE + codes[j : len(codes) - n + 1 + j]
        keys.append(k)
    return np.concatenate(keys)


def code_points(body: str) -> np.ndarray:
    return np.frombuffer(body.encode("utf-32-le"), dtype="<u4").astype(np.int64) + 1


@dataclass(frozen=True)
class FeatureBlock:
    """One tf-idf block: which part of the text, its vocabulary, idf and weight in the model."""

    part: str  # "text" (whole message), "head" (first head_chars characters) or "words"
    vocabulary: dict[str, int]  # n-gram (a word for "words") -> column inside this block
    idf: np.ndarray
    weight: float
    offset: int  # first column of this block in the joined feature space


WORDS = "words"  # the part name of the words block
_WORDLIKE = re.compile(r"[\w]+")  # letters (CJK included) and digits; no punctuation or spaces


def text_parts(text: str, head_chars: int) -> dict[str, str]:
    """The parts each feature block reads, from one raw message."""
    body = normalise(text)
    return {"text": body, "head": body[:head_chars], WORDS: body}


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
        lexicon: tuple[str, ...] = (),
    ) -> None:
        self.labels = labels
        self._blocks = blocks
        self._coef = np.ascontiguousarray(coef, dtype=np.float32)  # (n_features, n_labels)
        self._intercept = np.asarray(intercept, dtype=np.float64)
        self._temperature = float(temperature)
        self._head_chars = head_chars
        self._n_max = n_max
        self._index = {label: i for i, label in enumerate(labels)}
        self._feature_names: tuple[np.ndarray, np.ndarray, dict[str, int]] | None = None
        self._coef_mean = self._coef.mean(axis=1, dtype=np.float64)  # per feature, over labels
        if n_max > 3:
            raise ValueError("n-grams longer than 3 characters are not supported")
        self.lexicon = tuple(lexicon)
        self._segmenter = Segmenter(self.lexicon)
        # Per block: sorted n-gram keys and their columns, for vectorised look-up.
        self._lookups: list[tuple[np.ndarray, np.ndarray]] = []
        for block in blocks:
            if block.part == WORDS:
                self._lookups.append((np.empty(0, np.int64), np.empty(0, np.int64)))
                continue
            keys = np.fromiter(map(gram_key, block.vocabulary), np.int64, len(block.vocabulary))
            columns = np.fromiter(block.vocabulary.values(), np.int64, len(block.vocabulary))
            order = np.argsort(keys)
            self._lookups.append((keys[order], columns[order] + block.offset))
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
            lexicon=tuple(spec.get("lexicon", ())),
        )

    # -- features ------------------------------------------------------------------------

    def features(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Sparse feature vector of a message: (column indices, values), columns unique."""
        return self._features(normalise(text))

    def _features(self, body: str) -> tuple[np.ndarray, np.ndarray]:
        codes = code_points(body)
        columns: list[np.ndarray] = []
        values: list[np.ndarray] = []
        for block, (keys, block_columns) in zip(self._blocks, self._lookups, strict=True):
            if block.part == WORDS:
                found_words = self._word_features(body, block)
                if found_words is not None:
                    columns.append(found_words[0])
                    values.append(found_words[1])
                continue
            part = codes if block.part == "text" else codes[: self._head_chars]
            if part.size == 0 or keys.size == 0:
                continue
            grams, counts = np.unique(text_keys(part, self._n_max), return_counts=True)
            pos = np.minimum(np.searchsorted(keys, grams), keys.size - 1)
            found = keys[pos] == grams
            if not found.any():
                continue
            idx = block_columns[pos[found]]
            vals = (1.0 + np.log(counts[found])) * block.idf[idx - block.offset]
            vals *= block.weight / np.sqrt(vals @ vals)
            columns.append(idx)
            values.append(vals)
        if not columns:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64)
        return np.concatenate(columns), np.concatenate(values)

    def _word_features(
        self, body: str, block: FeatureBlock
    ) -> tuple[np.ndarray, np.ndarray] | None:
        counts: dict[int, int] = {}
        for word in self._segmenter.segment(body):
            column = block.vocabulary.get(word)
            if column is not None:
                counts[column] = counts.get(column, 0) + 1
        if not counts:
            return None
        idx = np.fromiter(counts, np.int64, len(counts))
        vals = (1.0 + np.log(np.fromiter(counts.values(), np.float64, len(counts))))
        vals *= block.idf[idx]
        vals *= block.weight / np.sqrt(vals @ vals)
        return idx + block.offset, vals

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
        body = normalise(text)
        idx, vals = self._features(body)
        if idx.size == 0:
            return []
        column = self._coef[idx, self._index[label]].astype(np.float64)
        push = vals * (column - self._coef_mean[idx])
        names, name_ids, name_index = self._names()
        ids, where = np.unique(name_ids[idx], return_inverse=True)
        sums = np.bincount(where, weights=push)  # head and body pushes of one n-gram added
        positive = np.flatnonzero(sums > 0)
        positive = positive[np.argsort(-sums[positive], kind="stable")]
        grams = names[ids[positive]].tolist()
        top = next(
            (sums[i] for i, g in zip(positive, grams, strict=True) if _WORDLIKE.fullmatch(g)), 0.0
        )
        if top <= 0:
            return []
        floor = top * 0.15  # weak grams would only lengthen words
        strong_count = int(np.count_nonzero(sums[positive] >= floor))
        strong = {g for g in grams[:strong_count] if _WORDLIKE.fullmatch(g)}
        links = np.zeros(0, dtype=bool)
        strong_pairs = [gram_key(g) for g in strong if len(g) == 2]
        if len(body) > 1 and strong_pairs:
            codes = code_points(body)
            pairs = codes[:-1] * _BASE + codes[1:]
            links = np.isin(pairs, np.array(strong_pairs, dtype=np.int64))
        # maximal runs of text linked by strong bigrams: links[s:e] all true -> body[s : e + 1]
        edges = np.diff(np.concatenate(([0], links.astype(np.int8), [0])))
        starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
        words: set[str] = set()
        for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
            run = body[a : b + 1]
            # the lexicon's words in a run, when it has any: "公积金", not "公积金提"
            words.update(self._segmenter.segment(run) or [run])
        words |= {g for g in strong if len(g) == 1 or len(g) > self._n_max}  # 1 char; lexicon

        def weight(word: str) -> float:
            inside = set(char_ngrams(word, self._n_max)) | set(self._segmenter.segment(word))
            found = [name_index[g] for g in inside if g in name_index]
            at = np.searchsorted(ids, found)
            at = at[(at < ids.size) & (ids[np.minimum(at, ids.size - 1)] == found)]
            return float(sums[at].sum())

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

    def _names(self) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
        """Distinct n-grams (object array), each column's n-gram index, n-gram -> index."""
        if self._feature_names is None:
            index: dict[str, int] = {}
            column_ids: list[int] = []
            for block in self._blocks:
                for gram, _ in sorted(block.vocabulary.items(), key=lambda item: item[1]):
                    column_ids.append(index.setdefault(gram, len(index)))
            names = np.array(list(index), dtype=object)
            self._feature_names = (names, np.array(column_ids, dtype=np.int64), index)
        return self._feature_names
