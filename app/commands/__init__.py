"""CLI subcommands contributed by feature areas; each module has `register(subparsers)`."""
