"""Intents and entities come from knowledge/intents.yaml and faq.yaml, and mean what they say."""

from __future__ import annotations

import pytest

from dialogs.nlu import Nlu

NLU = Nlu.load()


@pytest.mark.parametrize(
    ("intent", "text"),
    [pytest.param(name, ex, id=f"{name}:{ex}") for name, exs in NLU.intent_examples().items()
     for ex in exs],
)
def test_every_example_in_the_data_file_is_understood(intent: str, text: str) -> None:
    assert NLU.parse(text)["intent"]["name"] == intent


@pytest.mark.parametrize(
    ("entry", "text", "matches"),
    [pytest.param(e.id, ex, True, id=f"{e.id}:{ex}") for e in NLU.faq.entries
     for ex in e.examples]
    + [pytest.param(e.id, ex, False, id=f"not-{e.id}:{ex}") for e in NLU.faq.entries
       for ex in e.not_examples],
)
def test_faq_questions_find_their_answer(entry: str, text: str, matches: bool) -> None:
    parse = NLU.parse(text)
    found = [e["value"] for e in parse["entities"] if e["entity"] == "faq"]
    if matches:
        assert parse["intent"]["name"] == "faq" and found == [entry]
    else:
        assert parse["intent"]["name"] != "faq"


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("小区门口的路灯坏了三天了", "report"),
        ("路灯坏球了，莫得人管", "report"),
        ("this is a test", "nlu_fallback"),
        ("啊", "nlu_fallback"),
        ("地址不对，是建新北路12号", "correct"),
        ("电话换成13900001111", "correct"),
        ("地址不对", "correct"),
        ("JB2026112500017 现在怎么样了", "query_status"),
        ("确认！", "confirm"),
        ("算了吧", "cancel"),
        # a leading digit is a rating only without a house number, a line or a count after it
        ("1楼的餐馆油烟大", "report"),
        ("3号楼电梯坏了好几天了", "report"),
        ("2号线站口有人占道摆摊", "report"),
        ("3，还是没修好", "survey_unsatisfied"),
        ("1 已解决", "survey_satisfied"),
    ],
)
def test_messages_residents_send(text: str, intent: str) -> None:
    assert NLU.parse(text)["intent"]["name"] == intent


def test_a_long_complaint_with_a_survey_word_is_still_a_problem() -> None:
    parse = NLU.parse("对物业很不满意，电梯坏了一个月了")
    assert parse["report_like"]  # the policy treats it as a report when no survey is waiting


def test_a_correction_names_the_slot_it_changes() -> None:
    assert NLU.parse("地址不对，是建新北路12号")["correction"] == "location"
    assert NLU.parse("电话换成13900001111")["correction"] == "contact_phone"
    assert NLU.parse("问题写错了，是井盖丢了")["correction"] == "description"
    # the word right before the marker names the slot, whatever entities the rest holds
    assert NLU.parse("问题改成垃圾站的垃圾一个星期没人清运了")["correction"] == "description"
    assert NLU.parse("地址改成建新北路12号")["correction"] == "location"
    assert NLU.parse("电话号码写错了")["correction"] == "contact_phone"


@pytest.mark.parametrize(
    ("said", "revised"),
    [
        ("说错了，不是路灯，是红绿灯坏了", "建新北路12号门口红绿灯坏了"),
        ("描述改一下：是红绿灯不是路灯", "建新北路12号门口红绿灯坏了"),
        ("问题改成垃圾站的垃圾没人清运", "垃圾站的垃圾没人清运"),
        ("问题写错了，是井盖丢了", "井盖丢了"),
    ],
)
def test_a_corrected_description(said: str, revised: str) -> None:
    assert NLU.revise_description("建新北路12号门口路灯坏了", said) == revised


@pytest.mark.parametrize(
    ("text", "solved"),
    [("1 已解决", True), ("3 根本没人来", False), ("满意", None), ("修好了，谢谢", True)],
)
def test_survey_answers_say_whether_the_problem_was_solved(text: str, solved: bool | None) -> None:
    assert NLU.solved(text) is solved


@pytest.mark.parametrize(
    ("text", "clean"),
    [
        ("建新北路12号门口井盖丢了两天了，电话13812345678", "建新北路12号门口井盖丢了两天了"),
        ("井盖丢了 我的电话是138 1234 5678。在建新北路", "井盖丢了，在建新北路"),
        ("座机023-67891234转12，路灯坏了", "路灯坏了"),
    ],
)
def test_phone_numbers_stay_out_of_the_description(text: str, clean: str) -> None:
    assert NLU.without_phones(text, NLU.parse(text)) == clean
