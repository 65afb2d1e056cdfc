"""The answer service: the live store, the matcher over it, and what gets recorded.

The terminal chat, the `ask` command and the Discord cogs all answer through this class,
so a member sees the same behaviour everywhere.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from pydantic import TypeAdapter, ValidationError

from connectsbot.curation import ChangedElsewhere, FilesImported, KnowledgeEvent, read_sources, sync_files
from connectsbot.diagnosis.timeline import looks_like_timeline_text
from connectsbot.kbfiles import Problem
from connectsbot.knowledge import Entry, LabelledQuestion, SourceRecord
from connectsbot.matching import Matcher, MatcherConfig, MatchResult
from connectsbot.matching.hybrid import (
    AnswerModel,
    EntryVectors,
    ExampleVectors,
    HybridMatcher,
    Vector,
    answer_text,
    entry_texts,
)
from connectsbot.matching.intents import INTERVIEW_MISSING
from connectsbot.matching.smalltalk import SMALLTALK
from connectsbot.matching.spelling import Speller
from connectsbot.matching.training import LabelledFileError, load_labelled, train
from connectsbot.recent import Recent
from connectsbot.safe_text import safe_text
from connectsbot.semantic import AsyncEncoder, Encoder, encode_cached, load_encoder
from connectsbot.store import (
    ImportFailed,
    ImportReport,
    KnowledgeStore,
    LiveEntry,
    NotFound,
    QuestionRecord,
    StoreUnavailable,
)

log = logging.getLogger(__name__)

# How long an answer waits for its question to be recorded: a busy or full database must not hold up
# the member's reply (Discord wants one within 3 seconds). A record that is only late still lands.
RECORD_WAIT_SECONDS = 1.0
# How long the bot lets a question wait for its sentence vector (a quiet machine needs 10-25 ms).
BOT_ENCODE_WAIT_SECONDS = 0.08
LABELLED_DIR = "labelled"  # knowledge/labelled/{train,dev}.jsonl
NOT_A_NEIGHBOUR = ""  # the label of a question that trains the models but is no semantic neighbour
COMPLETED_CHARS = 200  # what autocomplete reads of a typed title
# The sentence encoder reads 256 word pieces; a wall of text is cut well before that costs anything.
ENCODED_CHARS = 2000
# Trained models kept per process, by what they were trained on: every answer service over the same
# entries and questions (a restart of the matcher, every test of the suite) reuses the fit.
_MODELS: Recent[str, AnswerModel | None] = Recent(8)
# Processes sharing a store train each answer model once: the one holding the jobs lock trains and
# saves it by its fingerprint; the others poll for it this long, then train it themselves (the
# training process may have died).
SHARED_MODEL_PATIENCE_SECONDS = 60.0
SHARED_MODEL_POLL_SECONDS = 0.5
_SAVED_MODEL: TypeAdapter[AnswerModel | None] = TypeAdapter(AnswerModel | None)


def _trains_here() -> bool:
    return True


@dataclass(frozen=True)
class _Fit:
    """One training of the answer model: what it is trained on, and the key it is remembered by."""

    key: str
    matcher: HybridMatcher
    questions: list[LabelledQuestion]
    vectors: list[Vector | None]
    development: tuple[list[LabelledQuestion], list[Vector | None]]

    @classmethod
    def make(
        cls,
        matcher: HybridMatcher,
        questions: list[LabelledQuestion],
        vectors: list[Vector | None],
        development: tuple[list[LabelledQuestion], list[Vector | None]],
        encoder: Encoder | None,
    ) -> _Fit:
        key = _fingerprint(matcher.lexical, questions, encoder)
        return cls(key, matcher, questions, vectors, development)

    @classmethod
    def without_vectors(
        cls, matcher: HybridMatcher, questions: list[LabelledQuestion], development: list[LabelledQuestion]
    ) -> _Fit:
        """A training of a lexical-only matcher: no question has a vector."""
        return cls.make(
            matcher, questions, [None] * len(questions), (development, [None] * len(development)), None
        )

    def fits(self) -> list[_Fit]:
        """This training, and for a semantic matcher the lexical-only one of its fallback model."""
        if not self.matcher.semantic:
            return [self]
        questions, (development, _) = self.questions, self.development
        lexical = _Fit.without_vectors(self.matcher.without_vectors(), questions, development)
        return [self, lexical]


def _texts_to_encode(
    entries: Sequence[Entry],
    questions: Sequence[LabelledQuestion],
    development: Sequence[LabelledQuestion],
    encoder: Encoder,
) -> tuple[Speller, list[str]]:
    """Every entry's question and aliases, then its answer, then the labelled questions (spelling
    corrected, as members' questions are before encoding)."""
    flat = [text for entry in entries for text in entry_texts(entry)] + [answer_text(e) for e in entries]
    speller = Speller(flat, encoder.words)
    return speller, flat + [speller.correct(q.q[:ENCODED_CHARS]) for q in (*questions, *development)]


