"""Normalisation: what members type becomes the same terms as the knowledge base's text."""

from __future__ import annotations

import pytest

from connectsbot.matching.normalize import clean_chat, normalize, stem, term, tokenize, words
from connectsbot.matching.pseudo_terms import cues


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("<@123456> how many connects?", "how many connects"),
        ("<@!42> <@&7> <#99> rollover??", "rollover"),
        ("@everyone @here what are connects", "what are connects"),
        ("connects <:pepe_sad:123456789012345678> <a:dance:42> gone", "connects gone"),
        ("```python\nprint('hi')\n``` why no connects", "why no connects"),
        ("see https://www.upwork.com/nx/plans/connects/ pls", "see upwork com please"),
        ("connects 🙏🙏 😭", "connects"),
        ("Élance connects", "elance connects"),
        ("c\u0336o\u0335n\u0334n\u0337e\u0338c\u0336t\u0335s", "connects"),
        ("ｃｏｎｎｅｃｔｓ", "connects"),
        ("connects\x00\x07 history", "connects history"),
    ],
)
def test_discord_noise_is_stripped(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("pls tell me how u get connects", "please tell me how you get connects"),
        ("ur connects r gone smh tbh", "your connects are gone"),
        ("idk why cuz i applied lol", "why because i applied"),
        ("didn't get my connects", "didnt get my connects"),
        ("whats a connect", "what is a connect"),
        ("im new, wanna buy connects", "i am new want to buy connects"),
        ("soooo many conneeeects", "soo many conneects"),
        ("10connects per 7 days", "10 connects weekly"),
        ("do they roll over?", "do they rollover"),
        ("free plan and freelancer plus", "basic plan and plus plan"),
    ],
)
def test_chat_spelling_is_normalised(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_clauses_split_at_punctuation() -> None:
    tokens = tokenize("what even are connects lol, just made my account")
    assert tokens.clauses == ["what even are connects", "just made my account"]
    assert tokens.words == words("what even are connects lol, just made my account")


def test_clean_chat_keeps_words_of_rtl_and_other_scripts() -> None:
    assert "كونكتس" in clean_chat("ما هي كونكتس؟")
    assert normalize("ما هي كونكتس؟") == "ما هي كونكتس"


@pytest.mark.parametrize(
    "forms",
    [
        ("interview", "interviews", "interviewed", "interviewing"),
        ("invite", "invites", "invited", "inviting", "invitation"),
        ("message", "messages", "messaging", "messaged"),
        ("rate", "rated", "rating"),
        ("renew", "renewal"),
        ("apply", "applied", "applying"),
    ],
)
def test_word_forms_share_a_stem(forms: tuple[str, ...]) -> None:
    assert len({stem(form) for form in forms}) == 1


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("buy", "purchase"),
        ("client", "employer"),
        ("message", "chat"),
        ("credits", "connects"),
        ("didnt", "never"),
        ("whatsapp", "telegram"),
        ("efficient", "wisely"),
    ],
)
def test_synonyms_share_a_term(a: str, b: str) -> None:
    assert term(a) == term(b)


def test_stopwords_give_no_term() -> None:
    assert term("the") is None
    assert term("please") is None
    assert term("why") == "why"  # question words carry meaning


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("as a client, how do I message a freelancer", {"to_freelancer", "as_client"}),
        ("freelancer here, how to contact the client", {"to_client", "as_freelancer"}),
        ("can we talk on whatsapp before the contract starts", {"phase_before"}),
        ("the contract started, can we use skype now", {"phase_after"}),
        ("we already have a contract running", {"phase_after"}),
        ("what counts as an interview", {"q_define"}),
        ("what even are connects lol", {"q_define"}),
        ("where are my interview connects", {"not"}),
        ("how many connects per proposal", set()),
    ],
)
def test_cues(text: str, expected: set[str]) -> None:
    assert set(cues(tokenize(text))) == expected


def test_long_input_is_capped() -> None:
    tokens = tokenize("connects " * 20_000)
    assert 0 < len(tokens.words) <= 300
