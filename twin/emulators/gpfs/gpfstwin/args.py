"""Argument parsing shaped like the mm commands (getopt-style flags, positional devices)."""

from .errors import UsageError


def parse(argv: list[str], with_value: set[str], flags: set[str], usage: str,
          command: str) -> tuple[dict, list[str]]:
    """Split argv into {option: value-or-True} and positionals; unknown options are usage errors.

    Options given twice keep the last value, like getopt in the mm shell scripts.
    """
    opts: dict = {}
    pos: list[str] = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a.startswith("--") and "=" in a:
            key, val = a.split("=", 1)
            if key not in with_value:
                raise UsageError(f"{command}: Incorrect option: {key}", usage)
            opts[key] = val
        elif a in with_value:
            if i + 1 >= len(argv):
                raise UsageError(f"{command}: Missing argument after the {a} flag.", usage)
            opts[a] = argv[i + 1]
            i += 1
        elif a in flags:
            opts[a] = True
        elif a.startswith("-") and len(a) > 1 and not a[1:].isdigit():
            raise UsageError(f"{command}: Incorrect option: {a}", usage)
        else:
            pos.append(a)
        i += 1
    return opts, pos


def split_list(value: str) -> list[str]:
    """'a,b c' -> ['a', 'b', 'c']: node and disk lists accept commas (and blanks, ';')."""
    out = []
    for part in value.replace(";", ",").replace(" ", ",").split(","):
        if part.strip():
            out.append(part.strip())
    return out
