"""Text normalisation shared by the index (entry text) and the matcher (member text).

Both sides go through exactly the same steps, so what matters is consistency, not linguistics:

1. `clean_chat` strips Discord noise: code blocks, user/role/channel mentions, custom emoji,
   @everyone/@here, URLs (their host words are kept), unicode emoji and other symbols,
   zalgo (combining marks), accents and control characters.
2. `tokenize` casefolds, drops apostrophes ("didn't" -> "didnt"), rewrites a few multi-word
   phrases to one form ("7 days" -> "week", "free plan" -> "basic plan", "roll over" ->
   "rollover"), splits into words (keeping clause boundaries), squeezes letter runs
   ("sooo" -> "soo") and expands chat slang ("u" -> "you", "pls" -> "please", "cuz" -> "because").
3. `term` maps one word to its index term: a light suffix stemmer (plurals, -ing, -ed, -ly,
   -ation, final e) then a synonym table of general vocabulary (buy/purchase, client/employer,
   message/dm/chat...). Words in STOPWORDS carry no meaning for matching and give no term.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# Longest member text we look at. Beyond this a message is a wall of text; its opening
# (where the question almost always is) is enough, and the cap keeps matching fast.
MAX_CHARS = 3000
MAX_WORDS = 300

# Only a closed block: Discord shows an unclosed ``` as it is, so the words after it are still read.
_CODE_BLOCK = re.compile(r"```.*?```", re.DOTALL)
_INLINE_CODE = re.compile(r"`([^`\n]{0,200})`")
_MENTION = re.compile(r"<(?:@[!&]?|#)\d+>")
_CUSTOM_EMOJI = re.compile(r"<a?:([A-Za-z0-9_~]{1,64}):\d+>")
_EVERYONE = re.compile(r"@(?:everyone|here)\b", re.IGNORECASE)
_URL = re.compile(r"(?:https?://)?(?:www\.)?((?<=//)[^\s/<>]+|(?<=www\.)[^\s/<>]+)\S*", re.IGNORECASE)
_SHORTCODE = re.compile(r":[a-z0-9_+\-]{2,40}:")
_ASCII_NOISE = re.compile(r"[\x00-\x1f\x7f]")
_APOSTROPHES = re.compile(r"['’‘ʼ`´]")
_CLAUSE_SPLIT = re.compile(r"[.!?;:,\n\r\t()\[\]{}\"|]+")
_WORD = re.compile(r"[^\W_]+")
_RUNS = re.compile(r"(.)\1{2,}")
_DIGITS_LETTERS = re.compile(r"^(\d+)([a-z]+)$")


def clean_chat(text: str) -> str:
    """Remove Discord markup and decoration, keep the words a member wrote."""
    text = text[: MAX_CHARS * 2]
    if "`" in text:
        text = _CODE_BLOCK.sub(" ", text)
        text = _INLINE_CODE.sub(r" \1 ", text)
    if "<" in text:
        text = _MENTION.sub(" ", text)
        text = _CUSTOM_EMOJI.sub(" ", text)
    if "@" in text:
        text = _EVERYONE.sub(" ", text)
    if "http" in text or "www." in text or "HTTP" in text or "WWW." in text:
        text = _URL.sub(lambda m: " " + m.group(1).replace(".", " ") + " ", text)  # keep the host's words
    if ":" in text:
        text = _SHORTCODE.sub(" ", text)
    if text.isascii():
        return _ASCII_NOISE.sub(" ", text)[:MAX_CHARS]
    # NFKD splits accented letters from their marks (and fullwidth/ligature forms to plain
    # ones); dropping every mark removes accents and zalgo alike.
    kept = []
    for ch in unicodedata.normalize("NFKD", text):
        if ch.isascii():
            kept.append(" " if ch < " " or ch == "\x7f" else ch)
            continue
        cat = unicodedata.category(ch)
        if cat[0] == "M":
            continue
        kept.append(" " if cat[0] in "CSZ" else ch)  # controls, emoji, symbols, odd spaces
    return "".join(kept)[:MAX_CHARS]


_PLAN_WORDS: tuple[str, ...] = ("plan", "plans", "account", "accounts", "membership", "memberships")
_PLAN_WORDS += ("member", "members", "tier", "tiers", "user", "users")
# Phrases rewritten before splitting: (trigger words, pattern, replacement). A pattern runs only
# when one of its trigger words is among the text's words (a cheap test that keeps texts fast).
# They name general ways of saying the same thing, not particular questions.
_PHRASES: tuple[tuple[tuple[str, ...], re.Pattern[str], str], ...] = tuple(
    (triggers, re.compile(pattern), replacement)
    for triggers, pattern, replacement in (
        (("day", "days", "7days"), r"\b(?:7|seven)[\s-]*days?\b", " week "),
        (("week", "day", "days", "7days"), r"\b(?:per|a|each|every|1|one)\s+week\b", " weekly "),
        (("month",), r"\b(?:per|a|each|every|1|one)\s+month\b", " monthly "),
        (
            _PLAN_WORDS,
            r"\b(?:free|basic|unpaid|normal|standard)\s+(?:plan|account|membership|tier|member|user)s?\b",
            " basic plan ",
        ),
        (
            (*_PLAN_WORDS, "subscription", "subscriptions"),
            r"\b(?:paid|premium|pro)\s+(?:plan|account|membership|tier|member|user|subscription)s?\b",
            " plus plan ",
        ),
        (("plus",), r"\bfreelancer\s+plus\b", " plus plan "),
        (("sign", "signed", "signing"), r"\b(?:sign|signed|signing)\s+up\b", " signup "),
        (
            ("over", "forward"),
            r"\b(?:roll|rolled|rolling|rolls|carry|carried|carries|carrying)[\s-]+(?:over|forward)\b",
            " rollover ",
        ),
        (("carryover",), r"\bcarryover\b", " rollover "),
        (("out",), r"\breach(?:ing|ed)?\s+out\b", " message "),
        (("touch",), r"\bget\s+in\s+touch\b", " message "),
        (("success",), r"\bjob\s+success\s+score\b", " jss "),
        (
            ("rate", "rates"),
            r"\b(?:hourly|per\s+hour|an\s+hour|hour)\s+rates?\b|\brates?\s+(?:per|an|a)\s+hour\b",
            " hourlyrate ",
        ),
        (("letter", "letters"), r"\bcover\s+letters?\b", " coverletter "),
        (("platform",), r"\bon\s+the\s+platform\b", " on upwork "),
        (
            ("off", "offsite"),
            r"\boff\s+(?:of\s+)?(?:the\s+)?(?:platform|upwork|site)\b|\boffsite\b|\boff-platform\b",
            " outside upwork ",
        ),
        (("know",), r"\bdont\s+know\b", " idk "),
        (("w",), r"\bw/o\b", " without "),
        (("w",), r"\bw/", " with "),
        (("e",), r"\be-mail", "email"),
        (("meet",), r"\bgoogle\s+meet\b", " meet "),
        (("call", "calls"), r"\b(?:video|voice|phone|audio)\s+calls?\b", " call "),
    )
)


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Chat spelling -> plain words ("" drops the word).
SLANG: dict[str, str] = {
    "u": "you",
    "ya": "you",
    "yu": "you",
    "ur": "your",
    "urs": "yours",
    "r": "are",
    "y": "why",
    "pls": "please",
    "plz": "please",
    "plzz": "please",
    "pleasee": "please",
    "pleas": "please",
    "cuz": "because",
    "coz": "because",
    "cos": "because",
    "bc": "because",
    "bcz": "because",
    "bcoz": "because",
    "becuz": "because",
    "becoz": "because",
    "cause": "because",
    "wanna": "want to",
    "gonna": "going to",
    "gotta": "have to",
    "hafta": "have to",
    "dunno": "idk",
    "lemme": "let me",
    "gimme": "give me",
    "kinda": "kind of",
    "sorta": "sort of",
    "abt": "about",
    "b4": "before",
    "bfr": "before",
    "thru": "through",
    "tho": "though",
    "wat": "what",
    "wut": "what",
    "wht": "what",
    "whats": "what is",
    "wats": "what is",
    "hw": "how",
    "hows": "how is",
    "whr": "where",
    "wheres": "where is",
    "wen": "when",
    "whens": "when is",
    "whys": "why is",
    "hv": "have",
    "cn": "can",
    "shud": "should",
    "shld": "should",
    "wud": "would",
    "cud": "could",
    "im": "i am",
    "ive": "i have",
    "msg": "message",
    "msgs": "messages",
    "mssg": "message",
    "dm": "message",
    "dms": "messages",
    "pm": "message",
    "pms": "messages",
    "txt": "text",
    "acc": "account",
    "acct": "account",
    "accnt": "account",
    "pic": "picture",
    "pfp": "profile picture",
    "info": "information",
    "rn": "now",
    "tmrw": "tomorrow",
    "tmr": "tomorrow",
    "tdy": "today",
    "yday": "yesterday",
    "wk": "week",
    "wks": "weeks",
    "mo": "month",
    "mos": "months",
    "mnth": "month",
    "yr": "year",
    "yrs": "years",
    "hr": "hour",
    "hrs": "hours",
    "min": "minute",
    "mins": "minutes",
    "ppl": "people",
    "sm": "so much",
    "bout": "about",
    "ppl's": "people",
    "approx": "about",
    "cnx": "connects",
    "cnct": "connects",
    "cncts": "connects",
    "convo": "conversation",
    "convos": "conversations",
    "cx": "client",
    "clt": "client",
    "upw": "upwork",
    "freelance": "freelancer",
    "freelancers": "freelancer",
    # pure chat filler: nothing to match on
    "lol": "",
    "lmao": "",
    "lmfao": "",
    "rofl": "",
    "smh": "",
    "tbh": "",
    "tbf": "",
    "idk": "",
    "imo": "",
    "imho": "",
    "btw": "",
    "fyi": "",
    "afaik": "",
    "iirc": "",
    "ngl": "",
    "fr": "",
    "omg": "",
    "wtf": "",
    "ffs": "",
    "ty": "",
    "thx": "",
    "tks": "",
    "tysm": "",
    "ok": "",
    "okay": "",
    "okk": "",
    "k": "",
    "kk": "",
    "hmm": "",
    "hm": "",
    "uh": "",
    "um": "",
    "ugh": "",
    "meh": "",
    "yeah": "",
    "yea": "",
    "yep": "",
    "yup": "",
    "nah": "no",
    "nope": "no",
    "bro": "",
    "bruh": "",
    "sis": "",
    "dude": "",
    "guys": "",
    "folks": "",
    "fam": "",
    "asap": "",
    "nvm": "",
    "jk": "",
    "xd": "",
    "xx": "",
    "tia": "",
}

# Words that say nothing about which entry is meant. Question words and negations are NOT
# here: "why", "where", "how many", "didnt" carry meaning (they are down-weighted instead).
STOPWORDS: frozenset[str] = _wordset(
    """
    a an the and or but if then so than that this these those there here of to in on at by for from
    with as into onto about over under up down out off again also too very just really actually
    exactly even still already yet ever is are was were be been being am do does did doing done
    have has had having i me my mine myself we us our ours you your yours yourself he him his she
    her hers it its they them their theirs what which who whom whose would could should shall will
    can may might must ok okay please thanks thank hello hi hey anyone someone somebody anybody
    everyone everybody guy guys people person something anything everything thing things stuff some
    any all each every both either neither one ones lot lots bit kind sort like well oh let lets
    know think thought feel felt seems seem seemed mean means meant wonder wondering question
    questions ask asking asked help helps anybody here now today im ive id youre theyre thats
    theres heres whats also because since while though although until unless whether via per etc
    i'm i've it's go going gone want wanted wants need needed needs got gets get getting make makes
    made making
    """
)

# Down-weighted but kept: they change what is being asked.
WEAK_WORDS: frozenset[str] = _wordset(
    """
    how many much without more most less first other another same
    """
)

# General-vocabulary synonyms, applied to stemmed words: every form maps to one term.
_SYNONYM_GROUPS: dict[str, tuple[str, ...]] = {
    "connect": ("connect", "credit", "token", "conect", "connex"),
    "proposal": ("proposal", "propos", "applic", "apply", "bid", "bidd", "pitch"),
    "buy": ("buy", "purchas", "bought", "acquir", "order", "topup"),
    "refund": ("refund", "reimburs", "compensat"),
    "cost": ("cost", "price", "charg", "pric"),
    "client": ("client", "employer", "buyer", "customer", "hirer", "recruiter"),
    "freelancer": ("freelancer", "contractor", "talent", "worker", "seller"),
    "hire": ("hire", "hir", "recruit", "engag"),
    "message": (
        "message",
        "messag",
        "chat",
        "dm",
        "inbox",
        "text",
        "contact",
        "talk",
        "convers",
        "communic",
        "discuss",
        "speak",
    ),
    "contactinfo": ("email", "gmail", "mail", "phone", "phonenumber", "linkedin"),
    "offapp": (
        "whatsapp",
        "telegram",
        "skype",
        "zoom",
        "meet",
        "slack",
        "viber",
        "wechat",
        "facetime",
        "hangout",
    ),
    "month": ("month", "monthly", "mnth"),
    "week": ("week", "weekly"),
    "balance": ("balance", "remain", "left", "total"),
    "history": ("history", "log", "record", "statement", "ledger"),
    "plus": ("plus", "premium", "pro", "subscript", "subscrib"),
    "basic": ("basic",),
    "signup": ("signup", "register", "registr", "join", "newbie", "newcomer"),
    "rollover": ("rollover", "accumul", "unused", "leftover"),
    "rate": ("rat", "rate", "review", "score", "feedback", "star"),
    "badge": ("badge", "icon"),
    "interview": ("interview", "intervew", "interveiw"),
    "why": ("why", "reason", "purpose", "point", "logic", "rational", "rationale"),
    # Negations are one term: "no connects" and "connects not added" share it, "connects" lacks it.
    "not": (
        "not",
        "no",
        "never",
        "didnt",
        "dont",
        "doesnt",
        "havent",
        "hasnt",
        "wasnt",
        "werent",
        "isnt",
        "arent",
        "cant",
        "cannot",
        "wont",
        "didn",
        "haven",
        "hasn",
        "nothing",
    ),
    "friend": (
        "friend",
        "brother",
        "sister",
        "cousin",
        "colleague",
        "coworker",
        "teammate",
        "wife",
        "husband",
        "buddy",
        "relativ",
        "sibling",
    ),
    "fast": ("fast", "quick", "quickly", "speed", "soon", "prompt", "promptly", "hurry"),
    "reply": ("reply", "respond", "respons", "answer"),
    "reputation": ("reputation", "trust", "credibil", "karma", "prestig"),
    "wisely": (
        "wis",
        "smart",
        "smarter",
        "efficient",
        "efficiency",
        "effectiv",
        "optimiz",
        "optimis",
        "maximiz",
        "maximis",
        "strategy",
        "tip",
    ),
    "invit": ("invit", "invite"),
    "transfer": ("transfer", "gift", "donat", "lend"),
    "outside": ("outside", "offsit", "external", "elsewher"),
    "rule": ("rule", "polic", "allow", "permit", "tos", "term", "ban", "violat", "legit", "legal", "against"),
    "missing": ("missing", "miss", "disappear", "vanish"),
    "lost": ("lost", "los"),
    "community": ("community", "forum"),
}
SYNONYMS: dict[str, str] = {form: head for head, forms in _SYNONYM_GROUPS.items() for form in forms}

_VOWELS = set("aeiouy")


@lru_cache(maxsize=1 << 18)
def stem(word: str) -> str:
    """A light, consistent suffix stemmer: 'interviews'/'interviewed'/'interviewing' -> 'interview'."""
    if len(word) <= 3 or not word.isalpha():
        return word
    w = word
    if w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith("sses"):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    for suffix in ("ations", "ation", "ings", "ing", "ied", "ed", "ly", "ment", "al"):
        if w.endswith(suffix):
            base = w[: -len(suffix)]
            if suffix == "al" and len(base) < 5:
                break  # "total", "portal" stay; "renewal" -> "renew", "withdrawal" -> "withdraw"
            if suffix == "ly" and len(base) < 4:
                break  # "apply", "reply", "only" stay; "monthly" -> "month"
            if suffix == "ied":
                base += "y"
            if suffix == "ed" and len(base) < 3:
                base = w[:-1]  # "used" -> "use"
            if len(base) >= 3 and any(c in _VOWELS for c in base):
                w = base
                if suffix in ("ing", "ed") and len(w) >= 4 and w[-1] == w[-2] and w[-1] not in "lsz":
                    w = w[:-1]  # "getting" -> "get", "stopped" -> "stop"
            break
    if len(w) >= 4 and w.endswith("e") and not w.endswith("ee"):
        w = w[:-1]
    return w


@lru_cache(maxsize=1 << 18)
def term(word: str) -> str | None:
    """The index term of one (already slang-expanded) word, or None for a stopword."""
    if word in STOPWORDS:
        return None
    stemmed = stem(word)
    return SYNONYMS.get(stemmed, SYNONYMS.get(word, stemmed))


@dataclass(slots=True)
class Tokens:
    """A text's words in order, and the same words grouped by clause (split at punctuation)."""

    words: list[str]
    clauses: list[str]  # each clause's words joined by spaces

    @property
    def joined(self) -> str:
        return " ".join(self.words)