def _semantic_fit(
    entries: Sequence[Entry],
    lexical: Matcher,
    questions: list[LabelledQuestion],
    development: list[LabelledQuestion],
    encoder: Encoder,
    speller: Speller,
    encoded: Vector,
) -> _Fit:
    """The hybrid matcher with its vectors, from the texts of `_texts_to_encode` encoded in order."""
    rows, start = [], 0
    for entry in entries:
        count = len(entry_texts(entry))
        rows.append(encoded[start : start + count])
        start += count
    answers = encoded[start : start + len(entries)]
    asked = encoded[start + len(entries) :]
    ids = [entry.id for entry in entries]
    # The neighbours are the labelled questions and every entry's own question and aliases: an entry
    # a moderator added today is found by its aliases as well as by labelled questions. A member's
    # pick trains the models but is no neighbour: one member picking the wrong entry again and again
    # must not pull answers their way. (Training leaves each question out of its own neighbours.)
    labels = [
        None if q.expect is None else (q.expect if q.origin != "member" else NOT_A_NEIGHBOUR)
        for q in questions
    ]
    examples = ExampleVectors(
        ids,
        labels + [entry.id for entry in entries for _ in entry_texts(entry)],
        np.vstack([asked[: len(questions)], *rows]),
    )
    matcher = HybridMatcher(lexical, EntryVectors(ids, rows, answers), None, examples, speller)
    vectors: list[Vector | None] = list(asked[: len(questions)])
    dev_vectors: list[Vector | None] = list(asked[len(questions) :])
    return _Fit.make(matcher, questions, vectors, (development, dev_vectors), encoder)


@dataclass(frozen=True)
class TrainingData:
    """The labelled questions the answer model learns from, and those it is only measured on."""

    train: list[LabelledQuestion] = field(default_factory=list)
    development: list[LabelledQuestion] = field(default_factory=list)

    @classmethod
    def load(cls, knowledge: Path) -> TrainingData:
        """knowledge/labelled/train.jsonl and dev.jsonl; a missing or broken file is logged and
        left out (the answer service then learns from what it has, or falls back to lexical thresholds)."""
        sets: list[list[LabelledQuestion]] = []
        for name in ("train.jsonl", "dev.jsonl"):
            path = knowledge / LABELLED_DIR / name
            try:
                sets.append(load_labelled(path) if path.is_file() else [])
            except (OSError, UnicodeDecodeError, LabelledFileError) as error:
                log.warning("labelled questions in %s not used: %s", path, error)
                sets.append([])
        return cls(sets[0], sets[1])


