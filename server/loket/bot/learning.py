"""Learning from agents: replies become candidate answers; approved ones answer at once."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Collection, Coroutine, Sequence
from dataclasses import replace
from typing import Any, NamedTuple, TypeVar

from rapidfuzz import fuzz

from loket.bot.faq import FaqEntry
from loket.bot.matcher import MatchResult
from loket.bot.normalize import STOP_WORDS, fold, words
from loket.bot.personal import personal_data
from loket.bot.service import Bot
from loket.bot.smalltalk import CLAUSE_END, holding_reply, small_talk
from loket.conversations import (
    Conversation,
    answered_in_vain,
    left_question,
    replies_answered,
    still_asked,
    taken_as_small_talk,
)
from loket.plaintext import phrasing_key
from loket.store import AgentRecord, LearnedRecord, MessageRecord, MissRecord, Store

log = logging.getLogger(__name__)

# Replies shorter than this ("Hoi!", "Een moment") are not answers worth keeping.
MIN_ANSWER_CHARS = 20
# Questions are these shopper messages at most, right before the reply.
MAX_QUESTION_MESSAGES = 3
# A reply marked reusable after the agent's own "let me check" answers a question asked at
# most this long before it (not one of an earlier visit in a reopened conversation).
PAST_REPLIES_MS = 30 * 60 * 1000
# A learned question is cut to this many characters.
MAX_QUESTION_CHARS = 1000
# Two questions this similar (0-100, rapidfuzz token sort ratio of the words that say what
# they ask about) are reviewed as one group.
GROUP_SIMILARITY = 75.0

T = TypeVar("T")


# The common words of every language the matcher knows: "do you sell" is no likeness
# between "Do you sell skateboards?" and "Do you sell kites?".
_COMMON_WORDS = frozenset().union(*STOP_WORDS.values())


def _gist(text: str) -> str:
    """`text`'s words without the common ones (all of them when nothing else is left)."""
    found = words(text)
    kept = [word for word in found if word not in _COMMON_WORDS]
    return " ".join(kept or found) or fold(text)


def group_similar(items: Sequence[T], text_of: Callable[[T], str]) -> list[list[T]]:
    """Items whose texts are alike, grouped greedily (the first of a group is its face):
    alike in the words that say what they are about, not in "do you" and "can I"."""
    groups: list[tuple[str, list[T]]] = []
    for item in items:
        folded = _gist(text_of(item))
        for face, members in groups:
            # Sorted, not as sets: "order" is contained in "change order", and is no
            # wording of it.
            if fuzz.token_sort_ratio(face, folded) >= GROUP_SIMILARITY:
                members.append(item)
                break
        else:
            groups.append((folded, [item]))
    return [members for _, members in sorted(groups, key=lambda g: -len(g[1]))]


# At most this many different missed questions are asked again to see whether the bot
# answers them now; the rest are listed as missed.
ASKED_AGAIN = 500


def misses_by_question(misses: Sequence[MissRecord]) -> list[list[MissRecord]]:
    """The misses of each question (case, spacing and end punctuation aside), the most
    asked first, at most `ASKED_AGAIN` questions."""
    found: dict[str, list[MissRecord]] = {}
    for miss in misses:
        found.setdefault(phrasing_key(miss.question), []).append(miss)
    return sorted(found.values(), key=len, reverse=True)[:ASKED_AGAIN]


def askers(group: Sequence[MissRecord]) -> int:
    """How many conversations asked a group's questions (a miss kept without its
    conversation counts on its own): one shopper who asks the same thing 40 times in a row
    is one shopper, not the FAQ's biggest gap."""
    return len({miss.conversation_id or -miss.id for miss in group})


def missed_groups(misses: Sequence[MissRecord]) -> list[list[MissRecord]]:
    """Missed questions grouped by likeness, those asked in the most conversations first
    (then the most often)."""
    groups = group_similar(misses, lambda miss: miss.question)
    return sorted(groups, key=lambda group: (-askers(group), -len(group)))


