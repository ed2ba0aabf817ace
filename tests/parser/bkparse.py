#!/usr/bin/env python3
"""A second, independent model of BuildKit's Dockerfile parser, for test data.

Usage: bkparse.py FILE...   prints, for each FILE, BuildKit's dump of it (the
format of frontend/dockerfile/parser's Node.Dump, one "(...)" line per
instruction), or "error: MESSAGE" and exit status 2 when BuildKit's parser
refuses it.

strata's parser is C; this model is Python, written from BuildKit's rules
(frontend/dockerfile/parser/parser.go, split_command.go, line_parsers.go,
directives.go and shell/lex.go for the heredoc scan), not from strata's code.
The expected dumps of tests/parser/corpus were produced with it, and every
place where it and `strata parse` disagreed was settled by reading BuildKit's
source (see tests/parser/corpus/README.md). It models the parser only: unlike
`strata parse`, it accepts unknown instructions (BuildKit's parser ignores
their arguments and only its later stage refuses them) and makes none of the
argument-count checks of BuildKit's instructions package.
"""

import json
import re
import sys
import unicodedata

MAX_LINE = 65535  # bufio.MaxScanTokenSize - 1: the longest line before its "\n"

# Go's unicode.IsSpace
SPACES = {0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F,
          0x205F, 0x3000} | set(range(0x2000, 0x200B))

# Go regexp's \s is [\t\n\f\r ]; Python's \s would also take \v
GO_S = rb"[\t\n\f\r ]"
RE_DIRECTIVE = re.compile(rb"#" + GO_S + rb"*([a-zA-Z][a-zA-Z0-9]*)" + GO_S + rb"*=" + GO_S +
                          rb"*(.+?)" + GO_S + rb"*\Z")
RE_WS = re.compile(rb"[\t\v\f\r ]+")  # reWhitespace / tokenWhitespace
RE_HEREDOC = re.compile(rb"([0-9]*)<<(-?)" + GO_S + rb"*([^<]*)\Z", re.S)


class ParseError(Exception):
    pass


def decode_rune(b, i):
    """utf8.DecodeRune: (rune, width); an invalid byte is (0xFFFD, 1)."""
    c = b[i]
    if c < 0x80:
        return c, 1
    for n, lo, mask in ((2, 0xC2, 0x1F), (3, 0xE0, 0x0F), (4, 0xF0, 0x07)):
        if (n == 2 and 0xC2 <= c <= 0xDF) or (n == 3 and 0xE0 <= c <= 0xEF) or \
           (n == 4 and 0xF0 <= c <= 0xF4):
            if i + n > len(b):
                return 0xFFFD, 1
            r = c & mask
            for k in range(1, n):
                if b[i + k] & 0xC0 != 0x80:
                    return 0xFFFD, 1
                r = (r << 6) | (b[i + k] & 0x3F)
            if r < (0x80, 0x800, 0x10000)[n - 2] or 0xD800 <= r <= 0xDFFF or r > 0x10FFFF:
                return 0xFFFD, 1
            return r, n
    return 0xFFFD, 1


def runes(b):
    i = 0
    while i < len(b):
        r, w = decode_rune(b, i)
        yield i, r, w
        i += w


def enc(r):
    return chr(r).encode("utf-8", "surrogatepass")


def trim_left_space(b):
    for i, r, w in runes(b):
        if r not in SPACES:
            return b[i:]
    return b""


def trim_space(b):
    b = trim_left_space(b)
    end = 0
    for i, r, w in runes(b):
        if r not in SPACES:
            end = i + w
    return b[:end]


def trim_newline(b):
    return b.rstrip(b"\r\n")


def is_comment(b):
    b = trim_left_space(b)
    return len(b) > 0 and b[0:1] == b"#"


class Directives:
    def __init__(self):
        self.escape = b"\\"
        self.done = False
        self.seen = set()
        self.set_escape(b"\\")

    def set_escape(self, s):
        if s not in (b"`", b"\\"):
            raise ParseError("invalid escape token '%s' does not match ` or \\" %
                             s.decode("utf-8", "replace"))
        self.escape = s
        e = re.escape(s)
        self.cont = re.compile(rb"([^" + e + rb"])" + e + rb"[ \t]*\Z|\A" + e + rb"[ \t]*\Z")

    def parse_line(self, line):
        if self.done:
            return
        m = RE_DIRECTIVE.match(line)
        if not m:
            self.done = True
            return
        k = m.group(1).lower()
        if k not in (b"escape", b"syntax", b"check"):
            self.done = True
            return
        if k in self.seen:
            raise ParseError("only one %s parser directive can be used" % k.decode())
        self.seen.add(k)
        if k == b"escape":
            self.set_escape(m.group(2))

    def trim_continuation(self, line):
        m = self.cont.search(line)
        if not m:
            return line, True
        return line[:m.start()] + (m.group(1) or b""), False


