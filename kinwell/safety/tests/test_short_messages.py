"""Short chat messages: ordinary ones pass as "none", risky ones are flagged.

In circle chat an urgent result holds the message and alerts the facilitator, so a false
alarm on "thanks" makes chat unusable. The texts were written for these tests. None comes
from the evaluation set. The check set behind them is ``evaluation/short_chat.jsonl``.
"""

import pytest

from kinwell.safety.screening import screen_text

# The shipped model still over-alarms on these: the dev-set threshold procedure turned the
# fix (training/extra3.jsonl) into a higher urgent threshold, which cost urgent recall on the
# evaluation set (evaluation/RESULTS.md, runs 4 and 5). strict=True makes each marker fail
# loudly once a model that passes these ships, so it is removed then.
STILL_OVER_ALARMED = pytest.mark.xfail(
    strict=True, reason="shipped model over-alarms on this short message; see RESULTS.md"
)

ORDINARY = [
    pytest.param("thanks", marks=STILL_OVER_ALARMED),
    pytest.param("another one", marks=STILL_OVER_ALARMED),
    pytest.param("anyway", marks=STILL_OVER_ALARMED),
    pytest.param("good morning all", marks=STILL_OVER_ALARMED),
    pytest.param("lovely, thanks x", marks=STILL_OVER_ALARMED),
    "ok see you tomorrow",
    "thank you so much!",
    "sounds good, see you thursday",
    "another long day lol",
]

URGENT = [
    "i have the pills here",
    "goodbye everyone, this is my last message",
    "kms tonight",
    "took all my tablets an hour ago",
    "standing on the bridge right now",
    "i have the rope ready",
]

CONCERN_AT_LEAST = [
    "cant do this anymore",
    "everyone would be better off without me",
    "i wish i could disappear",
    "i wish i could sleep forever",
]


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_short_message_is_none(text):
    result = screen_text(text)
    assert result.level == "none", result


@pytest.mark.parametrize("text", URGENT)
def test_urgent_short_message_is_urgent(text):
    result = screen_text(text)
    assert result.level == "urgent", result


@pytest.mark.parametrize("text", CONCERN_AT_LEAST)
def test_worrying_short_message_is_flagged(text):
    result = screen_text(text)
    assert result.level != "none", result
