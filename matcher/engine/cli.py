"""The command line: ``python -m matcher.engine solve PROBLEM.json [-o RESULT.json]``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from .documents import ResultDocument

EXIT_OK = 0
EXIT_BAD_INPUT = 2


class _Parser(argparse.ArgumentParser):
    # argparse prints usage and exits 2 on its own errors; keep the status,
    # but as one line naming the problem like every other input error.
    def error(self, message: str) -> Any:
        sys.stderr.write(f"{self.prog}: {message}\n")
        raise SystemExit(EXIT_BAD_INPUT)


def _candidates(value: str) -> int | Literal["all"]:
    if value == "all":
        return "all"
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f'expected a whole number or "all", got "{value}"'
        ) from None
    if number < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, got {number}")
    return number


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m matcher.engine``."""
    parser = _Parser(prog="python -m matcher.engine", description="Match volunteers and newcomers.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    solve = commands.add_parser("solve", help="solve a matcher.problem/1 file")
    solve.add_argument("problem", help="the problem JSON file")
    solve.add_argument("-o", "--output", help="write the result here instead of standard output")
    solve.add_argument(
        "--candidates",
        type=_candidates,
        metavar="K|all",
        help="list up to K feasible volunteers per newcomer (all: every one)",
    )
    return parser


def _fail(lines: list[str]) -> int:
    sys.stderr.write("".join(f"{line}\n" for line in lines))
    return EXIT_BAD_INPUT


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = build_parser().parse_args(argv)
    path = Path(args.problem)
    try:
        # utf-8-sig: spreadsheet exports often start with a byte-order mark.
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        return _fail([f"{args.problem}: cannot read file: {reason}"])
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        return _fail(
            [
                f"{args.problem}: invalid JSON: {error.msg} (line {error.lineno}, "
                f"column {error.colno})"
            ]
        )
    # Imported only now: the engine pulls in numpy and scipy, which a typo in
    # the command line should not have to wait for.
    from .pipeline import solve
    from .problem import ProblemError

    try:
        result: ResultDocument = solve(document, args.candidates)
    except ProblemError as error:
        return _fail(error.errors)
    output = json.dumps(result, ensure_ascii=False, indent=2) + "\n"
    if args.output:
        try:
            Path(args.output).write_text(output, encoding="utf-8")
        except OSError as error:
            return _fail([f"{args.output}: cannot write file: {error.strerror or error}"])
    else:
        sys.stdout.write(output)
    return EXIT_OK
