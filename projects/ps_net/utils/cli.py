"""Shared command-line plumbing of the tools (converters, analysis tools, the weight fit)."""
import os.path as osp
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
                      out: str, strict: bool, *, converted: int, inputs: int,
                      unit: str = 'file') -> int:
    """Report a converter's problems, then write its output unless nothing converted or
    ``--strict`` forbids it.

    Prints ``problem: <p>`` for each problem (an input left out). Then:

    * nothing converted (``converted == 0``): ``error: nothing converted: ...`` on stderr, nothing
      written, exit code 1;
    * ``strict`` and any problem: nothing written, exit code 1;
    * otherwise ``write()`` is called; a ``FileExistsError`` from it (the output appeared while
      converting) is printed and gives 2; success prints ``<out>: <summary>`` and, when inputs
      were left out, a last line ``dropped <n> of <inputs> <unit>s ...``, and gives 0.

    Args:
        problems (Sequence[str]): One line per input left out.
        summary (str): Counts of what was converted.
        write (Callable): Writes the output.
        out (str): The output, for the messages.
        strict (bool): Write nothing if any input has a problem.
        converted (int): Records in the output (images, entries); 0 writes nothing.
        inputs (int): Inputs read (converted or left out).
        unit (str): What an input is, for the messages. Defaults to ``'file'``.

    Example:
        >>> finish_conversion(['a.json: no items'], '0 images', lambda: None, 'x.json',
        ...                   strict=False, converted=0, inputs=1)
        problem: a.json: no items
        1
        >>> finish_conversion(['a.json: no items'], '3 images', lambda: None, 'x.json',
        ...                   strict=False, converted=3, inputs=4)
        problem: a.json: no items
        x.json: 3 images
        dropped 1 of 4 files (see the problem lines above)
        0
    """
    for problem in problems:
        print(f'problem: {problem}')
    sys.stdout.flush()
    if converted == 0:
        why = (f'all {inputs} {unit}s were rejected (see the problem lines above)'
               if problems and len(problems) >= inputs else summary)
        print(f'error: nothing converted: {why}; {out} not written', file=sys.stderr)
        return 1
    if problems and strict:
        print(f'{summary}; --strict: nothing written', file=sys.stderr)
        return 1
    try:
        write()
    except FileExistsError as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    print(f'{out}: {summary}')
    if problems:
        print(dropped_line(len(problems), inputs, unit))
    return 0


def dropped_line(dropped: int, inputs: int, unit: str = 'file') -> str:
    """The last line of a converter that left inputs out.

    Example:
        >>> dropped_line(2, 9, 'photo')
        'dropped 2 of 9 photos (see the problem lines above)'
    """
    return f'dropped {dropped} of {inputs} {unit}s (see the problem lines above)'


def missing_config_or_checkpoint(args: Any) -> Optional[str]:
    """The argument error of a ``CONFIG CHECKPOINT`` tool whose two files do not both exist,
    else None (a check for :func:`parse_checked`)."""
    if osp.isfile(args.config) and osp.isfile(args.checkpoint):
        return None
    return f'config {args.config!r} and checkpoint {args.checkpoint!r} must be existing files'
