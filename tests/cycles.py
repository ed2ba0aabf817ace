#!/usr/bin/env python3
"""Finds include circles between modules (make lint's "cycles" check).

A module is a source file's path without its extension: builder/engine/build.c
and build.h are the module builder/engine/build. An internal header
<module>_internal.h belongs to <module> (it is how the files of one module
share what they do not export), and so does a .c file without a header of
its own that includes it: step_internal.h, step_copy.c and step_run.c are
all the module step.

Module A depends on module B when a file of A has `#include "B.h"` (includes
are written from the top of the tree, as the Makefile's -I. wants). The
graph must have no circle: every strongly connected component (Tarjan) of
more than one module is printed as one line: its modules, then one circle
through them with the include (file:line) behind each arrow. Nothing printed: no circle.

Usage: cycles.py FILE...   (the .c and .h files to read)
Exit status 1 when a circle is found, 2 on a bad argument.
"""
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def module_of(path):
    stem = os.path.splitext(os.path.normpath(path))[0]
    if stem.endswith("_internal"):
        stem = stem[: -len("_internal")]
    return stem


def read_includes(path):
    """[(line number, included path)] of the file's #include "..." lines"""
    out = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for lineno, line in enumerate(f, 1):
            m = INCLUDE.match(line)
            if m:
                out.append((lineno, os.path.normpath(m.group(1))))
    return out


def owner(path, includes, files):
    """The module of path: a lone .c that includes an internal header is that module's."""
    if path.endswith(".c") and os.path.splitext(path)[0] + ".h" not in files:
        for _, inc in includes:
            if inc.endswith("_internal.h"):
                return module_of(inc)
    return module_of(path)


def read_graph(paths):
    """module -> {included module: "file:line" of the first such include}"""
    files = {os.path.normpath(p) for p in paths}
    graph = {}
    for path in sorted(files):
        includes = read_includes(path)
        mod = owner(path, includes, files)
        edges = graph.setdefault(mod, {})
        for lineno, inc in includes:
            dep = module_of(inc)
            if dep != mod:
                edges.setdefault(dep, "%s:%d" % (path, lineno))
    return graph


def components(graph):
    """Tarjan's strongly connected components, without recursion."""
    index, low, onstack, stack, out = {}, {}, set(), [], []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, {}))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        onstack.add(root)
        while work:
            node, it = work[-1]
            nxt = next(it, None)
            if nxt is not None:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    onstack.add(nxt)
                    work.append((nxt, iter(sorted(graph.get(nxt, {})))))
                elif nxt in onstack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    w = stack.pop()
                    onstack.discard(w)
                    comp.append(w)
                    if w == node:
                        break
                out.append(sorted(comp))
    return out


def circle(graph, comp):
    """One shortest circle through comp's first module: [(module, "file:line" of its include)]"""
    start, members = comp[0], set(comp)
    prev = {start: None}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for dep in sorted(graph.get(node, {})):
            if dep not in members:
                continue
            if dep == start:
                path = [(start, graph[node][start])]
                while node != start:
                    path.append((node, graph[prev[node]][node]))
                    node = prev[node]
                return path[::-1]
            if dep not in prev:
                prev[dep] = node
                queue.append(dep)
    return []


def main(argv):
    if not argv:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    graph = read_graph(argv)
    found = 0
    for comp in components(graph):
        if len(comp) < 2:
            continue
        found += 1
        steps = " -> ".join("%s (%s)" % (mod, where) for mod, where in circle(graph, comp))
        print("include circle among %s: %s -> %s" % (" ".join(comp), comp[0], steps))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