def answered_now(found: MatchResult, asked: Sequence[MissRecord]) -> bool:
    """Whether the bot now answers the misses of one question, `found` being what it says
    to it now: an entry, and not one a shopper who asked it found unhelpful."""
    unhelpful = {miss.entry_id for miss in asked if miss.reason == "unhelpful"}
    return found.outcome == "answer" and found.entry is not None and found.entry.id not in unhelpful


def other_wordings(texts: Sequence[str], limit: int) -> list[str]:
    """The wordings of a group of questions beyond its first, each once (case, spacing
    and end punctuation aside): a question asked twice alike is no other wording."""
    seen = {phrasing_key(text) for text in texts[:1]}
    found: list[str] = []
    for text in texts[1:]:
        if len(found) == limit:
            break
        if phrasing_key(text) not in seen:
            seen.add(phrasing_key(text))
            found.append(text)
    return found


def newest_per_question(records: Sequence[LearnedRecord]) -> list[LearnedRecord]:
    """The approved pairs the bot answers from: of pairs with the same question (in the
    same language; case, spacing and end punctuation aside), only the one approved last.
    An agent who answers a question again ("no, we no longer sell those") says what holds
    now; two answers to one question would leave the bot offering it twice."""
    newest: dict[tuple[str | None, str], LearnedRecord] = {}
    for record in records:
        key = (record.language, phrasing_key(record.question))
        held = newest.get(key)
        if held is None or _approved_order(record) > _approved_order(held):
            newest[key] = record
    kept = {id(record) for record in newest.values()}
    return [record for record in records if id(record) in kept]


def _approved_order(record: LearnedRecord) -> tuple[int, int]:
    return (record.reviewed_at or record.created_at, record.id)


def question_before(
    messages: Sequence[MessageRecord],
    reply_seq: int,
    *,
    past_replies_since: int | None = None,
    left_after: int = 0,
    unhelpful: Collection[int] = (),
) -> str | None:
    """What the shopper asked right before the reply (their last few messages since an
    agent last replied, without those the bot answered and the shopper went on from; see
    `still_asked`), if anything. Replies too short to be answers ("Een moment") are not
    replies here. With `past_replies_since` (a time in ms), neither are the agents' replies
    right before this one, nor the shopper's small talk among them ("Oke, dank je!" to a
    "let me check"), among the messages written since then: the question a reply marked
    reusable answers (see `Learning.from_reply`), not one from a visit long before.
    A question the shopper left through the form (after `left_after`, in ms: the
    conversation's last close) is what the reply answers, alone. Of a message the bot
    answered in part, what it was not sure of, or what the shopper said did not help (the
    answers' seqs in `unhelpful`, see `unhelpful_answers`), is what is asked."""
    past = past_replies_since is not None
    before = [m for m in messages if m.seq < reply_seq]
    answered, unsure = replies_answered(before, unhelpful)
    talked = {seq for seq in map(taken_as_small_talk, before) if seq is not None}
    before = [m for m in before if m.seq not in talked]
    newest_first = sorted(before, key=lambda m: m.seq, reverse=True)
    left = _left_since(newest_first, past_replies_since, left_after)
    if left is not None:
        found = asked_question([left.text])
        return found.text if found is not None else None
    asked: list[tuple[int, str]] = []
    for message in newest_first:
        if past and message.created_at < (past_replies_since or 0):
            break
        if message.author in ("bot", "system"):
            continue
        if message.author != "shopper":
            if no_answer(message.text) or (past and not asked):
                continue
            break
        if past and not asked and small_talk(message.text) is not None:
            continue
        asked.append((message.seq, unsure.get(message.seq, message.text)))
        if len(asked) == MAX_QUESTION_MESSAGES:
            break
    found = asked_question(still_asked(asked[::-1], answered))
    return found.text if found is not None else None


