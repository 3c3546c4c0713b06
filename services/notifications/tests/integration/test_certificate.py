"""The certificate: emailed in the parent's language with the completion letter, and downloaded by
the parent from the hub (`GET /me/certificate.pdf`), their own only, once the course is complete."""

import io

from pypdf import PdfReader

from notifications.app import create_app
from ptfc.events import CourseCompleted
from ptfc.testing.plugin import bearer, running

from .conftest import ALEX, SAMIRA, files_of, referral, soon

R = "r-certificate"


def text(pdf: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def completed(parent) -> CourseCompleted:
    return CourseCompleted(
        referral_id=R,
        participant_id=parent.participant_id,
        cycle=1,
        case_number="MA24P00123",
        elearning_completed_at=soon(-48),
        workshop_attended_at=soon(),
    )


async def test_a_parent_downloads_their_own_certificate_in_their_language(kit):
    app = create_app(kit.settings())
    async with running(app) as client:
        await kit.publish(referral(R))
        alex, samira = bearer("parent", ALEX.participant_id), bearer("parent", SAMIRA.participant_id)
        await kit.until_settled(app)
        before = await client.get("/me/certificate.pdf", headers=alex)
        assert before.status_code == 404 and before.json()["type"].endswith("/not-found")

        await kit.publish(completed(ALEX))
        await kit.publish(completed(SAMIRA))
        [mail] = await kit.mail_to(SAMIRA.email)
        await kit.until_settled(app)
        # Samira reads Urdu: the emailed certificate is in Urdu too (it was English only).
        assert "تکمیل کا سرٹیفکیٹ" in text(files_of(mail)["certificate.pdf"])

        mine = await client.get("/me/certificate.pdf", headers=alex)
        assert mine.status_code == 200 and mine.headers["content-type"] == "application/pdf"
        assert "attachment" in mine.headers["content-disposition"]
        words = text(mine.content)
        assert "Certificate of completion" in words and "Alex Morgan" in words and "Samira" not in words
        polish = text((await client.get("/me/certificate.pdf", params={"lang": "pl"}, headers=alex)).content)
        assert "Zaświadczenie o ukończeniu kursu" in polish and "Alex Morgan" in polish
        # Samira's own is hers, in her language by default, and names nobody else.
        hers = text((await client.get("/me/certificate.pdf", headers=samira)).content)
        assert "تکمیل کا سرٹیفکیٹ" in hers and "Alex" not in hers

        # Staff and other roles get no parent's certificate; an unknown language is refused.
        assert (await client.get("/me/certificate.pdf", headers=bearer("ops", "ops-1"))).status_code == 403
        assert (await client.get("/me/certificate.pdf", params={"lang": "xx"}, headers=alex)).status_code == 422