@dataclass(frozen=True)
class Answer:
    """A member's question and what the bot makes of it."""

    result: MatchResult
    entry: Entry | None  # the answer's entry, when the decision is "answer"
    suggestions: list[Entry]  # the "did you mean" entries, when the decision is "suggest"
    question_id: int | None  # the recorded question, for a later "picked suggestion"

    @property
    def points_to_diagnosis(self) -> bool:
        return self.result.intent == INTERVIEW_MISSING

    @property
    def is_smalltalk(self) -> bool:
        """A greeting, thanks or "help": answered with what the bot can do, never recorded."""
        return self.result.intent == SMALLTALK


# Builds the lexical matcher over the live entries (a test passes one that caches across tests).
MatcherFactory = Callable[[list[Entry], MatcherConfig | None], Matcher]


@dataclass(frozen=True)
class Snapshot:
    """The live entries, the sources registry they cite and the matcher over exactly those entries,
    as of one moment: what a command reads, instead of attributes that a change may have outdated."""

    entries: Mapping[str, Entry]
    sources: Mapping[str, SourceRecord]
    matcher: HybridMatcher

    @property
    def lexical(self) -> Matcher:
        return self.matcher.lexical

    def categories(self) -> list[str]:
        return sorted({entry.category for entry in self.entries.values()})

    def find(self, text: str) -> Entry | None:
        """An entry by id, or by the title a member typed without picking it from the list."""
        if text in self.entries:
            return self.entries[text]
        candidates = self.lexical.complete(text[:COMPLETED_CHARS], 1)
        return self.entries.get(candidates[0].entry_id) if candidates else None

    def complete(self, typed: str, limit: int) -> list[Entry]:
        """What a member is typing as an entry: those whose id starts with it (by id), then those
        whose title it completes best first, each once, at most `limit`."""
        wanted = typed.strip().casefold()
        found = {entry.id: entry for entry in self.entries.values() if entry.id.startswith(wanted)}
        for candidate in self.lexical.complete(typed[:COMPLETED_CHARS], limit):
            if candidate.entry_id in self.entries:
                found.setdefault(candidate.entry_id, self.entries[candidate.entry_id])
        return list(found.values())[:limit]


def complete_any(entries: Sequence[LiveEntry], typed: str) -> list[LiveEntry]:
    """Entries live or retired (moderators' history and revert) whose id starts with what is typed or
    whose title contains it."""
    wanted = typed.strip().casefold()
    return [
        live
        for live in entries
        if live.entry.id.startswith(wanted) or wanted in live.entry.question.casefold()
    ]


