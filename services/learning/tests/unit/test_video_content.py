"""A module's film in the content files: refused on load without its film or its captions in every
language of the course; each translation has it, with a transcript holding every caption."""

import re
import shutil

import pytest
from pydantic import ValidationError

from learning import content

MODULE_1 = "01-going-to-court.toml"


def folder_with(tmp_path, *files: str):
    """A copy of the sample video's folder with only these files."""
    media = tmp_path / "media"
    (media / "welcome").mkdir(parents=True)
    for name in files:
        shutil.copy(content.MEDIA / "welcome" / name, media / "welcome" / name)
    return media


def test_a_video_with_its_film_and_captions_in_every_language_loads(tmp_path):
    media = folder_with(tmp_path, "video.mp4", "captions.en.vtt", "captions.pl.vtt", "captions.ur.vtt")
    video = content.read(content.ROOT / "en" / "modules" / MODULE_1, "en", media).video
    assert video is not None and video.films == ["video.mp4"]
    assert set(video.files) == {"video.mp4", "captions.en.vtt", "captions.pl.vtt", "captions.ur.vtt"}


@pytest.mark.parametrize("language", ["en", "pl", "ur"])
def test_a_video_without_captions_in_a_language_is_refused_on_load(tmp_path, language):
    others = [f"captions.{lang}.vtt" for lang in ("en", "pl", "ur") if lang != language]
    media = folder_with(tmp_path, "video.webm", *others)
    with pytest.raises(ValidationError, match=f"no WebVTT captions in {language}"):
        content.read(content.ROOT / "en" / "modules" / MODULE_1, "en", media)


def test_captions_that_are_not_webvtt_and_a_missing_film_are_refused_on_load(tmp_path):
    media = folder_with(tmp_path, "video.webm", "captions.en.vtt", "captions.pl.vtt")
    (media / "welcome" / "captions.ur.vtt").write_text("1\n00:00:01,000 --> 00:00:02,000\nSRT, not WebVTT\n")
    with pytest.raises(ValidationError, match="no WebVTT captions in ur"):
        content.read(content.ROOT / "en" / "modules" / MODULE_1, "en", media)
    (media / "welcome" / "video.webm").unlink()
    with pytest.raises(ValidationError, match=re.escape("no video.webm or video.mp4")):
        content.read(content.ROOT / "en" / "modules" / MODULE_1, "en", media)


def test_every_translation_has_the_english_modules_films_with_every_caption_in_its_transcript():
    for number in range(1, content.MODULE_COUNT + 1):
        english = content.module(number, "en").video
        for language in ("en", "pl", "ur"):
            video = content.module(number, language).video
            assert (video and video.name) == (english and english.name), (number, language)
            if video is None:
                continue
            vtt = (content.MEDIA / video.name / f"captions.{language}.vtt").read_text("utf-8")
            cues = [line for line in vtt.splitlines()[1:] if line and "-->" not in line and not line.isdigit()]
            transcript = re.sub(r"\s+", " ", video.transcript)
            assert cues and all(cue in transcript for cue in cues), (number, language)


def test_the_sample_stays_small_enough_to_keep_in_the_repository():
    sizes = [p.stat().st_size for p in (content.MEDIA / "welcome").iterdir()]
    assert sum(sizes) < 300_000
