"""`ptfc`: run the platform on one machine, mint development tokens, declare streams.

ptfc up                      NATS, MongoDB, a mailbox, the five services, the hub and the staff console, until Ctrl-C
ptfc serve SERVICE           one service under uvicorn (what a container runs)
ptfc token --role R --sub S  a bearer token signed with the local development key
ptfc streams                 declare every stream (deploy tooling, as `streams-admin`)
ptfc nats-config             the NATS server's authorization block (ptfc.buspermissions)
"""

import argparse
import asyncio
import importlib
import os
import sys
from pathlib import Path

from ptfc import buspermissions
from ptfc.auth import ROLES, issue_token
from ptfc.events import STREAMS
from ptfc.programme import SERVICES
from ptfc.settings import DEV_JWT_PRIVATE_KEY, ServiceSettings


def up(args: argparse.Namespace) -> int:
    from ptfc.dev.up import up  # only on a developer's machine: a container never loads ptfc.dev

    return up(args)


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from ptfc import serving
    from ptfc.logs import configure

    configure(args.service)
    module = importlib.import_module(f"{args.service}.app")
    app = module.create_app()
    uvicorn.Server(serving.config(app, args.host, args.port, timeout_graceful_shutdown=10)).run()
    return 0


def token(args: argparse.Namespace) -> int:
    # Always the public development key, never the environment's: a production secret must not
    # become a way to mint tokens from a shell, and a development token is refused where it is set.
    print(issue_token(DEV_JWT_PRIVATE_KEY, args.role, args.sub, args.provider, args.court))
    return 0


def streams(args: argparse.Namespace) -> int:
    from ptfc.streams import ensure_streams

    # As `streams-admin` unless PTFC_NATS_USER says otherwise; PTFC_NATS_PASSWORD is its password.
    settings = ServiceSettings(nats_user=os.environ.get("PTFC_NATS_USER", buspermissions.ADMIN))
    asyncio.run(ensure_streams(settings, list(STREAMS)))
    print("declared:", ", ".join(name for name, _ in STREAMS.values()))
    return 0


def nats_config(args: argparse.Namespace) -> int:
    if args.env_passwords and not args.partners:
        # Deploy: the demo partner would replace the real ones.
        print("ptfc nats-config: --env-passwords needs --partners FILE (deploy/nats/partners.json)", file=sys.stderr)
        return 2
    partners = buspermissions.load_partners(Path(args.partners)) if args.partners else buspermissions.DEFAULT_PARTNERS
    if args.previous and Path(args.previous).exists():
        dropped = buspermissions.removed_partners(Path(args.previous).read_text(), partners, set(args.remove))
        if dropped:
            print(
                f"ptfc nats-config: {', '.join(sorted(dropped))} would lose their bus user; add them to the "
                "partners file, or say --remove NAME to remove a partner on purpose",
                file=sys.stderr,
            )
            return 2
    if args.env_passwords:
        passwords = buspermissions.env_passwords(partners)
    else:
        passwords = buspermissions.local_credentials(Path(args.var) / "nats-auth", partners)
    consumers = {s: buspermissions.durables(s) for s in buspermissions.SERVICES}
    print(buspermissions.render(passwords, consumers, partners), end="")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ptfc", description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("up", help="run the whole platform locally")
    p.add_argument("--var", default="var", help="where data, logs and mail are kept")
    p.add_argument("--nats-port", type=int, default=4222)
    p.add_argument("--mongodb-port", type=int, default=27017)
    p.add_argument("--mail-port", type=int, default=1025)
    p.add_argument(
        "--base-port",
        type=int,
        default=8000,
        help="the Parent Hub's port; the services, the console and the identity provider follow it",
    )
    p.set_defaults(run=up)
    p = commands.add_parser("serve", help="run one service")
    p.add_argument("service", choices=[*SERVICES, "hub", "console"])
    p.add_argument("--host", default="0.0.0.0")  # noqa: S104 - a container's service listens on all interfaces
    p.add_argument("--port", type=int, default=8000)
    p.set_defaults(run=serve)
    p = commands.add_parser("token", help="mint a bearer token signed with the development key")
    p.add_argument("--role", required=True, choices=ROLES)
    p.add_argument("--sub", required=True)
    p.add_argument("--provider")
    p.add_argument("--court")
    p.set_defaults(run=token)
    p = commands.add_parser("streams", help="declare every JetStream stream")
    p.set_defaults(run=streams)
    p = commands.add_parser("nats-config", help="print the NATS server's authorization block")
    p.add_argument("--env-passwords", action="store_true", help="$NATS_PASSWORD_<USER> instead of local ones")
    p.add_argument("--partners", help="the partners file (deploy/nats/partners.json); without it, the demo partner")
    p.add_argument("--previous", help="the auth.conf in use: refuse to drop a partner it has")
    p.add_argument("--remove", action="append", default=[], help="a partner to drop on purpose (repeat)")
    p.add_argument("--var", default="var", help="where local credentials are kept")
    p.set_defaults(run=nats_config)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