class AnswerService:
    """The answer service: the hybrid matcher over the live entries, rebuilt (and its model
    retrained) after every change, and the record of what members asked."""

    def __init__(
        self,
        store: KnowledgeStore,
        config: MatcherConfig | None = None,
        record_wait: float = RECORD_WAIT_SECONDS,
        encoder: Encoder | None = None,
        training: TrainingData | None = None,
        sources: Mapping[str, SourceRecord] | None = None,
        encode_wait: float | None = None,
        matcher_factory: MatcherFactory = Matcher,
        trains_here: Callable[[], bool] = _trains_here,
    ) -> None:
        self.store = store
        # True in the process that trains the answer models for every process sharing the store.
        self.trains_here = trains_here
        self.matcher_factory = matcher_factory
        self.config = config
        self.record_wait = record_wait
        self.encoder = encoder
        self.training = training or TrainingData()
        self._questions = AsyncEncoder(encoder) if encoder is not None else None
        # How long a question waits for its vector before it is answered with the lexical signals
        # alone (None: as long as it takes, and never shed; the command line's batches).
        self.encode_wait = encode_wait
        self.shed = 0  # questions answered without their vector because the encoder was behind
        # The sources registry of the knowledge folder: renderings name an entry's sources from it.
        self.sources: Mapping[str, SourceRecord] = sources or {}
        self._current: Snapshot | None = None  # the live entries and the matcher answering now
        self._built_at_generation = -1
        self._rebuilding: asyncio.Task[None] | None = None
        self._retraining: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[None]] = set()

    @classmethod
    async def start(
        cls,
        store: KnowledgeStore,
        knowledge: Path,
        config: MatcherConfig | None = None,
        semantic: bool | None = None,
        encode_wait: float | None = None,
        matcher_factory: MatcherFactory = Matcher,
        trains_here: Callable[[], bool] = _trains_here,
    ) -> tuple[AnswerService, ImportReport | ImportFailed]:
        """Bring the store up to date with the knowledge files, then build the matcher (with the
        semantic signal unless `semantic` or $CONNECTSBOT_SEMANTIC turns it off, or the model is
        not installed: then lexical only, and the reason is logged).

        A broken knowledge folder, or a database that cannot take the import (a full disk), does
        not stop the start: the store keeps serving what it had, and the failure is returned for
        the caller to show.
        """
        outcome: ImportReport | ImportFailed
        try:
            outcome = await sync_files(store, knowledge)
        except ImportFailed as failure:
            log.warning("knowledge files not imported: %d problems", len(failure.problems))
            outcome = failure
        except StoreUnavailable as error:
            log.warning("knowledge files not imported: %s", error.problem)
            problem = f"the database could not save the import ({error.problem})"
            outcome = ImportFailed([Problem(str(knowledge), "", problem)])
        answers = cls(
            store,
            config,
            encoder=await asyncio.to_thread(load_encoder, semantic),
            training=TrainingData.load(knowledge),
            sources=read_sources(knowledge),
            encode_wait=encode_wait,
            matcher_factory=matcher_factory,
            trains_here=trains_here,
        )
        await answers.refresh()
        return answers, outcome

    async def follow(self, event: KnowledgeEvent) -> None:
        """A knowledge change (a `Curator` subscriber): rebuild the matcher over the changed entries
        (with the previous model until the retrained one is ready); cite an import's sources."""
        if isinstance(event, FilesImported | ChangedElsewhere) and event.sources is not None:
            self.sources = event.sources
            if self._current is not None:
                self._current = replace(self._current, sources=event.sources)
        await self.refresh()

    async def snapshot(self) -> Snapshot:
        """The live entries and the matcher over them, up to date with the store (waiting for the
        rebuild after a change)."""
        await self.refresh()
        assert self._current is not None
        return self._current

    async def refresh(self) -> None:
        """Bring the matcher up to date with the store, waiting for the rebuild if one is needed."""
        while self._current is None or self._built_at_generation != self.store.generation:
            await asyncio.shield(self._rebuild())

    async def ready(self) -> Snapshot:
        """The entries and matcher to answer with now. After a change they are the previous ones
        until the new matcher is built and trained (in worker threads): members are not kept waiting
        while a moderator's change is being indexed."""
        if self._current is None:
            await self.refresh()
        elif self._built_at_generation != self.store.generation:
            self._rebuild()
        assert self._current is not None
        return self._current

    def _rebuild(self) -> asyncio.Task[None]:
        """The running rebuild, or a new one."""
        if self._rebuilding is None:
            self._rebuilding = asyncio.create_task(self._build())
            self._rebuilding.add_done_callback(_log_failed_build)
        return self._rebuilding

    async def _build(self) -> None:
        try:
            generation = self.store.generation
            entries = [live.entry for live in await self.store.live_entries()]
            # The build is pure Python: in a thread it yields the event loop every few milliseconds
            # instead of stopping the whole bot for its duration.
            lexical = await asyncio.to_thread(self.matcher_factory, entries, self.config)
            fit = await self._fit(entries, lexical)
            matcher = fit.matcher
            previous = self._current.matcher if self._current is not None else None
            fits = await asyncio.to_thread(fit.fits)
            if all(f.key in _MODELS for f in fits):
                models = [_MODELS[f.key] for f in fits]
            elif (
                previous is not None and previous.model is not None and previous.semantic == matcher.semantic
            ):
                # The models' features say nothing about which entry is which, so the previous ones
                # answer over the changed entries at once; the retrained ones replace them.
                models = [previous.model, previous.fallback.model if previous.fallback else None]
                self._retraining = asyncio.create_task(self._retrain(fits))
                # asyncio keeps only a weak reference to a task: hold it until it is done.
                self._background.add(self._retraining)
                self._retraining.add_done_callback(self._background.discard)
            else:
                # Nothing answers yet (a start): a saved model if there is one, else train here now.
                models = [await self._train(f, wait=False) for f in fits]
            by_id = {entry.id: entry for entry in entries}
            self._current = Snapshot(by_id, self.sources, matcher.with_model(*models))
            self._built_at_generation = generation
        finally:
            self._rebuilding = None

    async def matcher_for(self, entries: list[Entry], lexical: Matcher | None = None) -> HybridMatcher:
        """A matcher over `entries` (their lexical one when given), trained as at a start: for tools
        and benchmarks. The answer service's own rebuilds read the store's live entries."""
        if lexical is None:
            lexical = await asyncio.to_thread(self.matcher_factory, entries, self.config)
        fit = await self._fit(entries, lexical)
        models = [
            _MODELS[f.key] if f.key in _MODELS else await self._train(f, wait=False) for f in fit.fits()
        ]
        return fit.matcher.with_model(*models)

    async def _fit(self, entries: list[Entry], lexical: Matcher) -> _Fit:
        """The hybrid matcher over these entries (no model yet) and the labelled questions to train
        it on, with their vectors: the shipped ones and what members and moderators taught through
        use. Entry texts and questions are encoded once (the vector cache); the CPU work runs in
        worker threads. If the semantic signal fails, the matcher is lexical only (and logged)."""
        try:
            learned = await self.store.learned_questions()
        except StoreUnavailable as error:
            log.warning("questions learned through use not read (%s): training without them", error.problem)
            learned = []
        questions = [*self.training.train, *learned]
        development = self.training.development
        encoder = self.encoder
        if encoder is not None and entries:
            try:
                speller, texts = await asyncio.to_thread(
                    _texts_to_encode, entries, questions, development, encoder
                )
                encoded = (await encode_cached(self.store, encoder, texts)).vectors
                return await asyncio.to_thread(
                    _semantic_fit, entries, lexical, questions, development, encoder, speller, encoded
                )
            except Exception:  # the semantic signal is optional: a failure costs it, not the answers
                log.exception(
                    "the semantic signal failed while building: answering with the lexical one only"
                )
        return await asyncio.to_thread(_Fit.without_vectors, HybridMatcher(lexical), questions, development)

    async def _train(self, fit: _Fit, *, wait: bool = True) -> AnswerModel | None:
        """The model saved in the store by the process that trains them (outside it, waited for when
        `wait`: a retraining while the previous model answers), else fitted here in a worker thread
        (never on the event loop) and saved for the others; remembered either way."""
        saved = await self._saved_model(fit.key, wait and not self.trains_here())
        model: AnswerModel | None
        try:
            model = _SAVED_MODEL.validate_json(saved) if saved is not None else None
        except ValidationError:
            log.warning("the saved answer model %s cannot be read: training it again", fit.key[:12])
            saved = None
        if saved is None:
            model = await asyncio.to_thread(train, fit.matcher, fit.questions, fit.vectors, fit.development)
            try:
                await self.store.put_answer_model(fit.key, _SAVED_MODEL.dump_json(model).decode())
            except StoreUnavailable as error:
                log.warning("the trained answer model not saved for other processes: %s", error.problem)
        _MODELS.put(fit.key, model)
        if model is None:
            log.info("too few labelled questions about these entries: answering with lexical thresholds")
        return model

    async def _saved_model(self, key: str, wait: bool) -> str | None:
        """The saved model with this fingerprint; with `wait`, waited for while this process does not
        train them (None: not saved, or not within SHARED_MODEL_PATIENCE_SECONDS)."""
        polls = math.ceil(SHARED_MODEL_PATIENCE_SECONDS / SHARED_MODEL_POLL_SECONDS) if wait else 0
        for poll in range(polls + 1):
            try:
                saved = await self.store.answer_model(key)
            except StoreUnavailable as error:
                log.warning("saved answer models not read (%s): training here", error.problem)
                return None
            if saved is not None or self.trains_here():
                return saved
            if poll < polls:
                await asyncio.sleep(SHARED_MODEL_POLL_SECONDS)
        if wait:
            patience = SHARED_MODEL_PATIENCE_SECONDS
            log.warning("no answer model from the training process in %g s: training here", patience)
        return None

    async def _retrain(self, fits: list[_Fit]) -> None:
        try:
            models = [await self._train(fit) for fit in fits]
        except Exception:  # the previous model keeps answering; a bug here must not go unseen
            log.exception("retraining the answer model failed: the previous model stays in use")
            return
        current = self._current
        if current is not None and current.matcher.lexical is fits[0].matcher.lexical:  # no newer build
            self._current = replace(current, matcher=fits[0].matcher.with_model(*models))

    async def close(self) -> None:
        """Stop rebuilding and retraining, before the store closes (a rebuild following a change must
        not read a closed store): the work in progress is cancelled and waited for."""
        tasks = [task for task in (self._rebuilding, *self._background) if task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def trained(self) -> None:
        """Wait until the model is retrained for the current entries (after a change, members are
        answered with the previous model meanwhile)."""
        await self.refresh()
        while self._retraining is not None and not self._retraining.done():
            await asyncio.shield(self._retraining)

    @property
    def current_matcher(self) -> HybridMatcher:
        """The matcher answering members now."""
        if self._current is None:
            raise RuntimeError("AnswerService.refresh() has not run")
        return self._current.matcher

    @property
    def model(self) -> AnswerModel | None:
        """The learned ranking and decision in use (None: lexical thresholds)."""
        return self.current_matcher.model

    @staticmethod
    def _answer(entries: Mapping[str, Entry], result: MatchResult, question_id: int | None) -> Answer:
        entry = entries.get(result.entry_id) if result.entry_id else None
        suggestions = []
        if result.decision == "suggest":
            suggestions = [entries[c.entry_id] for c in result.suggestions if c.entry_id in entries]
        return Answer(result=result, entry=entry, suggestions=suggestions, question_id=question_id)

    async def ask(self, question: str, asker: str, guild_id: str | None, channel: str) -> Answer:
        """Match one question and record its outcome."""
        (answer,) = await self.ask_many([question], asker, guild_id, channel)
        return answer

    async def ask_many(
        self, questions: Sequence[str], asker: str, guild_id: str | None, channel: str, record: bool = True
    ) -> list[Answer]:
        """Match many questions with one matcher and record them together.

        The answers never fail for want of a record: when the database cannot take the questions in
        time they come without question ids (so without a "did you mean" pick), and a warning is logged.
        """
        # Made safe once, here: a lone surrogate would fail the commit of every question batched with it.
        questions = [safe_text(question) for question in questions]
        current = await self.ready()
        matcher = current.matcher
        vectors = await self._vectors(matcher, questions)
        results = [
            matcher.match(question, vector) for question, vector in zip(questions, vectors, strict=True)
        ]
        question_ids: list[int | None] = [None] * len(results)
        # Small talk ("hi", "thanks") is not a question for the moderators, and a member's timeline
        # (dated events) is private: neither goes to the moderators' queue.
        private = [
            result.intent == SMALLTALK or looks_like_timeline_text(question)
            for question, result in zip(questions, results, strict=True)
        ]
        shared = [result for result, hidden in zip(results, private, strict=True) if not hidden]
        if record and shared:
            recorded = iter(await self._record(shared, asker, guild_id, channel))
            question_ids = [None if hidden else next(recorded) for hidden in private]
        return [
            self._answer(current.entries, result, qid)
            for result, qid in zip(results, question_ids, strict=True)
        ]

    async def _vectors(self, matcher: HybridMatcher, questions: Sequence[str]) -> list[Vector | None]:
        """The questions' sentence vectors (batched with other members' questions in a worker
        thread), or None each when the semantic signal is off or fails: then lexical only."""
        if self._questions is None or not matcher.semantic:
            return [None] * len(questions)
        texts = [matcher.text_to_encode(question[:ENCODED_CHARS]) for question in questions]
        encoding = self._questions.encode_many(texts)
        try:
            if self.encode_wait is None:
                return list(await encoding)
            # Under load the encoder falls behind (one question costs 10-20 ms of CPU): rather than
            # keep members waiting, answer with the lexical signals (the fallback model).
            if not self._questions.has_room(len(texts)):
                encoding.close()
                self.shed += len(texts)
                return [None] * len(questions)
            return list(await asyncio.wait_for(encoding, self.encode_wait))
        except TimeoutError:
            self.shed += len(texts)  # the vectors still arrive, for the cache of recent questions
            return [None] * len(questions)
        except Exception:  # the encoder is optional: a failure costs the semantic signal, not the answer
            log.exception("encoding %d question(s) failed: answered with the lexical signal", len(texts))
            return [None] * len(questions)

    async def _record(
        self, results: Sequence[MatchResult], asker: str, guild_id: str | None, channel: str
    ) -> list[int | None]:
        asker_hash = await self.store.asker_hash(asker, guild_id)
        records = [
            QuestionRecord(
                asker=asker_hash,
                guild_id=guild_id,
                channel=channel,
                question=result.question,
                decision=result.decision,
                entry_id=result.entry_id,
                score=result.score,
                suggestions=[c.entry_id for c in result.suggestions],
            )
            for result in results
        ]
        try:
            return list(await asyncio.wait_for(self.store.record_questions(records), self.record_wait))
        except TimeoutError:
            # The store keeps the queued questions and commits them once it can.
            log.warning(
                "%d question(s) not recorded after %g s (database or event loop busy): answered without ids",
                len(records),
                self.record_wait,
            )
        except StoreUnavailable as error:
            log.warning("%d question(s) not recorded (%s): answered without ids", len(records), error.problem)
        return [None] * len(records)

    async def pick_suggestion(self, question_id: int, entry_id: str) -> Entry:
        """The member chose a suggestion: record it and return that entry."""
        entry = (await self.snapshot()).entries.get(entry_id)
        if entry is None:
            raise NotFound(entry_id)
        try:
            await self.store.record_pick(question_id, entry_id)
        except StoreUnavailable as error:
            # The member still gets the entry they picked; only the statistic is lost.
            log.warning(
                "the pick of %s for question %d not recorded (%s)", entry_id, question_id, error.problem
            )
        return entry


def forget_trained_models() -> None:
    """Forget the process's trained models (benchmarks of a cold start)."""
    _MODELS.clear()


def _log_failed_build(task: asyncio.Task[None]) -> None:
    """A rebuild nobody waited for (a member's question started it) must not fail unseen; the
    previous matcher keeps answering and the next question tries again."""
    if not task.cancelled() and (error := task.exception()) is not None:
        log.error("rebuilding the matcher failed: %s: %s", type(error).__name__, error)


def _fingerprint(lexical: Matcher, questions: Sequence[LabelledQuestion], encoder: Encoder | None) -> str:
    """What a trained model depends on: the entries, the matcher's settings, the labelled questions
    and the encoder (None: lexical only)."""
    digest = hashlib.sha256((encoder.model_id if encoder is not None else "lexical").encode())
    digest.update(lexical.config.model_dump_json().encode())
    for indexed in lexical.index.entries:
        digest.update(indexed.entry.model_dump_json().encode())
    for question in questions:
        digest.update(question.model_dump_json().encode())
    return digest.hexdigest()