async def unhelpful_answers(
    store: Store, conversation_id: int, messages: Sequence[MessageRecord]
) -> set[int]:
    """Of the bot's answers among `messages` to one of the questions of a message (see
    `answered_in_vain`), the seqs of those the shopper said did not help."""
    answers = [message.seq for message in messages if answered_in_vain(message) is not None]
    if not answers:
        return set()
    given = await store.feedback_given(conversation_id, answers)
    return {seq for seq, helpful in given.items() if not helpful}


def _left_since(
    newest_first: Sequence[MessageRecord], past_replies_since: int | None, left_after: int
) -> MessageRecord | None:
    """The question the shopper left through the form that an agent's reply answers: the
    newest left after `left_after` (the conversation's last close), however long ago (the
    next shift answers it), unless an agent answered since (other than with a reply that
    holds the shopper, or, with `past_replies_since`, one of the replies right before
    this one)."""
    for message in newest_first:
        left = left_question(message)
        if left is not None:
            if message.created_at < left_after:
                return None
            return next((m for m in newest_first if m.seq == left and m.author == "shopper"), None)
        answering = message.author == "agent" and not no_answer(message.text)
        if answering and (past_replies_since is None or message.created_at < past_replies_since):
            return None
    return None


def no_answer(text: str, *, reusable: bool = False) -> bool:
    """Whether an agent's reply is no answer to learn: too short, or only holding the
    shopper (unless the agent marked it a reusable answer: their word counts)."""
    return len(text) < MIN_ANSWER_CHARS or (not reusable and holding_reply(text))


class Question(NamedTuple):
    """What a shopper asked, and its folded words (None when the text was cut short, so
    that its words are not those of the messages)."""

    text: str
    words: list[str] | None


def question_of(messages: Sequence[str]) -> str | None:
    """The question a shopper's last messages ask, as shoppers are shown it when the bot
    offers it as a choice: greetings and thanks left out, each message a sentence. None
    when nothing but small talk is left."""
    found = asked_question(messages)
    return found.text if found is not None else None


def asked_question(messages: Sequence[str]) -> Question | None:
    """`question_of`, with the question's words: each message's words are told once, for
    the small-talk check and for the question's language (the sentence ends added between
    messages make no words, so the question's words are its messages' words)."""
    asked: list[str] = []
    folded: list[str] = []
    for text in messages:
        found = words(text)
        if small_talk(text, found) is None:
            kept = without_small_talk(text)
            asked.append(kept)
            folded.extend(found if kept is text else words(kept))
    if not asked:
        return None
    sentences = [
        text if text.endswith((".", "?", "!", "…", ":")) or n == len(asked) - 1 else f"{text}."
        for n, text in enumerate(asked)
    ]
    question = " ".join(sentences)
    if len(question) > MAX_QUESTION_CHARS and len(sentences) > 1:
        # The oldest messages go first: the last one asks most ("[a long story]", "can I
        # return it?"). Their words are told again from what is left.
        while len(sentences) > 1 and len(" ".join(sentences)) > MAX_QUESTION_CHARS:
            sentences.pop(0)
        question = " ".join(sentences)
        if len(question) <= MAX_QUESTION_CHARS:
            return Question(question, words(question))
    if len(question) > MAX_QUESTION_CHARS:
        return Question(question[:MAX_QUESTION_CHARS], None)
    return Question(question, folded)


# A greeting run into the question without a comma ("hi is this chain 11 speed?"): words
# that greet and never ask anything themselves ("morning" may: "morning delivery?").
_LEADING_GREETING = re.compile(
    r"^(?:hi|hello|hey|hiya|howdy|hoi|hallo|hai|moin|servus|goedemorgen|goedemiddag"
    r"|goedenavond|goeiedag|gr[uü]ezi|hall[oö]chen)"
    # Not "there" that begins the question ("hi there is a problem with my order").
    r"(?:\s+(?:there(?!\s+(?:is|are|was|were|s|isn|aren|wasn)\b)|all|allemaal|zusammen))?"
    r"\s+(?=\S+\s+\S)",
    re.IGNORECASE,
)


