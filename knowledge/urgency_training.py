"""Training the urgency model (knowledge/urgency_model.py); needs scikit-learn.

Data: the project-written examples of ``knowledge/data/urgency_examples.yaml`` (特急 by danger
type, 紧急, 一般) plus real board letters from ``../shared/data/complaints/*.csv`` as background.
The letters are overwhelmingly not emergencies: each is labelled 紧急 when a rule finds a 紧急
or 特急 matter in it (a past danger told in a letter still deserves a look), else 一般. Their
texts are only read, never stored: the artefact keeps n-grams, idf and weights.

Thresholds come from 5-fold cross-validation on the training data only (never the hold-out set
of tests/knowledge/data/urgency_holdout.yaml): ``teji`` is the lowest P(特急) at which at most
``max_letter_teji`` of the out-of-fold letters and at most ``max_example_teji`` of the written non-特急 examples
would be raised; ``jinji`` likewise for 紧急 (letters and written 一般 examples).
"""

from __future__ import annotations

import csv
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from knowledge.errors import KnowledgeError
from knowledge.matching import normalize
from knowledge.pack import DEFAULT_PACK, load_pack
from knowledge.schema import load_yaml
from knowledge.urgency import UrgencyAssessor
from knowledge.urgency_model import MODEL_DIR, PLAIN, UrgencyModel, grams

EXAMPLES_FILE = DEFAULT_PACK / "urgency_examples.yaml"
# labeled.csv is left out of training on purpose: bench/urgency.py measures the share of its
# letters that come out 特急 with a model that never saw them.
TRAIN_LETTER_FILES = ("unlabeled.csv", "unlabeled_with_likes.csv", "unlabeled_with_replies.csv")
ALL_LETTER_FILES = ("labeled.csv", *TRAIN_LETTER_FILES)


@dataclass(frozen=True)
class UrgencySettings:
    head_chars: int = 400
    n_max: int = 3
    letter_min_df: int = 20  # letter n-grams enter the vocabulary from this many letters on
    letter_weight_ratio: float = 1.0  # total weight of the letters / of the examples
    c: float = 10.0  # inverse regularisation of the logistic regression
    max_letter_teji: float = 0.002  # share of letters the model may raise to 特急 (CV)
    max_letter_jinji: float = 0.02  # … and to 紧急
    max_example_teji: float = 0.05  # share of the written non-特急 examples raised to 特急 (CV)
    max_example_jinji: float = 0.05  # share of the written 一般 examples raised to 紧急 (CV)
    lower: float = 0.3  # a long letter's rule hit whose passage scores below this is lowered
    folds: int = 5


def load_examples(path: Path = EXAMPLES_FILE) -> list[tuple[str, str]]:
    """(text, class) pairs; the 特急 classes are rule ids."""
    rules = {r.id for r in load_pack().urgency.rules if r.level == "特急"}
    data = load_yaml(path.read_text(encoding="utf-8"))
    file = str(path)
    if not isinstance(data, dict) or set(data) != {"特急", "紧急", "一般"}:
        raise KnowledgeError(file, "(file)", "needs exactly the keys 特急, 紧急 and 一般")
    out = []
    for rule_id, texts in (data["特急"] or {}).items():
        if rule_id not in rules:
            raise KnowledgeError(file, f"特急.{rule_id}", "is not a 特急 rule of urgency.yaml")
        out += [(str(t), rule_id) for t in texts or []]
    for level in PLAIN:
        out += [(str(t), level) for t in data[level] or []]
    return out


