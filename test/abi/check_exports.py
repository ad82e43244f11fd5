#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Checks that a shared object exports exactly the functions declared FDX_API in the public headers,
# and (third argument) that every global symbol a static archive defines starts with "fdx": a
# program that links libflowdx.a statically must not meet the library's internal names.
import re
import subprocess
import sys
from pathlib import Path

lib, include_dir = sys.argv[1], Path(sys.argv[2])
declared = set()
for header in sorted(include_dir.glob("*.h")):
    text = header.read_text()
    # "FDX_API <type> name(" possibly across lines; the #define of FDX_API itself is skipped.
    for m in re.finditer(r"^FDX_API\s+[^;(]*?\b([a-z_][a-z0-9_]*)\s*\(", text, re.M):
        declared.add(m.group(1))

out = subprocess.run(["nm", "-D", "--defined-only", lib], check=True, capture_output=True,
                     text=True).stdout
exported = set()
for line in out.splitlines():
    parts = line.split()
    if len(parts) == 3 and parts[1] in "TDBRVWi" and parts[1] != "A":
        exported.add(parts[2].split("@")[0])

missing = sorted(declared - exported)
extra = sorted(exported - declared)
print(f"{len(declared)} declared, {len(exported)} exported")
for name in missing:
    print(f"declared but not exported: {name}")
for name in extra:
    print(f"exported but not declared: {name}")
if not declared:
    print("no FDX_API declarations found: the header parser is broken")
foreign = []
if len(sys.argv) > 3:
    out = subprocess.run(["nm", "-g", "--defined-only", sys.argv[3]], check=True, capture_output=True,
                         text=True).stdout
    names = [p[2] for p in (line.split() for line in out.splitlines()) if len(p) == 3]
    # "__" names are the implementation's (ASan's __odr_asan.* globals, for one)
    foreign = sorted({n for n in names if not n.startswith(("fdx", "__"))})
    print(f"{len(names)} global symbols in the static archive")
    for name in foreign:
        print(f"static archive defines a global symbol without the fdx prefix: {name}")
sys.exit(1 if missing or extra or not declared or foreign else 0)
