"""A module's film and its captions, as a parent's browser asks for them: in byte ranges, only
for a parent of an enrolment, with captions in every language of the course."""

from learning import content
from learning.app import create_app
from ptfc.testing.plugin import bearer, running

FILM = content.MEDIA / "welcome" / "video.webm"


async def test_a_parent_gets_the_film_in_the_ranges_a_player_asks_for(hub):
    whole = FILM.read_bytes()
    size = len(whole)
    url = "/modules/1/media/video.webm"
    async with running(create_app(hub.settings())) as client:
        await hub.refer("r-media", "pm")
        me = await hub.sign_in(client, "pm")

        full = await client.get(url, headers=me)
        assert full.status_code == 200 and full.content == whole
        assert full.headers["content-type"] == "video/webm" and full.headers["accept-ranges"] == "bytes"
        assert full.headers["content-length"] == str(size)

        # What a <video> asks first: from the start, to read the metadata.
        first = await client.get(url, headers={**me, "Range": "bytes=0-"})
        assert first.status_code == 206 and first.content == whole
        assert first.headers["content-range"] == f"bytes 0-{size - 1}/{size}"
        head = await client.get(url, headers={**me, "Range": "bytes=0-99"})
        assert (head.status_code, head.content, head.headers["content-length"]) == (206, whole[:100], "100")
        assert head.headers["content-range"] == f"bytes 0-99/{size}"

        # A seek: a range in the middle, and one running past the end (cut at the end).
        middle = await client.get(url, headers={**me, "Range": "bytes=1000-1999"})
        assert middle.status_code == 206 and middle.content == whole[1000:2000]
        assert middle.headers["content-range"] == f"bytes 1000-1999/{size}"
        tail = await client.get(url, headers={**me, "Range": f"bytes={size - 10}-{size + 500}"})
        assert tail.content == whole[-10:] and tail.headers["content-range"] == f"bytes {size - 10}-{size - 1}/{size}"

        # The last n bytes (an MP4's index may be at the end), and more than the file has: all of it.
        suffix = await client.get(url, headers={**me, "Range": "bytes=-500"})
        assert suffix.status_code == 206 and suffix.content == whole[-500:]
        assert suffix.headers["content-range"] == f"bytes {size - 500}-{size - 1}/{size}"
        everything = await client.get(url, headers={**me, "Range": f"bytes=-{size * 2}"})
        assert everything.status_code == 206 and everything.content == whole

        # Past the end: 416 with the size, as a problem.
        for unsatisfiable in (f"bytes={size}-", f"bytes={size + 5}-{size + 9}", "bytes=-0", f"bytes={'9' * 5000}-"):
            refused = await client.get(url, headers={**me, "Range": unsatisfiable})
            assert refused.status_code == 416, unsatisfiable
            assert refused.headers["content-range"] == f"bytes */{size}"
            assert refused.headers["content-type"] == "application/problem+json"
            assert refused.json()["type"].endswith("/range-not-satisfiable")

        # A Range the server may ignore (not bytes, not well formed, backwards, several): the whole file.
        arabic_digits = "bytes=\u0661-\u0662".encode()
        for ignored in ("items=0-10", "bytes=abc", "bytes=20-10", "bytes=0-1,5-9", "bytes=-", arabic_digits):
            answer = await client.get(url, headers={**me, "Range": ignored})
            assert (answer.status_code, len(answer.content)) == (200, size), ignored

        # If-Range: a part of the same file, or the whole of a changed one.
        same = await client.get(url, headers={**me, "Range": "bytes=0-9", "If-Range": full.headers["etag"]})
        assert same.status_code == 206 and same.content == whole[:10]
        changed = await client.get(url, headers={**me, "Range": "bytes=0-9", "If-Range": '"another-version"'})
        assert changed.status_code == 200 and changed.content == whole

        mp4 = await client.get("/modules/1/media/video.mp4", headers={**me, "Range": "bytes=0-7"})
        assert mp4.status_code == 206 and mp4.headers["content-type"] == "video/mp4" and mp4.content[4:8] == b"ftyp"


async def test_captions_in_each_language_and_the_transcript_in_the_module(hub):
    async with running(create_app(hub.settings())) as client:
        await hub.refer("r-captions", "pc")
        me = await hub.sign_in(client, "pc")
        for lang, words in (("en", "Welcome to"), ("pl", "Witamy w kursie"), ("ur", "میں خوش آمدید")):
            module = (await client.get("/modules/1", params={"lang": lang})).json()
            video = module["video"]
            assert [s["type"] for s in video["sources"]] == ["video/webm", "video/mp4"]
            assert {c["language"]: c["file"] for c in video["captions"]} == {
                "en": "captions.en.vtt",
                "pl": "captions.pl.vtt",
                "ur": "captions.ur.vtt",
            }
            assert words in video["transcript"]
            track = await client.get(f"/modules/1/media/captions.{lang}.vtt", headers=me)
            assert track.status_code == 200 and track.headers["content-type"] == "text/vtt; charset=utf-8"
            assert track.text.startswith("WEBVTT") and words in track.text and "-->" in track.text
        assert (await client.get("/modules/2")).json()["video"] is None  # a module without a film


async def test_only_a_parent_of_an_enrolment_reaches_the_media(hub):
    async with running(create_app(hub.settings())) as client:
        url = "/modules/1/media/video.webm"
        anyone = await client.get(url)
        assert anyone.status_code == 401 and anyone.json()["type"].endswith("/unauthenticated")
        for staff in (bearer("cafcass", "fca-1"), bearer("provider", "staff-1", provider="action-for-children")):
            assert (await client.get(url, headers=staff)).status_code == 403
        stranger = await client.get(url, headers=bearer("parent", "nobody-enrolled"))
        assert stranger.status_code == 404 and stranger.json()["type"].endswith("/no-course")

        await hub.refer("r-media-2", "pn")
        me = await hub.sign_in(client, "pn")
        for unknown in ("/modules/2/media/video.webm", "/modules/1/media/secret.txt", "/modules/1/media/content.py"):
            answer = await client.get(unknown, headers=me)
            assert answer.status_code == 404 and answer.json()["type"].endswith("/not-found"), unknown
        for bad in ("/modules/1/media/..%2F..%2Fcontent.py", "/modules/1/media/.hidden", "/modules/9/media/video.webm"):
            assert (await client.get(bad, headers=me)).status_code in (404, 422), bad