def scan_lines(data):
    """bufio.Scanner with scanLines: lines keep their "\n"; too long a line is an error."""
    out, i = [], 0
    while i < len(data):
        j = data.find(b"\n", i)
        end = len(data) if j < 0 else j
        if end - i > MAX_LINE:
            out.append(None)  # the scanner stops here with ErrTooLong
            return out
        out.append(data[i:len(data) if j < 0 else j + 1])
        i = len(data) if j < 0 else j + 1
    return out


# ---- split_command.go ----

def go_byte_rune(c):
    """Go's rune(line[pos]) written back with WriteRune: bytes >= 0x80 become U+0080..U+00FF."""
    return bytes([c]) if c < 0x80 else enc(c)


def extract_flags(line):
    words, word, phase, quote, blank_ok = [], b"", 0, None, False
    pos = 0
    n = len(line)
    while pos <= n:
        ch = line[pos] if pos != n else None
        if phase == 0:
            if pos == n:
                break
            if ch in SPACES:
                pos += 1
                continue
            if ch != 0x2D or pos + 1 == n or line[pos + 1] != 0x2D:
                return line[pos:], words
            phase = 1
        if phase in (1, 2) and pos == n:
            if word != b"--" and (blank_ok or word):
                words.append(word)
            break
        if phase == 1:
            if ch in SPACES:
                phase = 0
                if word == b"--":
                    return line[pos:], words
                if blank_ok or word:
                    words.append(word)
                word, blank_ok = b"", False
                pos += 1
                continue
            if ch in (0x27, 0x22):
                quote, blank_ok, phase = ch, True, 2
                pos += 1
                continue
            if ch == 0x5C:
                if pos + 1 == n:
                    pos += 1
                    continue
                pos += 1
                ch = line[pos]
            word += go_byte_rune(ch)
            pos += 1
            continue
        if phase == 2:
            if ch == quote:
                phase = 1
                pos += 1
                continue
            if ch == 0x5C:
                if pos + 1 == n:
                    phase = 1
                    pos += 1
                    continue
                pos += 1
                ch = line[pos]
            word += go_byte_rune(ch)
            pos += 1
    return b"", words


def split_command(line):
    parts = RE_WS.split(trim_space(line), 1)
    cmd, flags, args = parts[0], [], b""
    if len(parts) == 2:
        args, flags = extract_flags(parts[1])
    return cmd, flags, trim_space(args)


# ---- line_parsers.go ----

def parse_words(rest, esc):
    words, word, phase, quote, blank_ok = [], b"", 0, None, False
    escr = esc[0]
    items = list(runes(rest))
    k = 0
    while k <= len(items):
        if k < len(items):
            pos, ch, w = items[k]
        else:
            ch = None
        if phase == 0:
            if k == len(items):
                break
            if ch in SPACES:
                k += 1
                continue
            phase = 1
        if phase in (1, 2) and k == len(items):
            if blank_ok or word:
                words.append(word)
            break
        if phase == 1:
            if ch in SPACES:
                phase = 0
                if blank_ok or word:
                    words.append(word)
                word, blank_ok = b"", False
                k += 1
                continue
            if ch in (0x27, 0x22):
                quote, blank_ok, phase = ch, True, 2
            if ch == escr:
                if k + 1 == len(items):
                    k += 1
                    continue
                word += enc(ch)
                k += 1
                pos, ch, w = items[k]
            word += enc(ch)
            k += 1
            continue
        if phase == 2:
            if ch == quote:
                phase = 1
            if ch == escr and quote != 0x27:
                if k + 1 == len(items):
                    phase = 1
                    k += 1
                    continue
                k += 1
                word += enc(ch)
                pos, ch, w = items[k]
            word += enc(ch)
            k += 1
    return words


