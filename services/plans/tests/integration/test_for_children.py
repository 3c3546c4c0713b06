"""The children's version of what was agreed: the children by name, a week per child of which home
each night, pocket money, pets; in the reader's language, as a page and as an A4 PDF; only agreed
topics, never the adults' `communication`."""

import io

from pypdf import PdfReader

from .conftest import WEEK


async def test_the_childrens_version_names_the_children_and_shows_each_night_in_the_pdf_too(kit):
    topics = ["living", "money", "pets", "communication", "holidays"]
    plan_id, owner, other = await kit.shared_by_email("Tata", "pl", topics=topics)
    agreed = {
        "living": {"text": "Swap at school.", "weekly_pattern": [{"child": "Sam", "nights": WEEK}]},
        "money": {"pocket_money": [{"child": "Jo", "pence_per_week": 750, "paid_by": "invitee"}]},
        "pets": {"pets": [{"name": "Rex", "kind": "dog", "kept_by": "owner"}]},
        "communication": {"text": "We text only about the children."},
    }
    for topic, body in agreed.items():
        await kit.ok("POST", f"/plans/{plan_id}/topics/{topic}/proposals", owner, json=body)
        await kit.ok("POST", f"/plans/{plan_id}/topics/{topic}/acceptance", other, json={"version": 1})
    await kit.ok("POST", f"/plans/{plan_id}/topics/holidays/proposals", owner, json={"text": "Spain in July."})

    view = await kit.ok("GET", f"/plans/{plan_id}/for-children?age=9&lang=en", owner)
    assert view["title"] == "Our plan for Sam and Jo" and view["children"] == ["Sam", "Jo"]
    [week] = view["weeks"]
    nights = [(n["day_name"], n["home"]) for n in week["nights"]]
    assert week["heading"] == "Sam: where you sleep each night"
    assert nights == [("Monday", "Mum"), ("Tuesday", "Mum"), ("Wednesday", "Tata"), ("Thursday", "Tata"),
                      ("Friday", "Mum"), ("Saturday", "Tata"), ("Sunday", "Tata")]  # fmt: skip
    details = [d for s in view["sections"] for d in s["details"]]
    assert "Jo: £7.50 a week, from Tata" in details and "Rex the dog lives with Mum" in details
    assert [s["topic"] for s in view["sections"]] == ["living", "money", "pets"]  # agreed, never communication
    assert "text only" not in str(view) and "Spain" not in str(view)

    polish = await kit.ok("GET", f"/plans/{plan_id}/for-children?age=9", other)
    assert polish["title"] == "Nasz plan dla: Sam i Jo" and polish["weeks"][0]["nights"][2]["day_name"] == "środa"

    page = await kit.client.get(f"/plans/{plan_id}/for-children?age=9", headers={**owner, "Accept": "text/html"})
    assert "<table>" in page.text and page.text.count('class="home home--invitee">Tata<') == 4

    pdf = await kit.client.get(f"/plans/{plan_id}/for-children.pdf?age=9&lang=en", headers=owner)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(pdf.content))
    assert reader.pages[0].mediabox.width == 595.28 or round(float(reader.pages[0].mediabox.width)) == 595  # A4
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "Our plan for Sam and Jo" in text and "Sam: where you sleep each night" in text
    for day in ("Monday", "Wednesday", "Sunday"):
        assert day in text
    assert text.count("Tata") >= 4 and text.count("Mum") >= 3 and "Rex the dog lives with Mum" in text
    assert "text only" not in text and "Spain" not in text
