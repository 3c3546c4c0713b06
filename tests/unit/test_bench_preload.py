"""The bench's preload (bench/preload.py) writes copies of what the real paths wrote for template
referrals: each copy must get identities of its own, the same everywhere within the copy (so its
references hold and no unique index refuses it), and keep what many referrals share."""

import importlib.util
import re
from pathlib import Path

from bson import ObjectId

spec = importlib.util.spec_from_file_location("preload", Path(__file__).parents[2] / "bench" / "preload.py")
preload = importlib.util.module_from_spec(spec)
spec.loader.exec_module(preload)

REFERRAL = "0b6f7a1e-3c1d-4a43-9a4e-2f1d7b0c9e11"
PARTICIPANT = "66a1f0c2b3d4e5f601234567"
FOUND = {
    ("referrals", "referrals"): [
        {"_id": REFERRAL, "case_number": "BN01P00001", "court_key": "ab" * 32, "participants": [PARTICIPANT]}
    ],
    ("learning", "accounts"): [{"_id": PARTICIPANT, "email_key": "cd" * 32, "referral_id": REFERRAL}],
    ("referrals", "inbox"): [{"_id": f"referrals-on_created:{REFERRAL}"}],
    ("notifications", "deliveries"): [
        {"_id": ObjectId(), "key": f"{REFERRAL}:welcome:{PARTICIPANT}", "to": "tpl-3-0@example.org"}
    ],
    ("referrals", "idempotency"): [{"_id": "fca:tpl-3-referral"}],
}


def test_each_copy_has_identities_of_its_own_and_its_references_hold():
    copies = list(preload.copies(FOUND, 3))
    by_copy = [dict(copies[i : i + len(FOUND)]) for i in range(0, len(copies), len(FOUND))]
    seen_ids: dict[tuple[str, str], set] = {}
    for copy in by_copy:
        referral = copy["referrals", "referrals"][0]
        account = copy["learning", "accounts"][0]
        delivery = copy["notifications", "deliveries"][0]
        assert referral["_id"] != REFERRAL and account["_id"] != PARTICIPANT
        assert referral["participants"] == [account["_id"]] and account["referral_id"] == referral["_id"]
        assert copy["referrals", "inbox"][0]["_id"] == f"referrals-on_created:{referral['_id']}"
        assert delivery["key"] == f"{referral['_id']}:welcome:{account['_id']}"
        assert len(account["_id"]) == len(PARTICIPANT) and account["email_key"] != "cd" * 32
        assert re.fullmatch(r"[A-Z]{2}\d{2}[A-Z]\d{5}", referral["case_number"])
        assert referral["court_key"] == "ab" * 32  # the court's key is shared by its referrals
        assert "tpl-" not in delivery["to"] and "tpl-" not in copy["referrals", "idempotency"][0]["_id"]
        for where, docs in copy.items():
            seen_ids.setdefault(where, set()).update(str(d["_id"]) for d in docs)
    assert all(len(ids) == 3 for ids in seen_ids.values())  # no two copies share an _id
    assert len({c["referrals", "referrals"][0]["case_number"] for c in by_copy}) == 3