def without_small_talk(text: str) -> str:
    """`text` (stripped) without the greetings and thanks around its question: "Hi! Do you
    sell bikes for kids?" asks "Do you sell bikes for kids?", "hi is this chain 11 speed?"
    asks "is this chain 11 speed?", and "Hoi, waar blijft mijn pakket? Alvast bedankt!"
    asks "waar blijft mijn pakket?". `text` itself when there is nothing to leave out (or
    nothing else)."""
    text = text.strip()
    parts = CLAUSE_END.split(text)
    # Clauses at even places, what separates them at odd ones.
    first, last = 0, len(parts) - 1
    while first < last and small_talk(parts[first]) is not None:
        first += 2
    while last > first and small_talk(parts[last]) is not None:
        last -= 2
    if small_talk(parts[first]) is None:
        parts[first] = _LEADING_GREETING.sub("", parts[first], count=1)
    return "".join(parts[first : last + 1])


def edit_problem(question: str | None, answer: str | None) -> str | None:
    """What is wrong with an admin's edit of a learned pair (`None`: not edited), said for
    the admin; `None` when nothing is. An edited question must ask something the bot can
    match (not a greeting alone, not a lone letter), an edited answer must say something."""
    if question is not None:
        question = question.strip()
        if not question:
            return "the question is empty"
        if len(question) > MAX_QUESTION_CHARS:
            return f"the question is longer than {MAX_QUESTION_CHARS} characters"
        # Words of other scripts ("运费多少？") are not split into words: their letters count.
        other_script = sum(1 for ch in question if ch.isalnum() and not ch.isascii())
        if not any(len(word) > 1 for word in words(question)) and other_script < 2:
            return "the question has no word to match shoppers' questions by"
        if asked_question([question]) is None:
            return (
                "the question is only small talk (a greeting, thanks or asking for a person):"
                " write what the shopper asks"
            )
    if answer is not None and not answer.strip():
        return "the answer is empty"
    return None


def edited_text(text: str | None) -> str | None:
    """An admin's edited question or answer as it is kept: without the spaces around it."""
    return text.strip() if text is not None else None


def personal_data_in(
    question: str, answer: str, names: tuple[str, ...], agent_names: tuple[str, ...] = ()
) -> list[str]:
    """The kinds of personal data in a question and its answer, the shopper's `names` and
    the `agent_names` of the agent who answered included."""
    return sorted(
        set(personal_data(question, names=names, agent_names=agent_names))
        | set(personal_data(answer, names=names, agent_names=agent_names))
    )


async def personal_data_to_approve(
    store: Store, record: LearnedRecord, question: str | None, answer: str | None
) -> list[str]:
    """The kinds of personal data in a learned pair as an admin would approve it: the
    question and answer as edited (`None`: kept as they are), each checked again, with
    the names of the shopper who asked and the agent who answered, as when the pair was
    first kept."""
    names = await _names(store, record)
    return personal_data_in(question or record.question, answer or record.answer, *names)


async def with_personal_checked(
    store: Store, records: Sequence[LearnedRecord]
) -> list[LearnedRecord]:
    """`records`, each with the kinds of personal data it holds: those not checked when they
    were kept (candidates from replies not marked reusable) are checked now, as they would
    be when approved."""
    checked: list[LearnedRecord] = []
    names: dict[tuple[int | None, int | None], tuple[tuple[str, ...], tuple[str, ...]]] = {}
    for record in records:
        if record.personal is None:
            key = (record.conversation_id, record.agent_id)
            if key not in names:
                names[key] = await _names(store, record)
            found = personal_data_in(record.question, record.answer, *names[key])
            record = replace(record, personal=tuple(found))
        checked.append(record)
    return checked