def parse_name_val(rest, key, esc):
    words = parse_words(rest, esc)
    if not words:
        return []
    if b"=" not in words[0]:
        parts = RE_WS.split(rest, 1)
        if len(parts) < 2:
            raise ParseError("%s must have two arguments" % key)
        return [parts[0], parts[1], b""]
    out = []
    for w in words:
        if b"=" not in w:
            raise ParseError("Syntax error - can't find = in %r. Must be of the form: name=value" % w)
        k, v = w.split(b"=", 1)
        out += [k, v, b"="]
    return out


class NotStringArray(ParseError):
    pass


def _no_constant(name):
    raise ValueError(name)


def parse_json(rest):
    rest = trim_left_space(rest)
    if not rest.startswith(b"["):
        return None
    text = rest.decode("utf-8", "replace")
    try:
        v = json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        return None
    if not isinstance(v, list):
        return None
    out = []
    for s in v:
        if not isinstance(s, str):
            raise NotStringArray("when using JSON array syntax, arrays must be comprised of "
                                 "strings only")
        # Go writes U+FFFD for a lone surrogate escape
        s = "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in s)
        out.append(s.encode("utf-8"))
    return out


def parse_maybe_json(rest):
    if rest == b"":
        return [], False
    j = parse_json(rest)
    if j is not None:
        return j, True
    return [rest], False


def parse_strings_ws(rest):
    if rest == b"":
        return []
    return RE_WS.split(rest)


def parse_maybe_json_to_list(rest):
    j = parse_json(rest)
    if j is not None:
        return j, True
    return parse_strings_ws(rest), False


def parse_health(rest):
    sep = 0
    while sep < len(rest) and rest[sep] not in SPACES:
        sep += 1
    nxt = sep
    while nxt < len(rest) and rest[nxt] in SPACES:
        nxt += 1
    if sep == 0:
        return [], False
    args, is_json = parse_maybe_json(rest[nxt:])
    return [rest[:sep]] + args, is_json


def go_lower(b):
    # strings.ToLower; for the keyword only ASCII, U+0130 and U+212A matter
    return b.replace("\u0130".encode(), b"i").replace("\u212a".encode(), b"k").lower()


KNOWN = {b"add", b"arg", b"cmd", b"copy", b"entrypoint", b"env", b"expose", b"from",
         b"healthcheck", b"label", b"maintainer", b"onbuild", b"run", b"shell", b"stopsignal",
         b"user", b"volume", b"workdir"}


class Node:
    def __init__(self, cmd, flags, args, is_json, sub=None):
        self.cmd, self.flags, self.args, self.json, self.sub = cmd, flags, args, is_json, sub

    def dump(self):
        s = go_quote(go_lower(self.cmd), bare=True)
        if self.flags:
            s += " [" + " ".join(go_quote(f) for f in self.flags) + "]"
        if self.sub is not None:
            s += " (" + self.sub.dump() + ")"
        for a in self.args:
            s += " " + go_quote(a)
        return s


def new_node(line, d):
    cmd, flags, args = split_command(line)
    kw = go_lower(cmd)
    is_json, sub = False, None
    if kw in (b"run", b"cmd", b"entrypoint", b"shell"):
        vals, is_json = parse_maybe_json(args)
    elif kw in (b"add", b"copy", b"volume"):
        vals, is_json = parse_maybe_json_to_list(args)
    elif kw in (b"env", b"label"):
        vals = parse_name_val(args, "ENV" if kw == b"env" else "LABEL", d.escape)
    elif kw == b"arg":
        vals = parse_words(args, d.escape)
    elif kw in (b"expose", b"from"):
        vals = parse_strings_ws(args)
    elif kw in (b"maintainer", b"stopsignal", b"user", b"workdir"):
        vals = [args] if args else []
    elif kw == b"healthcheck":
        vals, is_json = parse_health(args)
    elif kw == b"onbuild":
        vals = []
        if args:
            sub = new_node(args, d)
    else:
        vals = [b""]  # parseIgnore: one empty node
    return Node(cmd, flags, vals, is_json, sub)


def can_heredoc(node):
    n = node.sub if go_lower(node.cmd) == b"onbuild" and node.sub is not None else node
    return go_lower(n.cmd) in (b"run", b"copy", b"add") and not n.json


# ---- shell/lex.go, as far as the heredoc scan needs it (no variables are set) ----

