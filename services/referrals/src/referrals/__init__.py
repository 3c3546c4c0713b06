"""PTfC referrals service."""
