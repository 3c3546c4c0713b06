"""Makes the sample video of module 1 (`content/media/welcome/`): a title card and a spoken welcome,
with WebVTT captions in English, Polish and Urdu timed to the speech.

It stands in for a provider's own film, so the path from the content files to a parent's player is
real end to end; providers replace it (services/learning/README.md says how). The output is
committed (about 100 KB), so CI needs neither tool. Run it again after changing a sentence:

    apt-get install ffmpeg espeak-ng      # Debian's, once
    python3 services/learning/scripts/make_sample_video.py

The sentences' translations must also be in each language's transcript (`[video] transcript` of
`content/<lang>/modules/01-going-to-court.toml`): a content test checks that every caption is there."""

# ruff: noqa: RUF001 (the Urdu captions end their sentences with the Arabic full stop, as Urdu does)

import shutil
import subprocess
import sys
import tempfile
import wave
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src" / "learning" / "content" / "media" / "welcome"
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
TITLE = ("Planning Together for Children", "Welcome to your course")

# What the narrator says (in English), and its captions in each language of the course.
SENTENCES = [
    {
        "en": "Welcome to Planning Together for Children.",
        "pl": "Witamy w kursie Planning Together for Children.",
        "ur": "Planning Together for Children میں خوش آمدید۔",
    },
    {
        "en": "This course is about your child, not about who is right.",
        "pl": "Ten kurs dotyczy dziecka, a nie tego, kto ma rację.",
        "ur": "یہ کورس آپ کے بچے کے بارے میں ہے، اس بارے میں نہیں کہ کون صحیح ہے۔",
    },
    {
        "en": "Take it at your own pace. Your co-parent does it separately.",
        "pl": "Kurs można przejść we własnym tempie. Drugi rodzic przechodzi go osobno.",
        "ur": "اسے اپنی رفتار سے کریں۔ آپ کے شریک والدین اسے الگ کرتے ہیں۔",
    },
]
LEAD, GAP, TAIL = 0.8, 0.5, 1.0  # seconds of silence before, between and after the sentences


def run(*command: str) -> None:
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def stamp(seconds: float) -> str:
    ms = round(seconds * 1000)
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"


def speak(work: Path) -> tuple[Path, list[tuple[float, float]], float]:
    """The narration as one WAV file, when each sentence starts and ends, and the total length."""
    clips = []
    for i, sentence in enumerate(SENTENCES):
        clip = work / f"{i}.wav"
        run("espeak-ng", "-v", "en-gb", "-s", "150", "-w", str(clip), sentence["en"])
        clips.append(clip)
    with wave.open(str(clips[0])) as first:
        params = first.getparams()
    rate, frame = params.framerate, params.sampwidth * params.nchannels

    def silence(seconds: float) -> bytes:
        return b"\0" * (round(seconds * rate) * frame)

    audio, cues, at = silence(LEAD), [], LEAD
    for clip in clips:
        with wave.open(str(clip)) as w:
            frames = w.readframes(w.getnframes())
        length = len(frames) / frame / rate
        cues.append((at, at + length))
        audio += frames + silence(GAP)
        at += length + GAP
    audio += silence(TAIL - GAP)
    narration = work / "narration.wav"
    with wave.open(str(narration), "wb") as out:
        out.setparams(params)
        out.writeframes(audio)
    return narration, cues, len(audio) / frame / rate


def film(narration: Path, seconds: float) -> None:
    """The title card for `seconds`, with the narration: as WebM (VP9, Opus) and MP4 (H.264, AAC)."""
    font = f"fontfile={FONT}:" if FONT.exists() else ""
    card = ",".join(
        f"drawtext={font}text='{line}':fontcolor=white:fontsize={size}:x=(w-text_w)/2:y={y}"
        for line, size, y in ((TITLE[0], 30, "(h/2)-40"), (TITLE[1], 24, "(h/2)+16"))
    )
    source = ("-f", "lavfi", "-i", f"color=c=0x1d70b8:s=640x360:r=10:d={seconds:.3f}", "-i", str(narration))
    same = ("-vf", card, "-g", "20", "-map_metadata", "-1", "-fflags", "+bitexact", "-shortest")
    webm = ("-c:v", "libvpx-vp9", "-b:v", "0", "-crf", "45", "-c:a", "libopus", "-b:a", "24k")
    mp4 = ("-c:v", "libx264", "-preset", "veryslow", "-tune", "stillimage", "-crf", "32", "-pix_fmt", "yuv420p")
    mp4 += ("-c:a", "aac", "-b:a", "32k", "-movflags", "+faststart")
    run("ffmpeg", "-y", "-loglevel", "error", *source, *same, *webm, str(OUT / "video.webm"))
    run("ffmpeg", "-y", "-loglevel", "error", *source, *same, *mp4, str(OUT / "video.mp4"))


def captions(cues: list[tuple[float, float]]) -> None:
    for language in ("en", "pl", "ur"):
        lines = ["WEBVTT", ""]
        for n, ((start, end), sentence) in enumerate(zip(cues, SENTENCES, strict=True), 1):
            lines += [str(n), f"{stamp(start)} --> {stamp(end)}", sentence[language], ""]
        (OUT / f"captions.{language}.vtt").write_text("\n".join(lines), "utf-8")


def main() -> None:
    missing = [tool for tool in ("ffmpeg", "espeak-ng") if shutil.which(tool) is None]
    if missing:
        sys.exit(f"needs {' and '.join(missing)}: apt-get install ffmpeg espeak-ng")
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        narration, cues, seconds = speak(Path(tmp))
        film(narration, seconds)
    captions(cues)
    for path in sorted(OUT.iterdir()):
        print(f"{path.stat().st_size:>8} {path.relative_to(OUT.parents[6])}")


if __name__ == "__main__":
    main()