_TRIGGER_PHRASES: dict[str, list[int]] = {}
for _number, (_triggers, _pattern, _replacement) in enumerate(_PHRASES):
    for _trigger in _triggers:
        _TRIGGER_PHRASES.setdefault(_trigger, []).append(_number)
_TRIGGER_WORDS = frozenset(_TRIGGER_PHRASES)
_BOUNDARY = "|"  # clause boundary marker among raw tokens
_TOKEN = re.compile(r"[^\W_]+|[.!?;:,\n\r\t()\[\]{}\"|]+")
_CLAUSE_CHARS = '.!?;:,\n\r\t()[]{}"|'
# ASCII fast path: one bytes.translate maps letters and digits to themselves, clause punctuation
# to the boundary marker and everything else to a space, and drops apostrophes.
_ASCII_TABLE = bytes(
    b if chr(b).isalnum() and b < 128 else ord(_BOUNDARY) if chr(b) in _CLAUSE_CHARS else ord(" ")
    for b in range(256)
)
_ASCII_DELETE = b"'`"


def _raw_tokens(lowered: str) -> list[str]:
    """Words and clause-boundary markers of casefolded text."""
    if lowered.isascii():
        spaced = lowered.encode("ascii").translate(_ASCII_TABLE, _ASCII_DELETE).decode("ascii")
        return spaced.replace(_BOUNDARY, " | ").split()
    lowered = _APOSTROPHES.sub("", lowered)
    return [token if token[0].isalnum() else _BOUNDARY for token in _TOKEN.findall(lowered)]


