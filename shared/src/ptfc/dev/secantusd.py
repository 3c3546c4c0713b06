"""`secantusd-py`, with the TTL sweep interval of its `--config` file honoured.

Why: SecantusDB's TTL sweeper (`Storage.prune_ttl`, every 60 s) takes the store's global lock and
reads and decodes every document of every TTL-indexed collection, expired or not; with a few
tens of thousands of inbox and outbox rows it holds every write for seconds (issue 30: the store
froze 5.5-7.4 s about two minutes after start). `secantusd.toml` has `[storage] ttl_sweep_seconds`,
but secantusdb 0.7.0b3's `cli.main` parses it and never passes it to `SecantusDBServer`, so the
file alone changes nothing. This runs the daemon's own CLI with that one value passed through.
Expiry on the embedded store is then `ptfc.dev.expiry`'s indexed sweep (`ptfc up`)."""

import sys
from functools import partial

from secantus import cli
from secantus.config import load_config
from secantus.server import SecantusDBServer


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    config, _ = load_config(cli.build_parser().parse_args(argv).config)
    cli.SecantusDBServer = partial(SecantusDBServer, ttl_sweep_seconds=config.ttl_sweep_seconds)  # type: ignore[misc]
    return cli.main(argv)


if __name__ == "__main__":
    sys.exit(main())