async def _names(store: Store, record: LearnedRecord) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The name of the shopper who asked `record`'s question, as the shop vouched for it,
    and the names of the agent who answered it."""
    shopper_names: tuple[str, ...] = ()
    if record.conversation_id is not None:
        conversation = await store.conversation(record.conversation_id)
        shopper = await store.shopper_by_id(conversation.shopper_id) if conversation else None
        shopper_names = (shopper.name,) if shopper is not None and shopper.name else ()
    agent = await store.agent_by_id(record.agent_id) if record.agent_id is not None else None
    agent_names = (agent.name, agent.display_name) if agent is not None else ()
    return shopper_names, agent_names


class Learning:
    """Turns agents' replies into candidate pairs and keeps the bot's learned answers current."""

    def __init__(self, store: Store, bot: Bot, *, clock: Callable[[], float]) -> None:
        self._store = store
        self._bot = bot
        self._clock = clock
        self._version: tuple[int, int] | None = None

    def from_reply(
        self,
        conversation: Conversation,
        reply: MessageRecord,
        *,
        reusable: bool,
        agent: AgentRecord,
        shopper_name: str | None,
    ) -> Coroutine[Any, Any, LearnedRecord | None]:
        """Keep the reply and the question it answers as a candidate (approved if reusable).

        Call it as soon as the reply has its sequence number, before it is stored: when the
        question is known (always, unless the server restarted since the shopper asked),
        the pair is queued for the store at once and shares the reply's transaction. It is
        kept only if the reply is stored. Await the result for the record (None: nothing
        kept); or close it unawaited if the reply could not be stored.

        A reply too short to be an answer leaves the question to the next one. A reply
        marked reusable with nothing new from the shopper since the agent's last reply
        answers the question that reply took, and replaces its candidate: the agent said
        "let me check" first, or a colleague took over with the answer.
        """
        if no_answer(reply.text, reusable=reusable):
            return _nothing()
        asked, conversation.asked = conversation.asked, []
        left = conversation.left
        if left is not None:
            # A question left through the form: the reply answers it, not what came with it
            # (kept for the next reply, should this one not be stored).
            asked = [left]
        if asked is None or (asked == [] and reusable):
            # Not known since the conversation was loaded (a restart), or to be looked for
            # past the agent's last reply: ask the store.
            return self._from_store(conversation, reply, reusable, agent, shopper_name)
        if asked == []:
            # The shopper wrote nothing since the last reply.
            return _nothing()
        question = asked_question(still_asked(asked, conversation.bot_answered))
        if question is None and reusable:
            # Only "ok, thanks" since the agent's last reply: the question is before it.
            return self._from_store(conversation, reply, reusable, agent, shopper_name)
        if question is None:
            # Only "hi" or "thanks" since the last reply: what answers it is no answer to keep.
            return _nothing()
        kept = self._keep(question, conversation, reply, reusable, agent, shopper_name)
        return self._unless_lost(kept, conversation, asked, left)

    @staticmethod
    async def _unless_lost(
        kept: Awaitable[LearnedRecord | None],
        conversation: Conversation,
        asked: list[tuple[int, str]],
        left: tuple[int, str] | None = None,
    ) -> LearnedRecord | None:
        """`kept`; when the reply was not stored after all, the question is given back, so
        the agent's resent reply learns it. A question left through the form (`left`) is
        answered once the pair kept for it is stored."""
        try:
            record = await kept
        except Exception:
            _give_back(conversation, asked)
            raise
        if record is None:
            _give_back(conversation, asked)
        elif left is not None and conversation.left == left:
            conversation.left = None
        return record

    async def _from_store(
        self,
        conversation: Conversation,
        reply: MessageRecord,
        reusable: bool,
        agent: AgentRecord,
        shopper_name: str | None,
    ) -> LearnedRecord | None:
        recent = await self._store.messages_after(conversation.id, max(0, reply.seq - 20), 20)
        left_after = conversation.closed_at or 0
        unhelpful = await unhelpful_answers(self._store, conversation.id, recent)
        question = question_before(recent, reply.seq, left_after=left_after, unhelpful=unhelpful)
        replacing = None
        if question is None and reusable:
            since = reply.created_at - PAST_REPLIES_MS
            question = question_before(
                recent,
                reply.seq,
                past_replies_since=since,
                left_after=left_after,
                unhelpful=unhelpful,
            )
            held = await self._store.learned_in(conversation.id, question) if question else None
            if held is not None and held.status == "approved":
                # Answered by a reply marked reusable already: this one adds to it.
                return None
            replacing = held.id if held is not None and held.status == "candidate" else None
        if question is None:
            return None
        return await self._keep(
            Question(question, None),
            conversation,
            reply,
            reusable,
            agent,
            shopper_name,
            replacing=replacing,
        )

    def _keep(
        self,
        asked: Question,
        conversation: Conversation,
        reply: MessageRecord,
        reusable: bool,
        agent: AgentRecord,
        shopper_name: str | None,
        *,
        replacing: int | None = None,
    ) -> Coroutine[Any, Any, LearnedRecord | None]:
        # Only a reply marked reusable can be answered at once, so only it is checked now;
        # any other is a candidate, checked when it is reviewed (`with_personal_checked`).
        # Every agent reply is kept, so this is per-message work worth leaving out.
        question = asked.text
        personal = (
            personal_data_in(
                question,
                reply.text,
                (shopper_name,) if shopper_name else (),
                (agent.name, agent.display_name),
            )
            if reusable
            else None
        )
        language = self._bot.matcher.language_of(question, conversation.locale, asked.words)
        approved = reusable and not personal
        stored = self._store.add_learned(
            question,
            reply.text,
            language=language,
            agent_id=reply.agent_id,
            conversation_id=conversation.id,
            approved=approved,
            personal=personal,
            now=int(self._clock() * 1000),
            reviewed_by=agent.name,
            with_message=reply,
            replacing=replacing,
            faq_entry=self._bot.entry_giving(reply.text, language),
        )
        return self._kept(stored, reusable)

    async def _kept(
        self, stored: Awaitable[LearnedRecord | None], reusable: bool
    ) -> LearnedRecord | None:
        record = await stored
        if record is None:
            return None
        if reusable and record.personal:
            log.info(
                "reply %d marked reusable but holds %s: kept for review",
                record.id,
                list(record.personal),
            )
        if record.status == "approved":
            await self.refresh()
        return record

    async def refresh(self) -> None:
        """Give the bot the approved pairs now (no restart)."""
        version = await self._store.learned_version()
        if version != (0, 0) or self._version is not None:
            approved = newest_per_question(await self._store.learned_by_status("approved"))
            self._bot.set_learned([as_entry(await self._followed(r)) for r in approved])
        self._version = version

    async def _followed(self, record: LearnedRecord) -> LearnedRecord:
        """`record`, following the FAQ entry whose answer it gives, when it follows none yet
        (a pair learned before pairs followed entries, or its entry's id renamed)."""
        if record.faq_entry is not None or record.language is None:
            return record
        entry = self._bot.entry_giving(record.answer, record.language)
        if entry is None:
            return record
        await self._store.follow_faq_entry(record.id, entry)
        return replace(record, faq_entry=entry)

    async def poll(self) -> None:
        """Pick up approvals made elsewhere (the CLI, another process)."""
        version = await self._store.learned_version()
        if version != self._version:
            await self.refresh()


async def _nothing() -> None:
    return None


def _give_back(conversation: Conversation, asked: list[tuple[int, str]]) -> None:
    if conversation.asked is not None:
        conversation.asked = [*asked, *conversation.asked][-MAX_QUESTION_MESSAGES:]


def as_entry(record: LearnedRecord) -> FaqEntry:
    return FaqEntry(
        id=f"learned:{record.id}",
        language=record.language or "nl",
        questions=(record.question,),
        answer=record.answer,
        topic="learned",
        follows=record.faq_entry or "",
    )
