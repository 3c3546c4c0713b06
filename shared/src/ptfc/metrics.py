"""Prometheus metrics, labelled by service so several services can share one process in tests."""

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Counter("ptfc_http_requests_total", "HTTP requests", ["service", "method", "status"])
HTTP_LATENCY = Histogram("ptfc_http_request_seconds", "HTTP request latency", ["service"])
EVENTS_PUBLISHED = Counter("ptfc_events_published_total", "Events relayed from the outbox", ["service"])
EVENTS_HANDLED = Counter("ptfc_events_handled_total", "Events consumed", ["service", "handler", "outcome"])
# Alert on it: an unreplayed parked message is deleted at `dead_letter_ttl`; these go within a week.
DEAD_LETTERS_EXPIRING = Gauge(
    "ptfc_dead_letters_expiring", "Unreplayed dead letters deleted within 7 days unless replayed", ["service"]
)
# Round trips to the store, by command: the store is the platform's usual bottleneck, so the cost of
# a change shows here first (bench/journey.py prints them per referral).
STORE_COMMANDS = Counter("ptfc_store_commands_total", "Commands sent to the store", ["service", "command"])
# Write requests waiting their turn (PTFC_WRITE_CONCURRENCY): always above zero, the replica gets more
# writes than its share of the store lets it handle at once (add replicas if the store has room).
BROKER_CONNECTED = Gauge(
    "ptfc_broker_connected",
    "1 if the service's last check reached NATS, 0 if not (writes wait in the outbox)",
    ["service"],
)
HTTP_WAITING = Gauge("ptfc_http_waiting", "Write requests waiting their turn", ["service"])
