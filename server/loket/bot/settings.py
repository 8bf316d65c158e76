"""Settings of the FAQ bot (the `[bot]` table of config.toml)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from loket.bot.synonyms import CONCEPTS

_WORDS_ALONE = {
    "answer_score": 0.6,
    "answer_margin": 0.08,
    "agreed_margin": 0.08,
    "suggest_score": 0.45,
}


class BotSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # Folder of FAQ YAML files, relative to the config file unless absolute.
    faq_dir: Path = Path("faq")

    # Score cut-offs of the matcher. A score runs from 0 (nothing in common) to 1 (the
    # question is one of the entry's phrasings); it mixes how well the words match with
    # how close the meaning is (see semantic_weight). A wrong answer costs more than an
    # honest "I don't know", so answering needs a clear match and a clear winner.
    # The defaults depend on `semantic`; the first figure is with it, the second without.
    # Answer at once when the best entry scores at least this (default 0.42 / 0.6) ...
    answer_score: float = Field(default=0.42, ge=0.0, le=1.0)
    # ... and beats the second-best entry by at least this (default 0.06 / 0.08);
    # otherwise ask "did you mean ...?" with the best few.
    answer_margin: float = Field(default=0.06, ge=0.0, le=1.0)
    # The lead that is enough when the words alone and the meaning alone both rank the
    # best entry first (default 0.02 / 0.08).
    agreed_margin: float = Field(default=0.02, ge=0.0, le=1.0)
    # Offer an entry as a "did you mean" choice from this score (default 0.4 / 0.45);
    # below it, say "I don't know" and offer a person or a left question.
    suggest_score: float = Field(default=0.4, ge=0.0, le=1.0)
    # At most this many "did you mean" choices (default 3).
    max_suggestions: int = Field(default=3, ge=1, le=10)

    # Match by meaning as well as by words (default true): a multilingual sentence
    # encoder that ships with Loket (about 150 MB of memory, 2-3 ms per question).
    semantic: bool = True
    # The share of the score that comes from meaning (default 0.4); the rest comes from
    # the words.
    semantic_weight: float = Field(default=0.4, ge=0.0, le=1.0)
    # Meaning is used for an FAQ (with learned answers) of up to this many phrasings
    # (default 20000): each is encoded when the FAQ loads (about 1 ms each, kept across
    # reloads). A larger FAQ is matched by words alone, with the stricter cut-offs.
    semantic_max_phrasings: int = Field(default=20_000, ge=0)
    # At most this share of one CPU core goes to encoding shoppers' questions (default
    # 0.1: about 40 questions a second). A question asked while that is used up is
    # matched by words alone, with their cut-offs, so a flood of questions never slows the
    # chat down (the encoder process competes with the server for the machine's cores).
    semantic_cpu_share: float = Field(default=0.1, gt=0.0, le=1.0)

    # Concepts of the built-in webshop lexicon to switch off (default none), for a shop
    # where their words mean something else: a bike shop's "track bike" is no parcel
    # tracking. `loket faq concepts` lists them; docs/faq.md says more.
    concepts_off: tuple[str, ...] = ()

    # Language of a question whose language cannot be told, when the browser did not say
    # either (default "nl").
    default_language: str = Field(default="nl", pattern=r"^[a-z]{2,3}$")
    # Only the first this many characters of a question are matched (default 2000), so a
    # pasted essay cannot hold the matcher up.
    max_question_chars: int = Field(default=2000, ge=50)
    # Matching by words alone runs in a worker thread from this many phrasings (default
    # 5000), so a large FAQ never stalls the event loop; below it a match takes well under
    # a millisecond. Matching by meaning always runs in a worker thread.
    thread_threshold: int = Field(default=5000, ge=0)
    # Wait this long for more changes before reloading edited FAQ files (default 300 ms).
    reload_debounce_ms: int = Field(default=300, ge=10, le=60_000)

    @model_validator(mode="before")
    @classmethod
    def _defaults_for_words_alone(cls, data: Any) -> Any:
        # Scores by words alone run higher than mixed ones and are less sure: without
        # meaning, the cut-offs not given are stricter.
        if isinstance(data, dict) and data.get("semantic") is False:
            merged = {**_WORDS_ALONE, **data}
            # A stricter default gives way to a cut-off set explicitly: "did you mean"
            # never starts above where answering starts.
            given_answer, given_suggest = data.get("answer_score"), data.get("suggest_score")
            if given_suggest is None and isinstance(given_answer, int | float):
                merged["suggest_score"] = min(_WORDS_ALONE["suggest_score"], given_answer)
            if given_answer is None and isinstance(given_suggest, int | float):
                merged["answer_score"] = max(_WORDS_ALONE["answer_score"], given_suggest)
            return merged
        return data

    def words_alone(self) -> BotSettings:
        """These settings without meaning: cut-offs not set explicitly take their defaults."""
        given = {name: getattr(self, name) for name in self.model_fields_set}
        return BotSettings.model_validate({**given, "semantic": False})

    @field_validator("concepts_off")
    @classmethod
    def _known_concepts(cls, names: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [name for name in names if name not in CONCEPTS]
        if unknown:
            raise ValueError(
                f"no such concept: {', '.join(unknown)} (`loket faq concepts` lists them)"
            )
        return names

    @model_validator(mode="after")
    def _suggest_below_answer(self) -> BotSettings:
        if self.suggest_score > self.answer_score:
            raise ValueError(
                f"suggest_score ({self.suggest_score}) must not be above answer_score"
                f" ({self.answer_score})"
            )
        return self
