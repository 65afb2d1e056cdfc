"""Synthetic knowledge bases for the matcher benchmark.

Entries are built from freelancing-marketplace vocabulary (payments, contracts, profile, account,
job search, messaging) put through question and alias templates, so that their words overlap with
each other and with the real entries the way a large FAQ's would: "client", "proposal", "job",
"account", "profile", "fee" and "interview" recur everywhere. What they leave out on purpose is
Connects as a subject: the 34 real entries are the Connects FAQ, and a synthetic entry that
duplicated one of them would make "the right answer" to a public question ambiguous. They do
mention Connects in passing ("without using any Connects"), so that the word stays as common as it
would be in a big FAQ instead of marking the real entries out.

Everything is drawn from one seeded `random.Random`, so a given seed and size always give the same
entries, and a smaller knowledge base is a prefix of a larger one's synthetic entries.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from connectsbot.knowledge import Entry, normalise_alias

DEFAULT_SEED = 20261121
SYNTHETIC_AS_OF = date(2026, 11, 1)
MAX_ID_LENGTH = 64

# Subjects per category. Each is a noun phrase a member might ask about.
SUBJECTS: dict[str, tuple[str, ...]] = {
    "payments": (
        "payment method",
        "withdrawal",
        "direct to local bank transfer",
        "PayPal withdrawal",
        "Payoneer account",
        "wire transfer",
        "earnings",
        "pending balance",
        "available balance",
        "invoice",
        "billing method",
        "currency conversion",
        "tax form",
        "W-8BEN form",
        "tax information",
        "VAT number",
        "security period",
        "refund",
        "bonus payment",
        "withdrawal schedule",
        "withdrawal fee",
        "freelancer service fee",
        "hourly payment",
        "fixed-price payment",
        "escrow funds",
        "payment protection",
        "milestone payment",
        "expense reimbursement",
        "transaction history",
        "earnings report",
    ),
    "contracts": (
        "hourly contract",
        "fixed-price contract",
        "milestone",
        "weekly limit",
        "manual time",
        "work diary",
        "time tracker",
        "activity screenshot",
        "dispute",
        "mediation case",
        "contract offer",
        "contract end date",
        "job scope",
        "deliverable",
        "revision request",
        "contract feedback",
        "private feedback",
        "paused contract",
        "additional milestone",
        "approval deadline",
        "weekly timesheet",
        "contract terms",
        "rate increase",
        "long-term contract",
    ),
    "profile": (
        "profile photo",
        "profile title",
        "profile overview",
        "portfolio item",
        "skills tags",
        "specialized profile",
        "hourly rate",
        "employment history",
        "certification",
        "education section",
        "language proficiency",
        "video introduction",
        "profile visibility",
        "Job Success Score",
        "Top Rated badge",
        "Rising Talent badge",
        "Expert-Vetted status",
        "Project Catalog listing",
        "profile completeness",
        "profile location",
        "profile review",
        "work history",
        "testimonial",
    ),
    "account": (
        "account",
        "password",
        "two-step verification",
        "identity verification",
        "ID document",
        "email address",
        "phone number",
        "username",
        "security question",
        "agency account",
        "client account",
        "freelancer account",
        "account suspension",
        "account closure",
        "second account",
        "login",
        "notification settings",
        "time zone setting",
        "membership plan",
        "team permissions",
        "tax residence",
        "account recovery",
    ),
    "marketplace": (
        "job post",
        "job feed",
        "saved search",
        "job alert",
        "proposal",
        "cover letter",
        "screening question",
        "job invitation",
        "Talent Marketplace",
        "Consultations",
        "Talent Scout",
        "direct contract",
        "client review",
        "client hire rate",
        "payment verified label",
        "job category",
        "search ranking",
        "Best Matches tab",
        "featured job",
        "Upwork Academy course",
        "archived proposal",
        "withdrawn proposal",
        "job budget",
        "client history",
    ),
    "messaging": (
        "message",
        "chat room",
        "file attachment",
        "video call",
        "Upwork Messages app",
        "message notification",
        "read receipt",
        "blocked user",
        "spam message",
        "scam report",
        "meeting link",
        "group chat",
    ),
}

VERBS = (
    "change",
    "update",
    "remove",
    "add",
    "set up",
    "verify",
    "cancel",
    "find",
    "hide",
    "edit",
    "appeal",
    "report",
    "delete",
    "recover",
    "transfer",
    "check",
    "request",
    "review",
    "unlock",
    "share",
)

STATES = (
    "rejected",
    "on hold",
    "suspended",
    "delayed",
    "missing",
    "not showing",
    "locked",
    "flagged",
    "declined",
    "stuck in pending",
    "under review",
    "not updating",
    "wrong",
    "greyed out",
)

CONTEXTS = (
    "on the mobile app",
    "as a new freelancer",
    "after the contract ended",
    "before my first job",
    "in a different currency",
    "from outside the US",
    "as an agency member",
    "while my account is under review",
    "on a fixed-price job",
    "on an hourly job",
    "during the security period",
    "after a dispute",
    "for a returning client",
    "without a verified payment method",
    "when the client is unresponsive",
    "for an enterprise client",
    "on the desktop app",
    "in my country",
    "after 90 days",
    "while I am on vacation",
    "for the first time",
    "after the interview",
    "before the client hires me",
    "once the proposal is accepted",
    "with two clients at once",
    "after changing my name",
    "on a shared computer",
    "for a team of freelancers",
    # Connects appear in passing, as they would across a big FAQ, so "connects" stays a common word.
    "after spending Connects on the proposal",
    "without using any Connects",
    "when I am low on Connects",
    "after buying more Connects",
)

# Contexts with a slot for a skill, a country or a tool: they give a large knowledge base the long
# tail of rarer words a real one has (a fixed few hundred words would make every term common).
SLOTTED_CONTEXTS = (
    "for a {skill} job",
    "as a {skill} freelancer",
    "on a {skill} project",
    "from {country}",
    "with a client in {country}",
    "when I live in {country}",
    "using {tool}",
    "after the client asked me to use {tool}",
)

SKILLS = (
    "web development",
    "WordPress",
    "Shopify",
    "React",
    "Python",
    "data entry",
    "logo design",
    "copywriting",
    "translation",
    "SEO",
    "video editing",
    "bookkeeping",
    "virtual assistant",
    "mobile app",
    "Flutter",
    "Laravel",
    "Django",
    "UX research",
    "illustration",
    "voice over",
    "social media marketing",
    "Google Ads",
    "email marketing",
    "technical writing",
    "ghostwriting",
    "transcription",
    "3D modeling",
    "animation",
    "machine learning",
    "data analysis",
    "Excel",
    "Power BI",
    "Tableau",
    "cybersecurity",
    "DevOps",
    "AWS",
    "QA testing",
    "game development",
    "Unity",
    "blockchain",
    "customer support",
    "lead generation",
    "market research",
    "legal consulting",
    "accounting",
    "photo retouching",
    "podcast editing",
    "product description",
    "resume writing",
    "Amazon listing",
    "Webflow",
    "Figma",
    "Salesforce",
    "HubSpot",
    "Zapier automation",
    "Chrome extension",
    "API integration",
    "scraping",
    "embedded firmware",
    "CAD drafting",
)

COUNTRIES = (
    "India",
    "Pakistan",
    "Bangladesh",
    "the Philippines",
    "Nigeria",
    "Kenya",
    "Egypt",
    "Ukraine",
    "Poland",
    "Serbia",
    "Brazil",
    "Argentina",
    "Colombia",
    "Mexico",
    "Canada",
    "the UK",
    "Germany",
    "France",
    "Spain",
    "Italy",
    "Portugal",
    "Romania",
    "Turkey",
    "Morocco",
    "South Africa",
    "Ghana",
    "Vietnam",
    "Indonesia",
    "Malaysia",
    "Sri Lanka",
    "Nepal",
    "Australia",
    "New Zealand",
    "Japan",
    "Armenia",
    "Georgia",
    "Kazakhstan",
    "Uzbekistan",
    "Venezuela",
    "Peru",
)

TOOLS = (
    "Zoom",
    "Slack",
    "Trello",
    "Jira",
    "GitHub",
    "Google Meet",
    "Microsoft Teams",
    "Skype",
    "WhatsApp",
    "Telegram",
    "Discord",
    "Asana",
    "Notion",
    "Dropbox",
    "Google Drive",
    "Loom",
    "Calendly",
    "Wise",
    "GCash",
    "M-Pesa",
    "Revolut",
    "Stripe",
    "Canva",
    "Toggl",
)

QUESTION_TEMPLATES = (
    "How do I {verb} my {subject}?",
    "How do I {verb} my {subject} {context}?",
    "Can I {verb} my {subject} {context}?",
    "Why can't I {verb} my {subject} {context}?",
    "What happens to my {subject} {context}?",
    "Is there a fee to {verb} my {subject} {context}?",
    "How long does it take to {verb} my {subject} {context}?",
    "Where do I find my {subject} {context}?",
    "What should I do if my {subject} is {state}?",
    "Why is my {subject} {state} {context}?",
    "Does Upwork let me {verb} my {subject} {context}?",
    "How does the {subject} work {context}?",
    "Who can see my {subject} {context}?",
    "Is it safe to {verb} my {subject} {context}?",
    "What do I do when my {subject} is {state} {context}?",
)

ALIAS_TEMPLATES = (
    "{verb} {subject}",
    "{subject} {state}",
    "cant {verb} {subject}",
    "{subject} not working {context}",
    "help with {subject} {context}",
    "how to {verb} {subject}",
    "my {subject} is {state} what do i do",
    "{subject} question {context}",
    "is it normal that my {subject} is {state}",
    "{verb} my {subject} {context}",
    "where is the {subject} setting",
)

ANSWER_OPENERS = (
    "To {verb} your {subject}, open Settings and choose the {category} section.",
    "You can {verb} your {subject} from the {category} page while signed in.",
    "Upwork lets you {verb} your {subject} {context}, with a few limits.",
    "If your {subject} is {state}, it is usually a temporary review by Upwork.",
)

ANSWER_DETAILS = (
    "Changes can take up to 24 hours to show everywhere.",
    "Support can help if the option is greyed out for your account.",
    "Clients do not see this unless you share it with them.",
    "The rules are the same on the desktop and the mobile app.",
    "Keep a copy of any documents you upload for your own records.",
    "Fees, if any, are shown before you confirm.",
    "Agency members may need the agency owner to do this for them.",
    "If it still looks wrong after a day, open a support ticket with screenshots.",
    "This does not affect your Job Success Score.",
    "Your contract history and feedback stay as they were.",
)

FILLERS = ("hi all, ", "quick question: ", "pls help ", "hey guys ", "", "", "", "")


@dataclass(frozen=True)
class SyntheticQuestion:
    """A noisy rewording of one synthetic entry's question or alias, and that entry's id."""

    q: str
    expect: str


def _slug(text: str) -> str:
    return "-".join(re.findall(r"[a-z0-9]+", text.lower()))


def _fill(template: str, parts: dict[str, str]) -> str:
    text = template.format(**parts)
    return " ".join(text.split())


def _context(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return rng.choice(CONTEXTS)
    template = rng.choice(SLOTTED_CONTEXTS)
    return template.format(skill=rng.choice(SKILLS), country=rng.choice(COUNTRIES), tool=rng.choice(TOOLS))


def _second_person(text: str) -> str:
    return re.sub(r"\b(my|I am|I)\b", lambda m: {"my": "your", "I am": "you are", "I": "you"}[m[1]], text)


def _entry(number: int, rng: random.Random) -> Entry:
    category = rng.choice(tuple(SUBJECTS))
    subject = rng.choice(SUBJECTS[category])
    parts = {
        "category": category,
        "subject": subject,
        "verb": rng.choice(VERBS),
        "state": rng.choice(STATES),
        "context": _context(rng),
    }
    question = _fill(rng.choice(QUESTION_TEMPLATES), parts)

    aliases: list[str] = []
    seen = {normalise_alias(question)}
    for _ in range(rng.randint(2, 5)):
        # Each alias re-draws some parts, as members ask the same thing in different words.
        alias_parts = {**parts, "verb": rng.choice(VERBS), "context": _context(rng)}
        if rng.random() < 0.5:
            alias_parts["verb"] = parts["verb"]
        alias = _fill(rng.choice(ALIAS_TEMPLATES), alias_parts).lower()
        if normalise_alias(alias) not in seen:
            seen.add(normalise_alias(alias))
            aliases.append(alias)

    keywords = sorted({subject.lower(), parts["verb"], category})
    # The answer speaks to the member: "after changing my name" becomes "after changing your name".
    answer_parts = {**parts, "context": _second_person(parts["context"])}
    answer = " ".join(
        [_fill(rng.choice(ANSWER_OPENERS), answer_parts), *rng.sample(ANSWER_DETAILS, rng.randint(1, 3))]
    )
    suffix = f"-{number:06d}"
    entry_id = f"{_slug(subject)}-{_slug(parts['verb'])}"[: MAX_ID_LENGTH - len(suffix)].strip("-") + suffix
    return Entry.model_validate(
        {
            "id": entry_id,
            "question": question,
            "category": category,
            "as_of": SYNTHETIC_AS_OF,
            "aliases": aliases,
            "keywords": keywords,
            "sources": [{"source": f"synthetic_{number:06d}", "supports": "generated for the benchmark"}],
            "answer": answer,
        }
    )


def synthetic_entries(count: int, seed: int = DEFAULT_SEED) -> list[Entry]:
    """`count` synthetic entries with distinct questions; the first k are the same for any count >= k."""
    rng = random.Random(seed)
    entries: list[Entry] = []
    questions: set[str] = set()
    number = 0
    while len(entries) < count:
        entry = _entry(number, rng)
        number += 1
        key = normalise_alias(entry.question)
        if key in questions:
            continue
        questions.add(key)
        entries.append(entry)
    return entries


def knowledge_base(
    size: int, real: Sequence[Entry], pool: Sequence[Entry], seed: int = DEFAULT_SEED
) -> list[Entry]:
    """`size` entries: every real entry plus the first synthetic ones from `pool`, in a seeded order."""
    needed = size - len(real)
    if needed < 0:
        raise ValueError(f"size {size} is smaller than the {len(real)} real entries")
    if needed > len(pool):
        raise ValueError(f"size {size} needs {needed} synthetic entries, the pool has {len(pool)}")
    real_ids = {entry.id for entry in real}
    clash = [entry.id for entry in pool[:needed] if entry.id in real_ids]
    if clash:
        raise ValueError(f"synthetic ids clash with real ones: {clash[:3]}")
    combined = [*real, *pool[:needed]]
    random.Random(seed + size).shuffle(combined)
    return combined


def _typo(word: str, rng: random.Random) -> str:
    """Swap two neighbouring letters, the commonest slip of a fast typist."""
    i = rng.randrange(1, len(word) - 2)
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def synthetic_questions(
    entries: Sequence[Entry], count: int, seed: int = DEFAULT_SEED
) -> list[SyntheticQuestion]:
    """`count` casual rewordings (lower case, filler, the odd typo) of synthetic entries' questions.

    They reword the question, not an alias: generic aliases ("how to verify password") are shared by
    many synthetic entries, the questions are not, so each rewording has one right entry.
    """
    rng = random.Random(seed * 7 + len(entries))
    synthetic = [entry for entry in entries if entry.sources[0].source.startswith("synthetic_")]
    picked = rng.sample(synthetic, min(count, len(synthetic)))
    questions: list[SyntheticQuestion] = []
    for entry in picked:
        text = entry.question.lower().rstrip("?")
        words = text.split()
        long_words = [i for i, word in enumerate(words) if len(word) >= 6 and word.isalpha()]
        if long_words and rng.random() < 0.4:
            i = rng.choice(long_words)
            words[i] = _typo(words[i], rng)
        text = rng.choice(FILLERS) + " ".join(words) + rng.choice(("?", "??", "", " thanks"))
        questions.append(SyntheticQuestion(q=text, expect=entry.id))
    return questions
