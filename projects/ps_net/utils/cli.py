"""Shared command-line plumbing of the converters in ``tools/dataset_converters``."""
import sys
from typing import Any, Callable, Optional, Sequence, Tuple


def parse_checked(parse_args: Callable[[Optional[Sequence[str]]], Any],
                  argument_error: Callable[[Any], Optional[str]],
                  argv: Optional[Sequence[str]] = None) -> Tuple[Any, Optional[int]]:
    """Parse ``argv`` and check the arguments before any work.

    Returns ``(args, None)`` when the arguments are fine, else ``(None, code)`` with the exit
    code to return: argparse's own (0 for ``--help``, 2 for a usage error) or 2 after printing
    ``error: <problem>`` (the problem names the flag and the value) to stderr.

    Example:
        >>> import argparse
        >>> def parse(argv):
        ...     p = argparse.ArgumentParser(); p.add_argument('--n', type=int); return p.parse_args(argv)
        >>> parse_checked(parse, lambda a: None if a.n > 0 else f'--n {a.n} must be > 0', ['--n', '0'])
        (None, 2)
    """
    try:
        args = parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        return None, exc.code if isinstance(exc.code, int) else 2
    error = argument_error(args)
    if error:
        print(f'error: {error}', file=sys.stderr)
        return None, 2
    return args, None


def finish_conversion(problems: Sequence[str], summary: str, write: Callable[[], Any],
                      out: str, strict: bool) -> int:
    """Report a converter's problems, then write its output unless ``--strict`` forbids it.

    Prints ``problem: <p>`` for each problem. With ``strict`` and any problem nothing is written
    (exit code 1). Otherwise ``write()`` is called; a ``FileExistsError`` from it (the output
    appeared while converting) is printed and gives 2; success prints ``<out>: <summary>``
    and gives 0.

    Example:
        >>> finish_conversion(['a.json: no items'], '0 images', lambda: None, 'x.json', strict=True)
        problem: a.json: no items
        1
        >>> finish_conversion([], '3 images', lambda: None, 'x.json', strict=True)
        x.json: 3 images
        0
    """
    for problem in problems:
        print(f'problem: {problem}')
    if problems and strict:
        print(f'{summary}; --strict: nothing written', file=sys.stderr)
        return 1
    try:
        write()
    except FileExistsError as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    print(f'{out}: {summary}')
    return 0