def load_letters(data_path: Path, files: tuple[str, ...] = ALL_LETTER_FILES,
                 exclude: tuple[str, ...] = ()) -> list[str]:
    """Board letters (subject and text joined), each once; none that is also in ``exclude``."""
    folder = data_path if data_path.is_dir() else data_path.parent
    seen: dict[str, None] = {}
    skip = set(load_letters(data_path, exclude)) if exclude else set()
    for name in files:
        path = folder / name
        if not path.exists():
            continue
        with path.open(encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                subject, text = (row.get("subject") or "").strip(), (row.get("text") or "").strip()
                letter = f"{subject}。{text}" if subject and not text.startswith(subject) else text
                if letter and letter not in skip:
                    seen.setdefault(letter, None)
    return list(seen)


def letter_label(assessor: UrgencyAssessor, norm: str) -> str:
    return "一般" if assessor.assess(norm).level == "一般" else "紧急"


def _vocabulary(examples: list[str], letters: list[str], s: UrgencySettings) -> list[str]:
    vocab = {g for t in examples for g in grams(t[: s.head_chars], s.n_max)}
    df: dict[str, int] = {}
    for t in letters:
        for g in set(grams(t[: s.head_chars], s.n_max)):
            df[g] = df.get(g, 0) + 1
    vocab |= {g for g, n in df.items() if n >= s.letter_min_df}
    return sorted(vocab)


def fit(texts: list[str], labels: list[str], weights: np.ndarray, vocab: list[str],
        s: UrgencySettings, thresholds: dict[str, float] | None = None,
        meta: dict | None = None) -> UrgencyModel:
    """Fit on normalised texts."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = TfidfVectorizer(analyzer=lambda t: grams(t[: s.head_chars], s.n_max),
                                 vocabulary=vocab, sublinear_tf=True)
    x = vectorizer.fit_transform(texts)
    classes = sorted(set(labels), key=lambda c: (c not in PLAIN, PLAIN.index(c)
                                                 if c in PLAIN else 0, c))
    clf = LogisticRegression(C=s.c, max_iter=2000)
    clf.fit(x, labels, sample_weight=weights)
    order = [list(clf.classes_).index(c) for c in classes]
    return UrgencyModel(classes, {g: i for i, g in enumerate(vocab)},
                        vectorizer.idf_, clf.coef_[order].T.copy(), clf.intercept_[order].copy(),
                        head_chars=s.head_chars, n_max=s.n_max,
                        thresholds=thresholds or {"teji": 0.5, "jinji": 0.5}, meta=meta)


def _threshold(values: np.ndarray, share: float) -> float:
    """The lowest threshold that at most ``share`` of ``values`` reach (>=)."""
    ordered = np.sort(values)[::-1]
    k = int(np.floor(share * len(ordered)))
    if k >= len(ordered):
        return 0.0
    return float(min(0.99, max(0.5, ordered[k] + 1e-6)))


def train(data_path: Path, out_path: Path | None = None, *, seed: int = 0,
          settings: UrgencySettings | None = None, log=print) -> dict:
    """Cross-validate the thresholds, fit on everything, write the artefact; return a summary."""
    s = settings or UrgencySettings()
    started = time.perf_counter()
    assessor = UrgencyAssessor(load_pack().urgency)
    examples = [(normalize(t), c) for t, c in load_examples()]
    letters = [normalize(t) for t in load_letters(data_path, TRAIN_LETTER_FILES,
                                                  exclude=("labeled.csv",))]
    if not letters:
        raise KnowledgeError(str(data_path), "(folder)", "no board letters (*.csv) found")
    letter_labels = [letter_label(assessor, t) for t in letters]
    texts = [t for t, _ in examples] + letters
    labels = [c for _, c in examples] + letter_labels
    is_letter = np.array([False] * len(examples) + [True] * len(letters))
    w_letter = s.letter_weight_ratio * len(examples) / len(letters)
    weights = np.where(is_letter, w_letter, 1.0)
    vocab = _vocabulary([t for t, _ in examples], letters, s)
    log(f"urgency model: {len(examples)} examples, {len(letters)} letters, "
        f"{len(vocab)} n-grams")

    rng = np.random.default_rng(seed)
    fold = np.empty(len(texts), dtype=int)
    for group in sorted(set(labels)):  # stratified: each class spread over the folds
        members = np.flatnonzero(np.array(labels) == group)
        rng.shuffle(members)
        fold[members] = np.arange(len(members)) % s.folds
    oof_teji = np.zeros(len(texts))
    oof_urgent = np.zeros(len(texts))
    for k in range(s.folds):
        train_idx, test_idx = np.flatnonzero(fold != k), np.flatnonzero(fold == k)
        model = fit([texts[i] for i in train_idx], [labels[i] for i in train_idx],
                    weights[train_idx], vocab, s)
        for i in test_idx:
            sc = model.scores(texts[i])
            oof_teji[i], oof_urgent[i] = sc.teji, sc.teji + sc.jinji
        log(f"  fold {k + 1}/{s.folds} done")
    is_teji = np.array([c not in PLAIN for c in labels])
    ex = ~is_letter
    teji_th = max(_threshold(oof_teji[is_letter], s.max_letter_teji),
                  _threshold(oof_teji[ex & ~is_teji], s.max_example_teji))
    yiban = np.array(labels) == "一般"
    jinji_th = max(_threshold(oof_urgent[is_letter & yiban], s.max_letter_jinji),
                   _threshold(oof_urgent[ex & yiban], s.max_example_jinji))
    cv = {
        "teji_threshold": round(teji_th, 4),
        "jinji_threshold": round(jinji_th, 4),
        "examples_teji_recall": round(float((oof_teji[ex & is_teji] >= teji_th).mean()), 4),
        "examples_not_teji_raised": round(float((oof_teji[ex & ~is_teji] >= teji_th).mean()), 4),
        "letters_raised_teji": round(float((oof_teji[is_letter] >= teji_th).mean()), 4),
        "examples_yiban_raised_jinji": round(float((oof_urgent[ex & yiban] >= jinji_th).mean()),
                                             4),
    }
    meta = {"examples": len(examples), "letters": len(letters), "seed": seed,
            "settings": asdict(s), "cv": cv}
    model = fit(texts, labels, weights, vocab, s,
                {"teji": round(teji_th, 4), "jinji": round(jinji_th, 4), "lower": s.lower},
                meta)
    meta["seconds"] = round(time.perf_counter() - started, 1)
    model.save(out_path if out_path is not None else MODEL_DIR)
    log(f"urgency model: CV {cv}; {meta['seconds']} s")
    return meta
