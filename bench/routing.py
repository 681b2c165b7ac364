"""Departments against the bureau that really answered: routing measured on real letters.

    .venv/bin/python bench/routing.py [--data ../shared/data/complaints] [--limit N] [--show 0]

`unlabeled_with_replies.csv` holds board letters with the government's reply. Most replies
name the bureau that handled the letter ("A3区住建局高度重视", "市住建局及时将您反映的问题交由…",
"经A5区教育局、黎托街道核实"). A letter counts when its reply's opening names exactly one of the
bureau kinds below (its first 300 characters; another city's bureaus, mapped by kind onto this
pack's district ones); letters answered by a street or town only are counted apart (the board's
places are not in this pack's gazetteer, so a street office cannot be named for them).

For each counted letter the full triage (`knowledge.triage.load_default_triage`: rules, the
trained classifier, the shipped pack) routes subject + text, and the script prints how often
the answering bureau is the lead (主办), is among the departments at all, and how often the
letter went to the dispatch desk, with the figures per bureau; then the same for the subject
alone, which is as short as what residents type in the chat. Last, `--sample` random subjects
of `unlabeled.csv` (seed `--seed`): how many go to the dispatch desk or are unsure. Baseline in the same run: the
category route alone (the department the classifier's category maps to in routing.yaml's
category_rules, no topic rules), which is what the topic rules are measured against.

Caveats: the reply's bureau is one city's practice (another city draws lines differently: its
bus routes, housing funds, markets); the letters are long, residents' chat messages short; the
routing rules were written with some of these letters seen (see the commit log), so this is a
check on real text, not an unseen test set. Prints figures only; asserts nothing.
"""

from __future__ import annotations

import argparse
import csv
import random
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from knowledge.routing import Router  # noqa: E402
from knowledge.triage import Triage, load_default_triage  # noqa: E402

DEFAULT_DATA = REPO.parent / "shared" / "data" / "complaints"
REPLIES_FILE = "unlabeled_with_replies.csv"
UNLABELED_FILE = "unlabeled.csv"
OPENING = 300  # characters of the reply in which the answering bureau is named

# Bureau names as the board's replies write them (any city or district before them) -> this
# pack's department code. Longer names first where one contains another.
BUREAUS: tuple[tuple[str, str], ...] = (
    (r"住房和城乡建设局|住建局|住房城乡建设局|住建委|房屋交易管理中心|房产局|住房保障", "D-ZJW"),
    (r"城市管理和综合执法局|城管执法局|城管局|城市管理局|城管执法大队|环卫", "D-CGJ"),
    (r"自然资源和规划局|自然资源局|国土资源局|规划局|林业局|不动产登记", "D-GHZY"),
    (r"生态环境局|环境保护局|环保局", "D-STHJ"),
    (r"交警|交通警察", "D-JXJ"),
    (r"公安局|公安分局|派出所", "D-GAFJ"),
    (r"交通运输局|交通局|公交|运输管理", "D-JTJ"),
    (r"人力资源和社会保障局|人社局|社保局|劳动监察|社会保险", "D-RSJ"),
    (r"医疗保障局|医保局", "D-YBJ"),
    (r"卫生健康委|卫健委|卫生健康局|卫健局|卫生局", "D-WJW"),
    (r"市场监督管理局|市场监管局|工商局|食药监", "D-SCJG"),
    (r"教育局|教育体育局|教体局|教委", "D-JW"),
    (r"文化旅游|文旅|体育局|广电", "D-WLW"),
    (r"民政局", "D-MZJ"),
    (r"司法局", "D-SFJ"),
    (r"应急管理局|安监局", "D-YJJ"),
    (r"水利局|水务局", "D-SLJ"),
    (r"农业农村局|农业局|农委|畜牧", "D-NYW"),
    (r"退役军人事务局", "D-TYJR"),
    (r"残联|残疾人联合会", "D-CL"),
    (r"税务局", "D-SWJ"),
    (r"纪委|监委", "D-JWJW"),
    (r"发展和改革局|发改委|发改局|发展改革委", "D-FGW"),
    (r"商务局|商务委", "D-SWW"),
    (r"工业和信息化局|工信局|经信委|通信管理", "D-JXW"),
    (r"消防救援", "D-XFZD"),
)
STREET = re.compile(r"[\u4e00-\u9fff]{1,6}(街道|镇人民政府|镇政府|乡政府|镇)(?!党)")
_BUREAU = [(re.compile(pattern), code) for pattern, code in BUREAUS]


