"""Finding a parent by the email address someone types, without keeping the address.

Only notifications keeps contact details. Another service that must recognise a parent by
email (a second referral of the same parent, a parent asking to sign in) keeps this keyed hash:
it reaches nobody, and without the service's `email_lookup_key` it cannot be tested against
guessed addresses."""

import hashlib
import hmac


def email_key(key: str, email: str) -> str:
    normal = email.strip().casefold()
    return hmac.new(key.encode(), normal.encode(), hashlib.sha256).hexdigest()