class Lex:
    def __init__(self, s, raw_quotes, raw_escapes):
        self.s, self.i = s, 0
        self.raw_quotes, self.raw_escapes = raw_quotes, raw_escapes

    def peek(self):
        if self.i >= len(self.s):
            return None
        r, w = decode_rune(self.s, self.i)
        return r

    def next(self):
        if self.i >= len(self.s):
            return None
        r, w = decode_rune(self.s, self.i)
        self.i += w
        return r

    def words(self):
        result, words = self.stop_on(None, self.raw_escapes)
        return words

    def stop_on(self, stop, raw_escapes):
        saved = self.raw_escapes
        self.raw_escapes = raw_escapes
        result, words, buf, in_word = b"", [], b"", False

        def add_char(r):
            nonlocal buf, in_word
            if r in SPACES and in_word:
                if buf:
                    words.append(buf)
                    buf, in_word = b"", False
            elif r not in SPACES:
                buf += enc(r)
                in_word = True

        def add_raw(b):
            nonlocal buf, in_word
            buf += b
            in_word = True

        try:
            while self.peek() is not None:
                ch = self.peek()
                if stop is not None and ch == stop:
                    self.next()
                    if buf:
                        words.append(buf)
                    return result, words
                if ch in (0x24, 0x3C, 0x27, 0x22):
                    tmp = {0x24: self.dollar, 0x3C: self.heredoc_op, 0x27: self.single,
                           0x22: self.double}[ch]()
                    result += tmp
                    if ch == 0x24:
                        for _, r, _ in runes(tmp):
                            add_char(r)
                    else:
                        add_raw(tmp)
                    continue
                ch = self.next()
                if ch == 0x5C:
                    if self.raw_escapes:
                        add_raw(b"\\")
                        result += b"\\"
                    ch = self.next()
                    if ch is None:
                        break
                    add_raw(enc(ch))
                else:
                    add_char(ch)
                result += enc(ch)
            if stop is not None:
                raise ParseError("unexpected end of statement while looking for matching %s" %
                                 chr(stop))
            if buf:
                words.append(buf)
            return result, words
        finally:
            self.raw_escapes = saved

    def heredoc_op(self):
        self.next()
        if self.peek() != 0x3C:
            return b"<"
        self.next()
        out = b"<<"
        while self.peek() in (0x09, 0x0D, 0x20):
            out += bytes([self.next()])
        return out

    def single(self):
        out = b"'" if self.raw_quotes else b""
        self.next()
        while True:
            ch = self.next()
            if ch is None:
                raise ParseError("unexpected end of statement while looking for matching "
                                 "single-quote")
            if ch == 0x27:
                return out + (b"'" if self.raw_quotes else b"")
            out += enc(ch)

    def double(self):
        out = b'"' if self.raw_quotes else b""
        self.next()
        while True:
            p = self.peek()
            if p is None:
                raise ParseError("unexpected end of statement while looking for matching "
                                 "double-quote")
            if p == 0x22:
                self.next()
                return out + (b'"' if self.raw_quotes else b"")
            if p == 0x24:
                out += self.dollar()
                continue
            ch = self.next()
            if ch == 0x5C:
                if self.raw_escapes:
                    out += b"\\"
                p = self.peek()
                if p is None:
                    continue
                if p in (0x22, 0x24, 0x5C):
                    ch = self.next()
            out += enc(ch)

    def name(self):
        out = b""
        while self.peek() is not None:
            ch = self.peek()
            if not out and unicodedata.category(chr(ch)) == "Nd":
                while self.peek() is not None and unicodedata.category(chr(self.peek())) == "Nd":
                    out += enc(self.next())
                return out
            if not out and chr(ch) in "@*#?-$!0":
                return enc(self.next())
            cat = unicodedata.category(chr(ch))
            if not (cat.startswith("L") or cat == "Nd" or ch == 0x5F):
                break
            out += enc(self.next())
        return out

    def dollar(self):
        self.next()
        if self.peek() != 0x7B:
            n = self.name()
            return b"$" + n if n else b"$"
        self.next()
        p = self.peek()
        if p is None:
            raise ParseError("syntax error: missing '}'")
        if p in (0x7B, 0x7D, 0x3A):
            raise ParseError("syntax error: bad substitution")
        n = self.name()
        ch = self.next()
        chs = enc(ch) if ch is not None else b""
        if ch == 0x7D:
            return b"${" + n + b"}"
        if ch == 0x3A or ch in (0x2B, 0x2D, 0x3F, 0x23, 0x25):
            null_is_unset = ch == 0x3A
            if null_is_unset:
                ch = self.next()
                chs += enc(ch) if ch is not None else b""
            raw = ch in (0x23, 0x25)
            if null_is_unset and raw:
                raise ParseError("unsupported modifier in substitution")
            try:
                word, _ = self.stop_on(0x7D, raw)
            except ParseError:
                if self.peek() is None:
                    raise ParseError("syntax error: missing '}'")
                raise
            return b"${" + n + chs + word + b"}"
        if ch == 0x2F:
            if self.peek() == 0x2F:
                self.next()
            try:
                pat, _ = self.stop_on(0x2F, True)
            except ParseError:
                if self.peek() is None:
                    raise ParseError("syntax error: missing '/' in ${}")
                raise
            try:
                rep, _ = self.stop_on(0x7D, True)
            except ParseError:
                if self.peek() is None:
                    raise ParseError("syntax error: missing '}'")
                raise
            return b"${" + n + b"/" + pat + b"/" + rep + b"}"
        raise ParseError("unsupported modifier in substitution")