def answering_bureau(reply: str) -> str | None:
    """The one bureau kind the reply's opening names ("street": a street or town only; None:
    none, or more than one kind)."""
    opening = reply[:OPENING]
    found = {code for pattern, code in _BUREAU if pattern.search(opening)}
    if len(found) == 1:
        return found.pop()
    if not found and STREET.search(opening):
        return "street"
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--limit", type=int, default=0, help="first N letters only (0: all)")
    parser.add_argument("--show", type=int, default=0, help="print N disagreements")
    parser.add_argument("--sample", type=int, default=400,
                        help="random board subjects (unlabeled.csv) checked for the dispatch desk")
    parser.add_argument("--seed", type=int, default=11, help="seed of that sample")
    args = parser.parse_args()
    with (args.data / REPLIES_FILE).open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    if args.limit:
        rows = rows[: args.limit]
    triage = load_default_triage()
    router = Router(triage.pack)
    dispatch = next(d.code for d in triage.pack.departments if "dispatch" in d.kinds)

    kinds = Counter(answering_bureau(r.get("reply") or "") for r in rows)
    print(f"letters: {len(rows)} from {args.data / REPLIES_FILE}; the reply names one bureau kind: "
          f"{sum(n for k, n in kinds.items() if k not in (None, 'street'))}; a street or town "
          f"only: {kinds['street']}; none or several: {kinds[None]}")
    for view, part in (("subject and letter", _whole), ("subject alone (short, as chat "
                                                           "messages are)", _subject)):
        _measure(rows, view, part, triage, router, dispatch, args.show)
    _unanswered(args.data, args.sample, args.seed, triage, dispatch)


def _unanswered(data: Path, size: int, seed: int, triage: Triage, dispatch: str) -> None:
    """How many random board subjects (no reply needed) go to the dispatch desk or are unsure:
    what a dispatcher would have to place by hand."""
    if size <= 0:
        return
    with (data / UNLABELED_FILE).open(encoding="utf-8") as fh:
        subjects = [r.get("subject") or "" for r in csv.DictReader(fh)]
    sample = random.Random(seed).sample(subjects, min(size, len(subjects)))
    left = 0
    for subject in sample:
        result = triage.classify(subject)
        left += result.low_confidence or result.departments[0].code == dispatch
    print(f"\n== {len(sample)} random board subjects ({UNLABELED_FILE}, seed {seed}): to the "
          f"dispatch desk or unsure {left} ({100 * left / max(1, len(sample)):.1f}%)")


def _whole(row: dict[str, str]) -> str:
    return f"{row.get('subject') or ''}。{row.get('text') or ''}"


def _subject(row: dict[str, str]) -> str:
    return row.get("subject") or ""


def _measure(rows: list[dict[str, str]], view: str, part: Callable[[dict[str, str]], str],
             triage: Triage, router: Router, dispatch: str, show: int) -> None:
    counted = lead_ok = any_ok = to_dispatch = base_ok = base_dispatch = 0
    per: Counter[str] = Counter()
    per_lead: Counter[str] = Counter()
    per_base: Counter[str] = Counter()
    misses: list[tuple[str, str, str]] = []
    started = time.process_time()
    for row in rows:
        bureau = answering_bureau(row.get("reply") or "")
        if bureau is None or bureau == "street":
            continue
        text = part(row)
        result = triage.classify(text)
        codes = [d.code for d in result.departments]
        lead = "" if result.low_confidence else codes[0]
        base = router.route("", category=result.category).lead.code
        counted += 1
        per[bureau] += 1
        if lead == bureau:
            lead_ok += 1
            per_lead[bureau] += 1
        elif len(misses) < show:
            misses.append((row.get("subject") or "", bureau, lead or "(dispatcher: unsure)"))
        any_ok += bureau in codes and not result.low_confidence
        to_dispatch += result.low_confidence or codes[0] == dispatch
        base_ok += base == bureau
        per_base[bureau] += base == bureau
        base_dispatch += base == dispatch
    cpu = time.process_time() - started
    if not counted:
        print("no letter with a bureau named in its reply")
        return

    def pct(n: int) -> str:
        return f"{n}/{counted} = {100 * n / counted:.1f}%"

    print(f"\n== {view}: {counted} letters")
    print(f"triage (rules + classifier + pack), {1000 * cpu / counted:.1f} ms CPU a letter:")
    print(f"  answering bureau leads (主办)        {pct(lead_ok)}")
    print(f"  answering bureau among departments   {pct(any_ok)}")
    print(f"  to the dispatch desk or unsure       {pct(to_dispatch)}")
    print("baseline: the category's department alone (routing.yaml category_rules):")
    print(f"  answering bureau leads (主办)        {pct(base_ok)}")
    print(f"  to the dispatch desk                 {pct(base_dispatch)}")
    print(f"ratio lead agreement triage/baseline: {lead_ok / max(1, base_ok):.2f}")
    names = {d.code: d.name for d in triage.pack.departments}
    print("per answering bureau (letters: triage leads / baseline leads):")
    for code, n in per.most_common():
        print(f"  {names.get(code, code):<12} {n:>4}: {per_lead[code]:>4} / {per_base[code]:>4}")
    for subject, bureau, lead in misses:
        print(f"  miss: {subject[:40]} | reply: {names.get(bureau, bureau)} | "
              f"routed: {names.get(lead, lead)}")


if __name__ == "__main__":
    main()
