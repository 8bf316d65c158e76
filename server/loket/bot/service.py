"""The bot in the running server: the live FAQ, the matcher, and what it says to shoppers."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections import OrderedDict
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import Any, Literal

from loket.bot.faq import FaqEntry
from loket.bot.learned import served, with_learned
from loket.bot.matcher import Matcher, MatchResult, match_async
from loket.bot.normalize import language_of_locale
from loket.bot.questions import answer_each, question_parts, unjoined
from loket.bot.semantic import CpuBudget, shared_encoder
from loket.bot.settings import BotSettings
from loket.bot.smalltalk import small_talk
from loket.bot.watcher import FaqSnapshot, FaqWatcher
from loket.conversations import Conversation, Reply, State
from loket.languages import in_language, text_language
from loket.plaintext import phrasing_key
from loket.store import MessageRecord, Store

log = logging.getLogger(__name__)

# Conversations whose last "did you mean" choices are remembered (the oldest forgotten).
OFFERS_KEPT = 10_000

_SAY: dict[str, tuple[str, str, str, str]] = {
    # key: (Dutch, English, German, French)
    "suggest": (
        "Bedoel je een van deze vragen?",
        "Did you mean one of these?",
        "Meinst du eine dieser Fragen?",
        "Vouliez-vous dire l'une de ces questions\u00a0?",
    ),
    "suggest_one": (
        "Bedoel je deze vraag?",
        "Did you mean this question?",
        "Meinst du diese Frage?",
        "Vouliez-vous dire cette question\u00a0?",
    ),
    "bot": (
        "Ik ben de digitale assistent van de winkel: ik antwoord met wat de winkel zelf over "
        "zijn bestellingen, bezorging en service heeft geschreven. Kan ik je niet helpen, dan "
        "zeg ik hoe je een collega bereikt.",
        "I'm the shop's digital assistant: I answer with what the shop itself has written "
        "about its orders, delivery and service. If I can't help, I'll tell you how to "
        "reach a colleague.",
        "Ich bin der digitale Assistent des Shops: Ich antworte mit dem, was der Shop selbst "
        "über Bestellungen, Versand und Service geschrieben hat. Kann ich dir nicht helfen, "
        "sage ich dir, wie du einen Kollegen erreichst.",
        "Je suis l'assistant numérique de la boutique\u00a0: je réponds avec ce que la "
        "boutique a écrit sur ses commandes, ses livraisons et son service. Si je ne peux pas "
        "vous aider, je vous dirai comment joindre un conseiller.",
    ),
    "greeting": (
        "Hallo! Waarmee kan ik je helpen?",
        "Hello! How can I help you?",
        "Hallo! Wie kann ich dir helfen?",
        "Bonjour\u00a0! Comment puis-je vous aider\u00a0?",
    ),
    "thanks": (
        "Graag gedaan! Kan ik je nog ergens anders mee helpen?",
        "You're welcome! Is there anything else I can help you with?",
        "Gern geschehen! Kann ich dir sonst noch irgendwie helfen?",
        "Avec plaisir\u00a0! Puis-je vous aider pour autre chose\u00a0?",
    ),
    "goodbye": (
        "Tot ziens, en nog een fijne dag!",
        "Goodbye, and have a nice day!",
        "Auf Wiedersehen und noch einen schönen Tag!",
        "Au revoir, et bonne journée\u00a0!",
    ),
    "ack": (
        "Fijn! Laat het gerust weten als je nog een vraag hebt.",
        "Great! Just ask if there's anything else.",
        "Prima! Frag gern, wenn du noch etwas wissen möchtest.",
        "Parfait\u00a0! N'hésitez pas si vous avez une autre question.",
    ),
    "person_coming": (
        "Natuurlijk! Ik haal er een collega bij.",
        "Of course! I'm getting a colleague for you.",
        "Natürlich! Ich hole einen Kollegen dazu.",
        "Bien sûr\u00a0! Je vous mets en contact avec un conseiller.",
    ),
    "person_queued": (
        "Een collega komt zo bij je; je plek in de rij zie je hierboven.",
        "A colleague will be with you shortly; your place in line is shown above.",
        "Gleich ist ein Kollege für dich da; deinen Platz in der Warteschlange siehst du oben.",
        "Un conseiller sera avec vous sous peu\u00a0; "
        "votre place dans la file d'attente est indiquée "
        "ci-dessus.",
    ),
    # In line, but the estimated wait is longer than the queue keeps a shopper before the
    # bot takes over again (the widget shows "it may take a long time" and the form).
    "person_queued_long": (
        "Je staat in de rij voor een collega, maar het kan lang duren. Je kunt ook je vraag "
        "achterlaten; je plek in de rij houd je.",
        "You're in line for a colleague, but it may take a long time. You can also leave "
        "your question; you keep your place in line.",
        "Du stehst in der Warteschlange für einen Kollegen, aber es kann lange dauern. Du "
        "kannst auch deine Frage hinterlassen; deinen Platz behältst du.",
        "Vous êtes dans la file d'attente pour un conseiller, mais cela peut prendre du temps. "
        "Vous pouvez aussi laisser votre question\u00a0; vous gardez votre place dans la file.",
    ),
    "person_queued_long_left": (
        "Je staat in de rij voor een collega, maar het kan lang duren. Je vraag ligt al "
        "klaar; het antwoord zie je hier in de chat.",
        "You're in line for a colleague, but it may take a long time. Your question is "
        "already waiting; you'll see the answer here in the chat.",
        "Du stehst in der Warteschlange für einen Kollegen, aber es kann lange dauern. Deine "
        "Frage liegt schon bereit; die Antwort siehst du hier im Chat.",
        "Vous êtes dans la file d'attente pour un conseiller, mais cela peut prendre du temps. "
        "Votre question nous est déjà parvenue\u00a0; vous verrez la réponse ici dans le chat.",
    ),
    "person_none": (
        "Er is nu niemand van ons team beschikbaar. Laat je vraag en je e-mailadres of "
        "telefoonnummer achter, dan nemen we zo snel mogelijk contact met je op.",
        "Nobody from our team is available right now. Leave your question and your e-mail "
        "address or phone number and we'll get back to you as soon as we can.",
        "Gerade ist niemand aus unserem Team erreichbar. Hinterlass deine Frage und deine "
        "E-Mail-Adresse oder Telefonnummer, dann melden wir uns so schnell wie möglich bei dir.",
        "Personne de notre équipe n'est disponible pour le moment. Laissez-nous votre question et "
        "votre adresse e-mail ou numéro de téléphone, et nous vous recontacterons dès que "
        "possible.",
    ),
    "person_none_left": (
        "Er is nu niemand van ons team beschikbaar. Je vraag ligt al klaar voor een collega; "
        "het antwoord zie je hier in de chat.",
        "Nobody from our team is available right now. Your question is already waiting for "
        "a colleague; you'll see the answer here in the chat.",
        "Gerade ist niemand aus unserem Team erreichbar. Deine Frage liegt schon bei einem "
        "Kollegen; die Antwort siehst du hier im Chat.",
        "Personne de notre équipe n'est disponible pour le moment. Votre question attend déjà un "
        "conseiller\u00a0; vous verrez la réponse ici dans le chat.",
    ),
    "unknown_queued": (
        "Dat weet ik niet zeker. Een collega komt zo bij je; je plek in de rij zie je hierboven.",
        "I'm not sure about that. A colleague will be with you shortly; your place in line "
        "is shown above.",
        "Da bin ich mir nicht sicher. Gleich ist ein Kollege für dich da; deinen Platz in der "
        "Warteschlange siehst du oben.",
        "Je n'en suis pas sûr. Un conseiller sera avec vous sous peu\u00a0; votre place dans la "
        "file d'attente est indiquée ci-dessus.",
    ),
    "unknown": (
        "Dat weet ik niet zeker.",
        "I'm not sure about that.",
        "Da bin ich mir nicht sicher.",
        "Je n'en suis pas sûr.",
    ),
    "unknown_person": (
        "Dat weet ik helaas niet zeker. Wil je het aan een collega vragen?",
        "I'm not sure about that, sorry. Would you like to ask a colleague?",
        "Da bin ich mir leider nicht sicher. Möchtest du einen Kollegen fragen?",
        "Je n'en suis malheureusement pas sûr. Voulez-vous poser la question à un "
        "conseiller\u00a0?",
    ),
    "unknown_leave": (
        "Dat weet ik helaas niet zeker. Laat je vraag achter, dan beantwoordt een collega "
        "hem zo snel mogelijk.",
        "I'm not sure about that, sorry. Leave your question and a colleague will answer it "
        "as soon as possible.",
        "Da bin ich mir leider nicht sicher. Hinterlass deine Frage, dann beantwortet ein "
        "Kollege sie so schnell wie möglich.",
        "Je n'en suis malheureusement pas sûr. Laissez votre question\u00a0: un conseiller y "
        "répondra dès que possible.",
    ),
    "unknown_leave_more": (
        "Dat weet ik helaas niet zeker. Je eerdere vraag ligt al klaar voor een collega; "
        "deze kun je er ook bij achterlaten.",
        "I'm not sure about that, sorry. Your earlier question is already waiting for a "
        "colleague; you can leave this one too.",
        "Da bin ich mir leider nicht sicher. Deine frühere Frage liegt schon bei einem "
        "Kollegen; diese kannst du auch hinterlassen.",
        "Je n'en suis malheureusement pas sûr. Votre question précédente attend déjà un "
        "conseiller\u00a0; vous pouvez aussi laisser celle-ci.",
    ),
}


# Before what the bot says of one of several questions in a message: which one. After it,
# Dutch and French go on in lower case ("Over “…”: dat weet ik niet zeker").
_ABOUT: tuple[str, str, str, str] = (
    "Over {}: ",
    "About {}: ",
    "Zu {}: ",
    "Pour {}\u00a0: ",
)
_QUOTED: tuple[str, str, str, str] = ("“{}”", "“{}”", "„{}“", "«\u00a0{}\u00a0»")
_AND: tuple[str, str, str, str] = ("en", "and", "und", "et")
_GOES_ON_IN_LOWER_CASE = frozenset({"nl", "fr"})
# A question named longer than this is cut short ("…").
_ABOUT_CHARS = 80


def about_questions(questions: Sequence[str], language: str, text: str) -> str:
    """`text` said of one or more of the questions of a message, naming them in `language`
    ("About “how much is shipping”: …"), without what joined or ended them ("and", "?");
    `text` alone when `questions` is empty."""
    if not questions:
        return text
    quoted = in_language(_QUOTED, language)
    named = []
    for question in questions:
        asked = unjoined(question).rstrip("? \u00a0")
        if len(asked) > _ABOUT_CHARS:
            asked = asked[: _ABOUT_CHARS - 1].rstrip() + "…"
        named.append(quoted.format(asked))
    joined = f" {in_language(_AND, language)} ".join(named)
    if language_of_locale(language) in _GOES_ON_IN_LOWER_CASE:
        text = text[:1].lower() + text[1:]
    return in_language(_ABOUT, language).format(joined) + text


# The bot's texts for shops that address shoppers formally (`widget.formal`): German "Sie".
_SAY_FORMAL: dict[str, dict[str, str]] = {
    "de": {
        "suggest": "Meinen Sie eine dieser Fragen?",
        "suggest_one": "Meinen Sie diese Frage?",
        "bot": "Ich bin der digitale Assistent des Shops: Ich antworte mit dem, was der Shop "
        "selbst über Bestellungen, Versand und Service geschrieben hat. Kann ich Ihnen nicht "
        "helfen, sage ich Ihnen, wie Sie einen Kollegen erreichen.",
        "greeting": "Hallo! Wie kann ich Ihnen helfen?",
        "thanks": "Gern geschehen! Kann ich Ihnen sonst noch irgendwie helfen?",
        "ack": "Prima! Fragen Sie gern, wenn Sie noch etwas wissen möchten.",
        "person_queued": "Gleich ist ein Kollege für Sie da; Ihren Platz in der Warteschlange "
        "sehen Sie oben.",
        "person_queued_long": "Sie stehen in der Warteschlange für einen Kollegen, aber es kann "
        "lange dauern. Sie können auch Ihre Frage hinterlassen; Ihren Platz behalten Sie.",
        "person_queued_long_left": "Sie stehen in der Warteschlange für einen Kollegen, aber es "
        "kann lange dauern. Ihre Frage liegt schon bereit; die Antwort sehen Sie hier im Chat.",
        "person_none": "Gerade ist niemand aus unserem Team erreichbar. Hinterlassen Sie Ihre "
        "Frage und Ihre E-Mail-Adresse oder Telefonnummer, dann melden wir uns so schnell wie "
        "möglich bei Ihnen.",
        "person_none_left": "Gerade ist niemand aus unserem Team erreichbar. Ihre Frage liegt "
        "schon bei einem Kollegen; die Antwort sehen Sie hier im Chat.",
        "unknown_queued": "Da bin ich mir nicht sicher. Gleich ist ein Kollege für Sie da; "
        "Ihren Platz in der Warteschlange sehen Sie oben.",
        "unknown_person": "Da bin ich mir leider nicht sicher. Möchten Sie einen Kollegen fragen?",
        "unknown_leave": "Da bin ich mir leider nicht sicher. Hinterlassen Sie Ihre Frage, dann "
        "beantwortet ein Kollege sie so schnell wie möglich.",
        "unknown_leave_more": "Da bin ich mir leider nicht sicher. Ihre frühere Frage liegt "
        "schon bei einem Kollegen; diese können Sie auch hinterlassen.",
    },
}


def say(key: str, language: str, formal: Collection[str] = ()) -> str:
    """What the bot says by itself (`key`: greeting, thanks, person_coming, ...) in `language`,
    formally when the shop addresses shoppers of that language so (`formal`: languages)."""
    spoken = text_language(language)
    if spoken in formal and key in _SAY_FORMAL.get(spoken, {}):
        return _SAY_FORMAL[spoken][key]
    return in_language(_SAY[key], language)


def offered_choices(
    suggestions: Sequence[FaqEntry], text: str
) -> tuple[list[dict[str, str]], FaqEntry | None]:
    """The "did you mean" buttons for `suggestions` (id and question, one per question: two
    entries that ask alike, such as two learned answers to one question, would show the
    same text twice), and the entry to answer with instead when the one choice left is
    the shopper's own question (offering it back would only lead here again)."""
    seen: set[str] = set()
    choices: list[dict[str, str]] = []
    first: FaqEntry | None = None
    for entry in suggestions:
        key = phrasing_key(entry.questions[0])
        if key not in seen:
            seen.add(key)
            choices.append({"id": entry.id, "question": entry.questions[0]})
            first = first or entry
    if len(choices) == 1 and phrasing_key(text) in seen:
        return choices, first
    return choices, None


