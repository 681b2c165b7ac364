"""The urgency model: the statistical second layer behind the urgency rules.

A character 1-3 gram tf-idf + multinomial logistic regression over the normalised head of a
message (``knowledge.matching.normalize``, first ``head_chars`` characters). Its classes are
``一般``, ``紧急`` and one class per 特急 rule of urgency.yaml (gas_leak, fire, …), so a message
it raises to 特急 gets that rule's emergency lines and advice. P(特急) is the sum of the 特急
classes.

The shipped artefact is plain data in ``knowledge/model/``: ``urgency.json`` (classes,
vocabulary, thresholds, how it was trained) and ``urgency.npz`` (idf, weights, biases). Loading
and predicting need numpy only; training is in ``knowledge/urgency_training.py``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MODEL_DIR = Path(__file__).parent / "model"
MODEL_JSON = "urgency.json"
MODEL_NPZ = "urgency.npz"
FORMAT_VERSION = 1
PLAIN = ("一般", "紧急")  # the classes that are not 特急


class UrgencyModelError(ValueError):
    """The urgency artefact is missing, incomplete or of another format version."""


def grams(text: str, n_max: int = 3) -> list[str]:
    """Character 1..n_max grams of normalised text (the training and prediction features)."""
    out = list(text)
    for n in range(2, n_max + 1):
        out.extend(text[i : i + n] for i in range(len(text) - n + 1))
    return out


_BASE = 0x110001  # one more than the number of code points: keys of n <= 3 fit in int64


def _key(gram: str) -> int:
    key = 0
    for ch in gram:
        key = key * _BASE + ord(ch) + 1
    return key


def _text_keys(text: str, n_max: int) -> np.ndarray:
    """Keys of all 1..n_max grams of ``text``, as ``_key`` gives them."""
    codes = np.frombuffer(text.encode("utf-32-le"), dtype="<u4").astype(np.int64) + 1
    out = [codes]
    for n in range(2, n_max + 1):
        if len(codes) < n:
            break
        k = codes[: len(codes) - n + 1].copy()
        for j in range(1, n):
            k = k * _BASE + codes[j : len(codes) - n + 1 + j]
        out.append(k)
    return np.concatenate(out)


@dataclass(frozen=True)
class UrgencyScores:
    """What the model thinks of one message."""

    teji: float  # P(特急): the sum of the 特急 classes
    jinji: float
    yiban: float
    danger: str | None  # the most probable 特急 class (a rule id)
    danger_p: float
    known: int = 0  # n-grams of the message the model knows; with none it cannot tell

    def to_dict(self) -> dict[str, object]:
        return {"特急": round(self.teji, 4), "紧急": round(self.jinji, 4),
                "一般": round(self.yiban, 4), "danger": self.danger,
                "danger_p": round(self.danger_p, 4)}


class UrgencyModel:
    """Loaded urgency artefact; ``scores(normalised_text)`` is about 0.1 ms per message."""

    def __init__(self, classes: list[str], vocabulary: dict[str, int], idf: np.ndarray,
                 weights: np.ndarray, bias: np.ndarray, *, head_chars: int, n_max: int,
                 thresholds: dict[str, float], meta: dict | None = None) -> None:
        if n_max > 3:
            raise UrgencyModelError("n-grams longer than 3 characters are not supported")
        if weights.shape != (len(vocabulary), len(classes)) or bias.shape != (len(classes),):
            raise UrgencyModelError("weights do not match the vocabulary and classes")
        if idf.shape != (len(vocabulary),):
            raise UrgencyModelError("idf does not match the vocabulary")
        missing = [c for c in PLAIN if c not in classes]
        if missing:
            raise UrgencyModelError(f"class {missing[0]!r} is missing")
        self.classes = classes
        self.vocabulary = vocabulary
        self.idf = idf.astype(np.float64)
        self.weights = weights.astype(np.float64)
        self.bias = bias.astype(np.float64)
        self.head_chars = head_chars
        self.n_max = n_max
        self.thresholds = thresholds
        self.meta = meta or {}
        self._teji = np.array([c not in PLAIN for c in classes])
        # Vocabulary as sorted integer keys: one numpy lookup for all n-grams of a message.
        keys = np.array([_key(g) for g in vocabulary], dtype=np.int64)
        order = np.argsort(keys)
        self._keys = keys[order] if len(keys) else np.zeros(1, dtype=np.int64)
        self._columns = (np.fromiter(vocabulary.values(), dtype=np.int64, count=len(keys))[order]
                         if len(keys) else np.zeros(1, dtype=np.int64))
        self._jinji = classes.index("紧急")
        self._yiban = classes.index("一般")

    # -- prediction ----------------------------------------------------------------------------
    def probabilities(self, norm: str) -> np.ndarray:
        """Class probabilities of normalised text, in ``self.classes`` order."""
        return self._probabilities(norm)[0]

    def _probabilities(self, norm: str) -> tuple[np.ndarray, int]:
        if not norm:
            z = self.bias - self.bias.max()
            return np.exp(z) / np.exp(z).sum(), 0
        keys = _text_keys(norm[: self.head_chars], self.n_max)
        pos = np.searchsorted(self._keys, keys)
        pos[pos == len(self._keys)] = 0
        found = pos[self._keys[pos] == keys]
        z = self.bias.copy()
        if len(found):
            idx, tf = np.unique(self._columns[found], return_counts=True)
            x = (1.0 + np.log(tf)) * self.idf[idx]
            x /= np.sqrt(x @ x)
            z += x @ self.weights[idx]
        z -= z.max()
        p = np.exp(z)
        return p / p.sum(), len(found)

    def scores(self, norm: str) -> UrgencyScores:
        p, known = self._probabilities(norm)
        teji = p[self._teji]
        best = int(np.argmax(np.where(self._teji, p, -1.0)))
        return UrgencyScores(float(teji.sum()), float(p[self._jinji]), float(p[self._yiban]),
                             self.classes[best], float(p[best]), known)

    def explain(self, norm: str, label: str, top_n: int = 4) -> list[tuple[str, float]]:
        """The n-grams of ``norm`` that push most towards class ``label``, strongest first."""
        c = self.classes.index(label)
        counts: dict[str, int] = {}
        for g in grams(norm[: self.head_chars], self.n_max):
            if g in self.vocabulary:
                counts[g] = counts.get(g, 0) + 1
        if not counts:
            return []
        idx = np.array([self.vocabulary[g] for g in counts])
        x = (1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64))) * self.idf[idx]
        x /= np.sqrt(x @ x)
        push = x * (self.weights[idx, c] - self.weights[idx].mean(axis=1))
        names = list(counts)
        out: list[tuple[str, float]] = []
        for i in np.argsort(-push):
            if push[i] <= 0 or len(out) == top_n:
                break
            if not any(names[i] in w or w in names[i] for w, _ in out):  # no overlaps
                out.append((names[i], float(push[i])))
        return out

    # -- files ---------------------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | Path | None = None) -> UrgencyModel:
        """Load ``urgency.json`` + ``urgency.npz`` from ``path`` (default: knowledge/model/)."""
        root = Path(path) if path is not None else MODEL_DIR
        try:
            meta = json.loads((root / MODEL_JSON).read_text(encoding="utf-8"))
            with np.load(root / MODEL_NPZ) as arrays:
                idf, weights, bias = arrays["idf"], arrays["weights"], arrays["bias"]
        except (OSError, KeyError, ValueError) as exc:
            raise UrgencyModelError(f"{root}: cannot read the urgency model: {exc}") from exc
        if meta.get("format") != FORMAT_VERSION:
            raise UrgencyModelError(f"{root / MODEL_JSON}: format {meta.get('format')!r}, "
                                    f"expected {FORMAT_VERSION}")
        vocabulary = {g: i for i, g in enumerate(meta["vocabulary"])}
        return cls(meta["classes"], vocabulary, idf, weights, bias,
                   head_chars=meta["head_chars"], n_max=meta["n_max"],
                   thresholds=meta["thresholds"], meta=meta.get("trained", {}))

    def save(self, path: str | Path | None = None) -> None:
        root = Path(path) if path is not None else MODEL_DIR
        root.mkdir(parents=True, exist_ok=True)
        vocab = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        meta = {"format": FORMAT_VERSION, "classes": self.classes, "head_chars": self.head_chars,
                "n_max": self.n_max, "thresholds": self.thresholds, "trained": self.meta,
                "vocabulary": vocab}
        (root / MODEL_JSON).write_text(json.dumps(meta, ensure_ascii=False, separators=(",", ":"))
                                       + "\n", encoding="utf-8")
        np.savez_compressed(root / MODEL_NPZ, idf=self.idf.astype(np.float32),
                            weights=self.weights.astype(np.float32),
                            bias=self.bias.astype(np.float32))