def parse_heredoc_word(word):
    """ParseHeredoc: (name, chomp) or None."""
    m = RE_HEREDOC.match(word)
    if not m:
        return None
    rest = m.group(3)
    if not rest:
        return None
    words = Lex(rest, False, False).words()  # errors propagate, as in BuildKit
    if len(words) != 1:
        return None
    raw = Lex(rest, True, False).words()
    if len(raw) != len(words):
        raise ParseError("internal lexing of heredoc produced inconsistent results")
    return words[0], m.group(2) == b"-"


def heredocs_from_line(line):
    try:
        words = Lex(line, True, True).words()
    except ParseError:
        words = []
    docs = []
    for w in words:
        h = parse_heredoc_word(w)
        if h:
            docs.append(h)
    return docs


# ---- parser.go Parse ----

def parse(data):
    d = Directives()
    lines = scan_lines(data)
    nodes = []
    i = 0

    def scan():
        nonlocal i
        if i >= len(lines) or lines[i] is None:
            return None
        i += 1
        return lines[i - 1]

    def process_line(tok, strip):
        tok = trim_newline(tok)
        if strip:
            tok = trim_left_space(tok)
        d.parse_line(tok)
        return b"" if is_comment(tok) else tok

    first = True
    while True:
        raw = scan()
        if raw is None:
            break
        if first and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        first = False
        tok = process_line(raw, True)
        line, end = d.trim_continuation(tok)
        if end and line == b"":
            continue
        while not end:
            raw = scan()
            if raw is None:
                break
            tok = process_line(raw, False)
            if is_comment(raw):
                continue
            if len(trim_left_space(trim_newline(tok))) == 0:
                continue
            tok, end = d.trim_continuation(tok)
            line += tok
        node = new_node(line, d)
        if can_heredoc(node) and b"<<" in line:
            for name, chomp in heredocs_from_line(line):
                while True:
                    raw = scan()
                    if raw is None:
                        raise ParseError("unterminated heredoc")
                    t = trim_newline(raw)
                    if chomp:
                        t = t.lstrip(b"\t")
                    if t == name:
                        break
        nodes.append(node)
    if not nodes:
        raise ParseError("file with no instructions")
    if i < len(lines) and lines[i] is None:
        raise ParseError("dockerfile line greater than max allowed size of %d" % MAX_LINE)
    return nodes


def go_quote(b, bare=False):
    """strconv.Quote (bare: without the quotes, for the keyword, which Dump prints as is)."""
    if bare:
        return b.decode("utf-8", "replace")
    out = ['"']
    for i, r, w in runes(b):
        if r == 0xFFFD and w == 1 and b[i:i + 3] != b"\xef\xbf\xbd":
            out.append("\\x%02x" % b[i])
            continue
        c = chr(r)
        if c == '"' or c == "\\":
            out.append("\\" + c)
        elif c.isprintable():
            out.append(c)
        elif c in "\a\b\f\n\r\t\v":
            out.append({"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r",
                        "\t": "\\t", "\v": "\\v"}[c])
        elif r < 0x20 or r == 0x7F:
            out.append("\\x%02x" % r)
        elif r < 0x10000:
            out.append("\\u%04x" % r)
        else:
            out.append("\\U%08x" % r)
    out.append('"')
    return "".join(out)


def main(argv):
    status = 0
    for path in argv[1:]:
        with open(path, "rb") as f:
            data = f.read()
        try:
            nodes = parse(data)
        except ParseError as e:
            print("error: %s" % e)
            status = 2
            continue
        for n in nodes:
            print("(" + n.dump() + ")")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
