"""Course content: eight modules kept as TOML files under `content/<language>/`.

English is complete; a translation may cover some modules and falls back to English for the
rest. Quiz answers stay on the server: the public view of a module never includes them."""

import tomllib
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationInfo, model_validator

from ptfc.programme import LANGUAGES, MODULES

ROOT = Path(__file__).parent / "content"
MEDIA = ROOT / "media"  # one folder per video: content/media/<name>/
# A video's files, in the order a browser is offered them: WebM (open, smaller), then MP4 (H.264,
# for browsers without WebM). A video has one or both.
VIDEO_FILES = {"video.webm": "video/webm", "video.mp4": "video/mp4"}
DEFAULT_LANGUAGE = "en"
MODULE_COUNT = MODULES  # the course's eight modules: the files below must hold exactly these


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Option(_Strict):
    id: str
    text: str
    feedback: str  # shown when a parent picks this option: why it is, or is not, the best answer


class Question(_Strict):
    id: str
    text: str
    options: list[Option] = Field(min_length=2)
    answer: str

    @model_validator(mode="after")
    def _answer_is_an_option(self) -> "Question":
        if self.answer not in {o.id for o in self.options}:
            raise ValueError(f"question {self.id}: answer {self.answer!r} is not one of its options")
        return self


class Prompt(_Strict):
    id: str
    text: str
    hint: str = ""


class Activity(_Strict):
    kind: Literal["quiz", "reflection"]
    intro: str
    questions: list[Question] = []
    prompts: list[Prompt] = []
    closing: str  # said when the module is complete

    @model_validator(mode="after")
    def _has_items(self) -> "Activity":
        if self.kind == "quiz" and not self.questions:
            raise ValueError("a quiz needs questions")
        if self.kind == "reflection" and not self.prompts:
            raise ValueError("a reflection needs prompts")
        return self

    @property
    def item_ids(self) -> list[str]:
        return [q.id for q in self.questions] or [p.id for p in self.prompts]


class Section(_Strict):
    heading: str
    body: str  # Markdown


class Video(_Strict):
    """A short film in a module, in `content/media/<name>/`: the film (`video.webm` and/or
    `video.mp4`), and WebVTT captions in every language of the course (`captions.<lang>.vtt`), so
    no parent meets a film they cannot follow. The transcript is in each module file's own language.
    A video without all of them is refused when the content is loaded."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,40}$")
    title: str  # the player's accessible name
    transcript: str  # Markdown: every word spoken, and what is shown on screen
    _files: dict[str, Path] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _has_its_media(self, info: ValidationInfo) -> "Video":
        folder = (info.context or {}).get("media", MEDIA) / self.name
        films = [f for f in VIDEO_FILES if (folder / f).is_file()]
        if not films:
            raise ValueError(f"video {self.name!r}: no {' or '.join(VIDEO_FILES)} in {folder}")
        missing = [lang for lang in LANGUAGES if not _is_webvtt(folder / f"captions.{lang}.vtt")]
        if missing:
            raise ValueError(f"video {self.name!r}: no WebVTT captions in {', '.join(missing)} (captions.<lang>.vtt)")
        self._files.update({f: folder / f for f in films})
        self._files.update({f"captions.{lang}.vtt": folder / f"captions.{lang}.vtt" for lang in LANGUAGES})
        return self

    @property
    def films(self) -> list[str]:
        return [f for f in VIDEO_FILES if f in self._files]

    @property
    def files(self) -> dict[str, tuple[Path, str]]:
        """Each file a parent's browser may ask for, by name: its path and content type."""
        return {name: (path, VIDEO_FILES.get(name, "text/vtt")) for name, path in self._files.items()}


def _is_webvtt(path: Path) -> bool:
    """A WebVTT file starts with the line `WEBVTT` (a byte-order mark may come first)."""
    if not path.is_file():
        return False
    with path.open("rb") as f:
        head = f.read(16).removeprefix(b"\xef\xbb\xbf")
    return head.startswith(b"WEBVTT") and head[6:7] in (b"", b" ", b"\t", b"\n", b"\r")


class Module(_Strict):
    number: int = Field(ge=1, le=MODULE_COUNT)
    slug: str
    title: str
    minutes: int = Field(ge=5, le=30)
    summary: str
    objectives: list[str] = Field(min_length=1)
    sections: list[Section] = Field(min_length=3, max_length=5)
    activity: Activity
    video: Video | None = None
    language: str = DEFAULT_LANGUAGE


def languages() -> list[str]:
    return sorted(p.name for p in ROOT.iterdir() if (p / "modules").is_dir())


@cache
def _load(language: str) -> dict[int, Module]:
    folder = ROOT / language / "modules"
    found: dict[int, Module] = {}
    if folder.is_dir():
        for path in sorted(folder.glob("*.toml")):
            module = read(path, language)
            found[module.number] = module
    return found


def read(path: Path, language: str, media: Path | None = None) -> Module:
    """One module file, validated (with its video's files in `media`, by default `content/media`)."""
    data = {**tomllib.loads(path.read_text("utf-8")), "language": language}
    return Module.model_validate(data, context={"media": media or MEDIA})


def module(number: int, language: str = DEFAULT_LANGUAGE) -> Module:
    """The module in `language` where translated, else in English."""
    return _load(language).get(number) or _load(DEFAULT_LANGUAGE)[number]


def course(language: str = DEFAULT_LANGUAGE) -> list[Module]:
    return [module(n, language) for n in range(1, MODULE_COUNT + 1)]


def passing_answers(number: int) -> dict[str, str]:
    """Answers that complete module `number`: each quiz question's right answer, a sentence for each
    reflection prompt (for tests and demonstrations of a parent's course)."""
    activity = module(number).activity
    if activity.kind == "quiz":
        return {q.id: q.answer for q in activity.questions}
    return {p.id: "I will keep my children out of our arguments." for p in activity.prompts}