class Bot:
    """Answers shoppers from the FAQ files (reloaded when they change) and learned answers."""

    def __init__(
        self,
        settings: BotSettings,
        *,
        people_available: Callable[[], bool],
        long_wait: Callable[[Conversation], bool] = lambda conversation: False,
        still_busy: Callable[[Conversation], bool] = lambda conversation: False,
        store: Store | None = None,
        clock: Callable[[], float] = time.time,
        keep_dir: Path | None = None,
        formal: Collection[str] = (),
    ) -> None:
        self._settings = settings
        # The languages whose shoppers the shop addresses formally (`widget.formal`).
        self._formal = frozenset(formal)
        self._people_available = people_available
        # Whether a queued conversation's estimated wait is longer than the queue keeps it.
        self._long_wait = long_wait
        # Whether the queue gave up on a conversation and every agent is still full.
        self._still_busy = still_busy
        self._store = store
        self._clock = clock
        self.watcher = FaqWatcher(
            settings.faq_dir,
            debounce_ms=settings.reload_debounce_ms,
            on_reload=self._rebuild,
            # The watch thread notices cancellation only when it wakes: keep shutdown quick.
            poll_timeout_ms=500,
            keep_dir=keep_dir,
        )
        self._learned: tuple[FaqEntry, ...] = ()
        # The FAQ file entries by (language, answer key): which one a learned answer gives.
        self._answers: dict[tuple[str, str], str | None] = {}
        # The sentence encoder's share of the CPU in the running server (see BotSettings).
        self._encoder_budget = CpuBudget(settings.semantic_cpu_share)
        self.matcher = Matcher.build([], settings)
        self._by_id: dict[str, FaqEntry] = {}
        # The "did you mean" choices last offered per conversation (question -> entry id):
        # a shopper who picks one sends its question, and gets that entry's answer, even
        # where two entries ask alike and matching alone would offer both again.
        # Per conversation, the choices last offered and the seq of the message they were for.
        self._offered: OrderedDict[int, tuple[dict[str, str], int]] = OrderedDict()

    def start(self) -> None:
        """Load the FAQ files (the watcher reports errors; the rest goes live through
        `_rebuild`, its reload callback: built once, not again here)."""
        self.watcher.load()

    def set_learned(self, entries: list[FaqEntry]) -> None:
        """Answer from these approved learned pairs too, from now on (not from those
        answered in another language than they were asked in: `learned.served`)."""
        kept = served(entries, self.matcher.language_of)
        if len(kept) < len(entries):
            log.info(
                "%d learned answers are in another language than their question: not used",
                len(entries) - len(kept),
            )
        self._learned = tuple(kept)
        self._rebuild(self.watcher.snapshot)

    def entry_giving(self, answer: str, language: str) -> str | None:
        """The id of the FAQ file entry of `language` whose answer `answer` is (case,
        spacing and end punctuation aside); None when no entry, or several, give it."""
        return self._answers.get((language, phrasing_key(answer)))

    def _rebuild(self, snapshot: FaqSnapshot) -> None:
        # An answer two entries give names neither: a pair that gave it follows its text.
        answers: dict[tuple[str, str], str | None] = {}
        for entry in snapshot.entries:
            key = (entry.language, phrasing_key(entry.answer))
            answers[key] = None if key in answers else entry.id
        self._answers = answers
        entries = with_learned(snapshot.entries, self._learned)
        self.matcher = Matcher.build(entries, self._settings)
        self._by_id = {entry.id: entry for entry in self.matcher.entries}
        log.info(
            "FAQ live: %d entries (%d of them learned), %d phrasings",
            len(self.matcher.entries),
            len(entries) - len(snapshot.entries),
            self.matcher.phrasing_count,
        )

    async def health(self) -> dict[str, Any]:
        """For /healthz: a broken file keeps its last good version serving, so the server
        is not failing, but it is degraded (monitoring can tell an admin to fix it)."""
        # Paths within the FAQ folder, not the server's own: /healthz is public.
        folder = str(self._settings.faq_dir)
        errors = [
            str(error).replace(folder + os.sep, "").replace(folder, "the FAQ folder")
            for error in self.watcher.errors
        ]
        return {
            "ok": not errors,
            "critical": False,
            "entries": len(self.matcher.entries),
            "errors": errors,
            "meaning": self.meaning(),
        }

    def meaning(self) -> dict[str, Any]:
        """Whether questions are matched by meaning, and what the encoder is doing."""
        on = self.matcher.settings.semantic
        encoder = shared_encoder() if on else None
        return {
            "on": on,
            "encoder_process": encoder.process_id if encoder else None,
            "encoder_processes_started": encoder.processes_started if encoder else 0,
            "words_alone_for_cpu_share": self._encoder_budget.refusals,
        }

    async def match(self, text: str, language: str | None) -> MatchResult:
        return await match_async(self.matcher, text, language, self._encoder_budget)

    async def respond(self, conversation: Conversation, message: MessageRecord) -> list[Reply]:
        """What the bot says to a shopper's message while no agent has the conversation."""
        asked = {"question_seq": message.seq}
        picked = self._picked(conversation.id, message.text)
        if picked is not None:
            entry, offered_for = picked
            meta = {"kind": "answer", "entry_id": entry.id, "feedback": True, **asked}
            # The choice answers the message it was offered for too (see `bot_answered`).
            meta["choice_for"] = offered_for
            return [Reply(entry.answer, meta)]
        in_queue = conversation.state is State.QUEUED
        talk = small_talk(message.text, queued=in_queue)
        if talk is not None and talk[0] == "wait" and not in_queue:
            # Nobody to wait for: a question for the FAQ like any other.
            talk = None
        if talk is not None:
            # Not a question: answered in kind, and no miss for the admins' list.
            kind, told = talk
            language = conversation.locale or told or self._settings.default_language
            if kind in ("person", "wait"):
                return self._person_asked(conversation, message, language, kind)
            return [
                Reply(
                    say(kind, language, self._formal), {"kind": "small_talk", "talk": kind, **asked}
                )
            ]
        result = await self.match(message.text, conversation.locale)
        language = conversation.locale or result.language
        several = await self._answer_each(conversation, message, result, language, asked)
        if several is not None:
            return several
        if result.outcome == "answer" and result.entry is not None:
            meta = {"kind": "answer", "entry_id": result.entry.id, "feedback": True, **asked}
            return [Reply(result.entry.answer, meta)]
        if result.outcome == "suggest" and result.suggestions:
            choices, only = offered_choices(result.suggestions, message.text)
            if only is not None:
                meta = {"kind": "answer", "entry_id": only.id, "feedback": True, **asked}
                return [Reply(only.answer, meta)]
            offered = {phrasing_key(choice["question"]): choice["id"] for choice in choices}
            self._offer(conversation.id, offered, message.seq)
            key = "suggest" if len(choices) > 1 else "suggest_one"
            meta = {"kind": "suggest", "choices": choices, **asked}
            # Asked in the words of another of the FAQ's languages than the page's (English
            # on a Dutch page): "did you mean" in the language of the choices it offers.
            offered_in = {entry.language for entry in result.suggestions}
            said_in = offered_in.pop() if len(offered_in) == 1 else language
            return [Reply(say(key, said_in, self._formal), meta)]
        if conversation.state is State.BOT and message.seq <= conversation.bot_since_seq:
            # Written to an agent who went: the notice that said so offered the form with
            # the open question. A reply in a talk with that agent ("12345", "the blue one")
            # is no question for the FAQ's misses; a question the agent never got to is.
            replied = conversation.last_agent_reply_at
            if replied is None or replied < (conversation.assigned_at or 0):
                self.record_miss(conversation, message.text, language, "unknown", None)
            return []
        # Not waited for: the miss shares a transaction with the reply stored next.
        self.record_miss(conversation, message.text, language, "unknown", None)
        return [self._not_known(conversation, language, asked)]

    def _not_known(
        self,
        conversation: Conversation,
        language: str,
        asked: dict[str, Any],
        of: Sequence[str] = (),
    ) -> Reply:
        """The bot's "I'm not sure about that", with what it offers instead (a person, or
        leaving the question); `of`: which of several questions it is said of."""
        if conversation.state is State.QUEUED:
            queued = self._queued_words(conversation, language)
            text = (
                f"{say('unknown', language, self._formal)} {queued}"
                if queued
                else say("unknown_queued", language, self._formal)
            )
            return Reply(about_questions(of, language, text), {"kind": "unknown", **asked})
        # Not after the queue's wait ran out with everyone still busy: the notice that
        # said so offered the form, and a person would mean the queue again.
        if self._people_available() and not self._still_busy(conversation):
            return Reply(
                about_questions(of, language, say("unknown_person", language, self._formal)),
                {"kind": "unknown", "offer": "person", **asked},
            )
        if conversation.open_callbacks:
            # A question of theirs waits already: say so, and offer (not open) the form.
            meta = {"kind": "unknown", "offer": "leave_question", "left": True, **asked}
            return Reply(
                about_questions(of, language, say("unknown_leave_more", language, self._formal)),
                meta,
            )
        meta = {"kind": "unknown", "offer": "leave_question", **asked}
        return Reply(
            about_questions(of, language, say("unknown_leave", language, self._formal)), meta
        )

    async def _answer_each(
        self,
        conversation: Conversation,
        message: MessageRecord,
        whole: MatchResult,
        language: str,
        asked: dict[str, Any],
    ) -> list[Reply] | None:
        """The replies to a message that asks several questions (`question_parts`), as
        `answer_each` decides: an answer to each the FAQ answers, in order; for the others,
        a "did you mean" or an "I'm not sure" that names the question, which is kept for
        the admins' misses. Each reply's `question` is the question it is about (what the
        form holds, what "this did not help" keeps, what an agent's reply learns). None when
        the message is answered as a whole."""
        # As much of it as the matcher reads (a long message is read sentence by sentence).
        text = message.text[: self.matcher.settings.max_question_chars]
        questions = [part for part in question_parts(text) if small_talk(part) is None]
        if len(questions) < 2:
            return None
        results = [await self.match(part, conversation.locale) for part in questions]
        each = answer_each(whole, list(zip(questions, results, strict=True)))
        if each is None:
            return None
        replies = [
            Reply(
                entry.answer,
                {
                    "kind": "answer",
                    "entry_id": entry.id,
                    "feedback": True,
                    **asked,
                    "question": " ".join(map(unjoined, about)),
                },
            )
            for entry, about in each.answers
        ]
        if each.offer is not None:
            question, suggestions = each.offer
            choices, only = offered_choices(suggestions, unjoined(question))
            if only is not None:
                # The one choice is that question itself: answered with it.
                meta = {"kind": "answer", "entry_id": only.id, "feedback": True, **asked}
                replies.append(Reply(only.answer, meta | {"question": unjoined(question)}))
            else:
                offered = {phrasing_key(choice["question"]): choice["id"] for choice in choices}
                self._offer(conversation.id, offered, message.seq)
                key = "suggest" if len(choices) > 1 else "suggest_one"
                meta = {"kind": "suggest", "choices": choices, **asked}
                meta["question"] = unjoined(question)
                replies.append(
                    Reply(
                        about_questions([question], language, say(key, language, self._formal)),
                        meta,
                    )
                )
        if each.unknown and message.seq > conversation.bot_since_seq:
            # Not for a message written to an agent who went (see `respond`).
            for question in each.unknown:
                self.record_miss(conversation, question, language, "unknown", None)
            # What is still asked of the message: the form holds it, an agent's reply
            # to it learns it (see `still_open`).
            unsure = asked | {"question": " ".join(map(unjoined, each.unknown))}
            replies.append(self._not_known(conversation, language, unsure, each.unknown))
        return replies

    def _person_asked(
        self,
        conversation: Conversation,
        message: MessageRecord,
        language: str,
        kind: Literal["person", "wait"] = "person",
    ) -> list[Reply]:
        """The shopper typed that they want a person: as the "talk to a person" button, the
        conversation goes to an agent or the queue when anyone can come (`hand_over`);
        else the form is offered, holding nothing (this message was no question). Asked
        while an agent had the conversation, which came back to the bot since (the queue's
        wait ran out, the agent went): the notice that said so answers it. Asked how long
        the wait is (`kind` "wait", only while in the queue): told as for a person."""
        meta: dict[str, Any] = {"kind": "small_talk", "talk": kind, "question_seq": message.seq}
        if conversation.state is State.QUEUED:
            queued = self._queued_words(conversation, language)
            return [Reply(queued or say("person_queued", language, self._formal), meta)]
        if message.seq <= conversation.bot_since_seq:
            return []
        if self._people_available():
            return [Reply(say("person_coming", language, self._formal), meta, hand_over=True)]
        if conversation.open_callbacks:
            meta |= {"offer": "leave_question", "left": True}
            return [Reply(say("person_none_left", language, self._formal), meta)]
        return [
            Reply(
                say("person_none", language, self._formal),
                meta | {"offer": "leave_question"},
                wants_person=True,
            )
        ]

    def _queued_words(self, conversation: Conversation, language: str) -> str | None:
        """What a queued shopper is told of their wait when it is longer than the queue
        keeps them (not "a colleague will be with you shortly"); None when it is not."""
        if not self._long_wait(conversation):
            return None
        key = "person_queued_long_left" if conversation.open_callbacks else "person_queued_long"
        return say(key, language, self._formal)

    def _offer(self, conversation_id: int, offered: dict[str, str], offered_for: int) -> None:
        """Keep the choices offered (by their question's key, the entry id) for the
        shopper's message `offered_for` (its seq)."""
        self._offered[conversation_id] = (offered, offered_for)
        self._offered.move_to_end(conversation_id)
        while len(self._offered) > OFFERS_KEPT:
            self._offered.popitem(last=False)

    def _picked(self, conversation_id: int, text: str) -> tuple[FaqEntry, int] | None:
        """The entry of the choice the shopper picked (they sent its question), with the
        seq of the message it was offered for, if the last thing offered in this
        conversation was a choice and the entry is still live."""
        kept = self._offered.pop(conversation_id, None)
        if kept is None:
            return None
        offered, offered_for = kept
        key = phrasing_key(text)
        entry = self._by_id.get(offered.get(key, ""))
        # The entry may have changed since (an FAQ reload): only while it still asks this.
        if entry is None or key not in {phrasing_key(q) for q in entry.questions}:
            return None
        return entry, offered_for

    def record_miss(
        self,
        conversation: Conversation,
        question: str,
        language: str | None,
        reason: str,
        entry_id: str | None,
    ) -> asyncio.Future[None]:
        """Keep a question the bot could not help with, for the admins' list.

        Queued at once; the future resolves when it is committed (awaiting it is optional:
        a failed write is logged either way).
        """
        if self._store is None:
            done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            done.set_result(None)
            return done
        stored = self._store.add_miss(
            conversation.id,
            question,
            language=language,
            reason=reason,
            entry_id=entry_id,
            now=int(self._clock() * 1000),
        )
        stored.add_done_callback(_log_failed_miss)
        return stored

    async def search(self, query: str, limit: int = 8) -> list[FaqEntry]:
        """FAQ entries for an agent's search (canned answers): best matches first."""
        result = await self.match(query, None)
        found: list[FaqEntry] = []
        # Not the closest entry to words the bot does not know ("xyzabc"): it shares
        # nothing with them, and Enter would put its answer in the composer.
        best = result.entry if result.outcome != "unknown" else None
        for entry in (best, *result.suggestions):
            if entry is not None and entry not in found:
                found.append(entry)
        folded = query.casefold()
        for entry in self.matcher.entries:
            if len(found) >= limit:
                break
            text = " ".join((*entry.questions, entry.answer, entry.id)).casefold()
            if all(word in text for word in folded.split()) and entry not in found:
                found.append(entry)
        return found[:limit]


def _log_failed_miss(stored: asyncio.Future[None]) -> None:
    if not stored.cancelled() and stored.exception() is not None:
        log.error("a question the bot missed was not stored: %s", stored.exception())