def tokenize(text: str, chat: bool = True) -> Tokens:
    """The words of a text: cleaned (when `chat`), casefolded, phrase-normalised, slang expanded.

    `chat=False` (the knowledge base's own, edited texts) skips squeezing letter runs ("sooo" -> "soo").
    """
    if chat:
        lowered = _RUNS.sub(r"\1\1", clean_chat(text).casefold())
    elif text.isascii() and "<" not in text and "http" not in text:
        lowered = text[:MAX_CHARS].casefold()  # edited ASCII text: nothing to clean
    else:
        lowered = clean_chat(text).casefold()
    raw = _raw_tokens(lowered)
    if not _TRIGGER_WORDS.isdisjoint(raw):
        rewritten = _APOSTROPHES.sub("", lowered)
        numbers = {n for token in _TRIGGER_WORDS.intersection(raw) for n in _TRIGGER_PHRASES[token]}
        for number in sorted(numbers):
            _, pattern, replacement = _PHRASES[number]
            rewritten = pattern.sub(replacement, rewritten)
        if rewritten != lowered:
            raw = _raw_tokens(rewritten)
    all_words: list[str] = []
    clauses: list[str] = []
    start = 0
    slang = SLANG
    for token in raw[: MAX_WORDS * 2]:
        expanded = slang.get(token)
        if expanded is not None:
            if expanded:
                all_words.extend(expanded.split())
        elif token == _BOUNDARY:
            if len(all_words) > start:
                clauses.append(" ".join(all_words[start:]))
                start = len(all_words)
        elif "0" <= token[0] <= "9" and not token.isdigit() and (split := _DIGITS_LETTERS.match(token)):
            if split.group(2) in ("st", "nd", "rd", "th"):
                all_words.append(token)
            else:
                all_words.append(split.group(1))  # "10connects" -> "10 connects"
                all_words.append(split.group(2))
        else:
            all_words.append(token)
    if len(all_words) > start:
        clauses.append(" ".join(all_words[start:]))
    if len(all_words) > MAX_WORDS:
        del all_words[MAX_WORDS:]
    return Tokens(all_words, clauses)


def plain_words(text: str) -> list[str]:
    """The words of a long text without phrase rewriting, slang or clauses (answer bodies: a
    weak signal, indexed cheaply)."""
    lowered = text[:MAX_CHARS].casefold()
    if not lowered.isascii():
        lowered = clean_chat(lowered).casefold()
    return [token for token in _raw_tokens(lowered) if token != _BOUNDARY]


def words(text: str) -> list[str]:
    """The words of a member's text (see `tokenize`)."""
    return tokenize(text).words


def normalize(text: str) -> str:
    """Cleaned, casefolded, slang-expanded text as one space-separated string."""
    return " ".join(tokenize(text).words)
