#!/usr/bin/env python3
"""Checks every #include "..." of the source folders against the Layering table of
docs/DESIGN.md (folder -> folders it may include).

  check_layering.py [--root DIR]    check the tree at DIR (default: this repository)
  check_layering.py --self-test     first prove on a scratch tree that a forbidden
                                    include, a folder with no row and an include not
                                    spelled from the root are caught, then check the tree

Exit status 0 when every include is allowed, 1 otherwise (each problem on one line,
file:line first). The build enforces the same table through per-target include trees
(dnsd_folder_includes in the root CMakeLists.txt); this check is stricter: a folder's
row, not its closure.
"""
import argparse
import os
import re
import shutil
import sys
import tempfile

EVERYTHING = "*"
SOURCE_TOPS = ("registry", "zones", "dnsd")  # tests/ and bench/ see everything
SOURCE_SUFFIXES = (".h", ".cc")
INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"')
ROW = re.compile(r"^\|\s*`([^`]+)`\s*\|(.*)\|\s*$")


def parse_table(design_text):
    """The Layering section's rows: {folder: set of folders, or EVERYTHING}."""
    table = {}
    in_section = False
    for line in design_text.splitlines():
        if line.startswith("## "):
            in_section = line.strip() == "## Layering"
            continue
        m = ROW.match(line) if in_section else None
        if not m:
            continue
        folder, allowed = m.group(1), m.group(2)
        if "everything" in allowed:
            table[folder] = EVERYTHING
        else:
            table[folder] = set(re.findall(r"`([^`]+)`", allowed))
    return table


def source_files(root):
    for top in SOURCE_TOPS:
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, top)):
            dirnames.sort()
            for name in sorted(filenames):
                if name.endswith(SOURCE_SUFFIXES):
                    path = os.path.join(dirpath, name)
                    yield os.path.relpath(path, root).replace(os.sep, "/")


def check(root):
    """Returns the problems found in the tree at root, one string each."""
    with open(os.path.join(root, "docs", "DESIGN.md"), encoding="utf-8") as f:
        table = parse_table(f.read())
    if not table:
        return ["docs/DESIGN.md: no Layering table (## Layering, | `folder` | ... |)"]
    for folder, allowed in table.items():
        if allowed is not EVERYTHING:
            for a in sorted(allowed - set(table)):
                return [f"docs/DESIGN.md: row {folder} names {a}, which has no row"]
    problems = []
    unplaced = set()
    for path in source_files(root):
        folder = os.path.dirname(path)
        if folder not in table:
            if folder not in unplaced:
                problems.append(f"{path}: folder {folder} has no row in docs/DESIGN.md's "
                                "Layering table")
                unplaced.add(folder)
            continue
        allowed = table[folder]
        with open(os.path.join(root, path), encoding="utf-8", errors="replace") as f:
            for number, line in enumerate(f, 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                included = m.group(1)
                target = os.path.dirname(included)
                where = f"{path}:{number}: #include \"{included}\""
                if target not in table or ".." in included.split("/"):
                    problems.append(f"{where} is not spelled from the repository root "
                                    "(or names a folder with no row)")
                elif target != folder and allowed is not EVERYTHING and target not in allowed:
                    problems.append(f"{where}: {folder} may not include {target} "
                                    "(docs/DESIGN.md, Layering)")
    return problems


def self_test(repo):
    """A scratch copy of the table with a forbidden include, an allowed one, a folder
    with no row and an include not spelled from the root: exactly three problems."""
    scratch = tempfile.mkdtemp(prefix="check_layering.")
    try:
        os.makedirs(os.path.join(scratch, "docs"))
        shutil.copy(os.path.join(repo, "docs", "DESIGN.md"), os.path.join(scratch, "docs"))
        files = {
            "dnsd/http/http_server.h": '#include "dnsd/http/router.h"\n'
                                       '#include "registry/registry.h"\n'
                                       '#include "dnsd/config/config.h"\n',
            "dnsd/http/router.h": "#include <string>\n",
            "dnsd/net/worker.cc": '#include "dnsd/dns/answer.h"\n// #include "dnsd/http/x.h"\n',
            "dnsd/server.cc": '#include "dnsd/http/http_server.h"\n#include "zones/zone.h"\n',
            "dnsd/unplaced/thing.cc": '#include "registry/registry.h"\n',
            "zones/zone.cc": '#include "zone.h"\n',
            "registry/registry.h": "",
        }
        for path, text in files.items():
            os.makedirs(os.path.join(scratch, os.path.dirname(path)), exist_ok=True)
            with open(os.path.join(scratch, path), "w", encoding="utf-8") as f:
                f.write(text)
        problems = check(scratch)
        expected = [
            "dnsd/http/http_server.h:3: #include \"dnsd/config/config.h\": dnsd/http may "
            "not include dnsd/config",
            "dnsd/unplaced/thing.cc: folder dnsd/unplaced has no row",
            "zones/zone.cc:1: #include \"zone.h\" is not spelled from the repository root",
        ]
        missing = [e for e in expected if not any(p.startswith(e) for p in problems)]
        if missing or len(problems) != len(expected):
            print("self-test failed: expected", *expected, "got", *problems, sep="\n  ")
            return False
        print(f"self-test: {len(expected)} planted problems caught, nothing else")
        return True
    finally:
        shutil.rmtree(scratch)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=os.path.normpath(os.path.join(here, "..", "..")))
    parser.add_argument("--self-test", action="store_true")
    args = parser.parse_args()
    if args.self_test and not self_test(args.root):
        return 1
    problems = check(args.root)
    for p in problems:
        print(p)
    if problems:
        print(f"{len(problems)} include(s) against docs/DESIGN.md's Layering table")
        return 1
    print("every #include follows docs/DESIGN.md's Layering table")
    return 0


if __name__ == "__main__":
    sys.exit(main())
