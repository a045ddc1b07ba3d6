"""One module per subcommand: `HELP`, `add_arguments(parser)`, `run(args) -> int`.

Module level imports only argparse-level things; heavy imports go inside `run`.
"""
