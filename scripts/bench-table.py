#!/usr/bin/env python3
"""Writes the figures of one `make bench` run (its output on stdin) into README.md between the
`<!-- bench:start -->` and `<!-- bench:end -->` markers, one table row per printed figure, so the
README's latest figures are exactly what the bench printed. Usage: bench | scripts/bench-table.py"""
import re
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"


def table(lines):
    head, section, rows = "", "", []
    for raw in lines:
        line = re.sub(r"\s{2,}", " ", raw.strip())
        if not line:
            continue
        if line.startswith("# "):
            head = line[2:]
        elif line.startswith("## "):
            section = line[3:]
        else:
            rows.append((section, line.replace("|", "/")))
    out = [START, f"Written by `make bench`: {head or 'no header printed'}.", "",
           "| measured | figure |", "|---|---|"]
    out += [f"| {s} | {f} |" for s, f in rows]
    out.append(END)
    return "\n".join(out)


def main():
    text = README.read_text()
    if START not in text or END not in text:
        sys.exit(f"{README}: the markers {START} and {END} are missing")
    before, rest = text.split(START, 1)
    _, after = rest.split(END, 1)
    README.write_text(before + table(sys.stdin.read().splitlines()) + after)


if __name__ == "__main__":
    main()
