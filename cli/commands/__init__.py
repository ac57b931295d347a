"""One module per `quarry` subcommand: `register(subparsers)` and `run(args, settings)`."""
