"""Settings of the FAQ bot (the `[bot]` table of config.toml)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator


class BotSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # Folder of FAQ YAML files, relative to the config file unless absolute.
    faq_dir: Path = Path("faq")

    # Score cut-offs of the matcher. A score runs from 0 (nothing in common) to 1 (the
    # question is one of the entry's phrasings). A wrong answer costs more than an honest
    # "I don't know", so answering needs a clear match and a clear winner.
    # Answer at once when the best entry scores at least this (default 0.6) ...
    answer_score: float = Field(default=0.6, ge=0.0, le=1.0)
    # ... and beats the second-best entry by at least this (default 0.08); otherwise ask
    # "did you mean ...?" with the best few.
    answer_margin: float = Field(default=0.08, ge=0.0, le=1.0)
    # Offer an entry as a "did you mean" choice from this score (default 0.45); below it,
    # say "I don't know" and offer a person or a left question.
    suggest_score: float = Field(default=0.45, ge=0.0, le=1.0)
    # At most this many "did you mean" choices (default 3).
    max_suggestions: int = Field(default=3, ge=1, le=10)

    # Language of a question whose language cannot be told, when the browser did not say
    # either (default "nl").
    default_language: str = Field(default="nl", pattern=r"^[a-z]{2,3}$")
    # Only the first this many characters of a question are matched (default 2000), so a
    # pasted essay cannot hold the matcher up.
    max_question_chars: int = Field(default=2000, ge=50)
    # From this many phrasings (default 5000) matching runs in a worker thread, so a large
    # FAQ never stalls the event loop; below it a match takes well under a millisecond.
    thread_threshold: int = Field(default=5000, ge=0)
    # Wait this long for more changes before reloading edited FAQ files (default 300 ms).
    reload_debounce_ms: int = Field(default=300, ge=10, le=60_000)

    @model_validator(mode="after")
    def _suggest_below_answer(self) -> BotSettings:
        if self.suggest_score > self.answer_score:
            raise ValueError("suggest_score must not be above answer_score")
        return self
