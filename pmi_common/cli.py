"""``pmi``: the platform's command line for developers and operators.

    pmi migrate [SERVICE ...]           apply migrations (all services by default)
    pmi migration SERVICE MESSAGE       write a new migration from the models (autogenerate)
    pmi topology [--definitions]        declare the broker topology, or print it as definitions
    pmi contract                        print the lifecycle and event tables (as in the README)
    pmi import-workers FILE.csv         register a district registry export (re-runnable)
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from . import config
from .contract import SERVICES

DATABASE_OWNERS = (*SERVICES, "gateway")


def _migrate(args) -> None:
    from .migrations import migrations_dir, upgrade

    for service in args.services or DATABASE_OWNERS:
        if migrations_dir(service).is_dir():
            upgrade(service, config.database_url(service))
            print(f"{service}: migrated")


def _migration(args) -> None:
    from alembic import command

    from .migrations import alembic_config

    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{Path(scratch) / 'head.db'}"
        alembic = alembic_config(args.service, url)
        command.upgrade(alembic, "head")
        versions = list((Path(alembic.get_main_option("script_location")) / "versions")
                        .glob("[0-9]*.py"))
        rev_id = f"{len(versions) + 1:04d}"
        command.revision(alembic, message=args.message, autogenerate=True, rev_id=rev_id)


def _topology(args) -> None:
    from .topology import declare_topology, definitions

    if args.definitions:
        json.dump(definitions(), sys.stdout, indent=2)
        print()
        return
    declare_topology(config.amqp_uri())
    print("topology declared")


def _import_workers(args) -> None:
    from services.registration import importer

    report = importer.run(args.file, config.database_url("registration"), args.report)
    if report.total == 0:
        raise SystemExit("the file has no rows")


def _contract(args) -> None:
    import re

    from .contract import events_markdown, lifecycle_markdown

    tables = {"lifecycle": lifecycle_markdown(), "events": events_markdown()}
    if not args.update_readme:
        print("\n\n".join(tables.values()))
        return
    readme = Path("README.md")
    text = readme.read_text()
    for name, table in tables.items():
        text = re.sub(rf"(<!-- {name}:start -->\n).*?(<!-- {name}:end -->)",
                      lambda m, t=table: m.group(1) + t + "\n" + m.group(2), text, flags=re.S)
    readme.write_text(text)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="pmi", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    migrate = commands.add_parser("migrate", help="apply migrations")
    migrate.add_argument("services", nargs="*", metavar="SERVICE",
                         help=f"any of {', '.join(DATABASE_OWNERS)} (default: all)")
    migrate.set_defaults(run=_migrate)
    migration = commands.add_parser("migration", help="write a new migration")
    migration.add_argument("service", choices=DATABASE_OWNERS)
    migration.add_argument("message")
    migration.set_defaults(run=_migration)
    topology = commands.add_parser("topology", help="declare or print the broker topology")
    topology.add_argument("--definitions", action="store_true")
    topology.set_defaults(run=_topology)
    contract = commands.add_parser("contract", help="print the lifecycle and event tables")
    contract.add_argument("--update-readme", action="store_true",
                          help="rewrite the README's generated tables")
    contract.set_defaults(run=_contract)
    imports = commands.add_parser("import-workers", help="import a CSV registry export")
    imports.add_argument("file")
    imports.add_argument("--report", help="where to write rejected rows (CSV)")
    imports.set_defaults(run=_import_workers)
    args = parser.parse_args(argv)
    args.run(args)


if __name__ == "__main__":
    main()
