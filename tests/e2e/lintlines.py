#!/usr/bin/env python3
"""Refuses e2e test code whose failure would not fail the test.

lib.sh runs every test body (and the test file's own code) under
`set -eE -o pipefail` with inherit_errexit and an ERR trap. Bash then stops
at a failing command, with holes this lint closes:

  ! cmd         bash never stops on a negated pipeline       -> `not cmd`
  a && b        a failing a is ignored (unless last)          -> two lines
  a || b        a failing a is ignored on purpose             -> only `|| exit N`
  cmd | grep -q grep may stop early and cmd die of SIGPIPE   -> write to a file
  cmd; rc=$?    $? is always 0 there: a failure stops first   -> fails_with CODE cmd

Conditions (if/elif/while/until) are left alone: there a failure is a branch.
`set +e` and friends, which would switch the checks off, are refused too.

Usage:
  lintlines.py body [--expect-fail DIR] < BODY   lint one test body; with
      --expect-fail the last command is the one that must fail: it must be a
      simple command, and DIR/pre and DIR/last receive the body split there
  lintlines.py file [--no-bodies] FILE...        lint test files: their own code
      and (unless --no-bodies) the body of every expect_* call, with the
      body's expansions replaced by a placeholder
Problems go to stdout as "[FILE:]LINE: message"; the exit status is 1 if any.
"""
import os
import re
import sys

KEYWORDS = {"if", "then", "elif", "else", "fi", "for", "in", "do", "done", "while",
            "until", "case", "esac", "{", "}", "!", "[[", "function", "select", "time"}
OPERATORS = ["&&", "||", ";;&", ";;", ";&", "|&", "&>>", "&>", ">>", "<<<", "<<-", "<<",
             "<&", ">&", "<>", ">|", ";", "&", "|", "(", ")", "<", ">"]
REDIRS = {"&>>", "&>", ">>", "<<<", "<<-", "<<", "<&", ">&", "<>", ">|", "<", ">"}
META = set(" \t\n;&|()<>")
PLACEHOLDER = "_X_"
BODY_TAKERS = {"expect_success": 1, "expect_fail": 3, "expect_known_difference": 2}


class ParseError(Exception):
    def __init__(self, line, msg):
        super().__init__(msg)
        self.line = line


class Word:
    def __init__(self, line):
        self.line = line
        self.raw = ""        # as written
        self.lit = ""        # after quote removal, None once something expands
        self.val = ""        # after quote removal, expansions as PLACEHOLDER
        self.quoted = False  # any quoting (so not a reserved word)
        self.subs = []       # command lists inside: $(...), `...`, <(...)
        self.status = False  # expands $? itself (not inside a substitution)


class Redir:
    def __init__(self, op, line):
        self.op = op
        self.line = line
        self.target = None
        self.heredoc = None  # (delimiter, strip tabs, quoted) for << and <<-
        self.subs = []       # from the target word or an unquoted heredoc body


class Simple:
    def __init__(self, line):
        self.line = line
        self.words = []
        self.redirs = []


class Compound:
    def __init__(self, kind, line):
        self.kind = kind     # group subshell if for while until case arith cond func
        self.line = line
        self.parts = []      # (List, is_condition)
        self.words = []      # words holding substitutions (for/case/[[ ]] operands)
        self.redirs = []
        self.name = None


class Pipeline:
    def __init__(self, line):
        self.line = line
        self.bang = False
        self.cmds = []


class AndOr:
    def __init__(self, line, start):
        self.line = line
        self.start = start   # offset of the first character in the source
        self.items = []      # Pipelines
        self.ops = []        # "&&" / "||" between them
        self.background = False


class List:
    def __init__(self):
        self.items = []


class Parser:
    """A recursive-descent reader for the bash the tests use."""

    def __init__(self, src, line=1):
        self.s = src
        self.i = 0
        self.line = line
        self.peeked = None
        self.heredocs = []   # Redirs whose bodies start after the next newline

    # ---- characters
    def ch(self, k=0):
        j = self.i + k
        return self.s[j] if j < len(self.s) else ""

    def adv(self, n=1):
        for _ in range(n):
            if self.i < len(self.s):
                if self.s[self.i] == "\n":
                    self.line += 1
                self.i += 1

    def fail(self, msg):
        raise ParseError(self.line, msg)

    def skip_blanks(self):
        while True:
            c = self.ch()
            if c in (" ", "\t"):
                self.adv()
            elif c == "\\" and self.ch(1) == "\n":
                self.adv(2)
            elif c == "#":
                while self.ch() not in ("", "\n"):
                    self.adv()
            else:
                return

    # ---- tokens: ("op", text, line, start) ("word", Word, line, start) ("eof", ...)
    def peek(self):
        if self.peeked is None:
            self.peeked = self.lex()
        return self.peeked

    def take(self):
        t = self.peek()
        self.peeked = None
        return t

    def lex(self):
        self.skip_blanks()
        start, line = self.i, self.line
        c = self.ch()
        if c == "":
            return ("eof", None, line, start)
        if c == "\n":
            self.adv()
            self.read_heredocs()
            return ("op", "\n", line, start)
        if c in "<>" and self.ch(1) == "(":
            return ("word", self.read_word(), line, start)
        for op in OPERATORS:
            if self.s.startswith(op, self.i):
                self.adv(len(op))
                return ("op", op, line, start)
        w = self.read_word()
        if w.raw.isdigit() and self.ch() in ("<", ">"):
            return ("ionum", w, line, start)
        return ("word", w, line, start)

    # ---- words
    def read_word(self):
        w = Word(self.line)
        if self.ch() in "<>" and self.ch(1) == "(":   # process substitution
            begin = self.i
            self.adv(2)
            w.subs.append(self.parse_list(stop_ops={")"}))
            self.expect_op(")")
            self.expansion(w, begin)
            return w
        while True:
            c = self.ch()
            if c == "" or c in META:
                if c == "(" and self.word_takes_paren(w):
                    self.read_balanced_parens(w)
                    continue
                return w
            begin = self.i
            if c == "\\":
                if self.ch(1) == "\n":
                    self.adv(2)
                    continue
                self.adv(2)
                w.quoted = True
                self.literal(w, begin, self.s[begin + 1:self.i])
            elif c == "'":
                self.adv()
                while self.ch() != "'":
                    if self.ch() == "":
                        self.fail("unterminated '...'")
                    self.adv()
                self.adv()
                w.quoted = True
                self.literal(w, begin, self.s[begin + 1:self.i - 1])
            elif c == '"':
                self.adv()
                w.quoted = True
                self.read_dq(w, '"')
                self.adv()
            elif c == "`":
                self.read_backtick(w)
            elif c == "$":
                self.read_dollar(w)
            else:
                self.adv()
                self.literal(w, begin, c)

    def word_takes_paren(self, w):
        # name=( array ), and extglob patterns such as @(a|b)
        return bool(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(\[[^]]*\])?\+?=", w.raw)) or \
            (w.raw[-1:] in ("?", "*", "+", "@", "!") and not w.quoted)

    def read_balanced_parens(self, w):
        begin = self.i
        depth = 0
        while True:
            c = self.ch()
            if c == "":
                self.fail("unterminated (")
            if c == "(":
                depth += 1
            elif c == ")":
                depth -= 1
                if depth == 0:
                    self.adv()
                    break
            elif c in "'\"":
                q = c
                self.adv()
                while self.ch() not in (q, ""):
                    self.adv(2 if self.ch() == "\\" and q == '"' else 1)
            elif c == "$" and self.ch(1) == "(":
                sub = Word(self.line)
                self.read_dollar(sub)
                w.subs.extend(sub.subs)
                continue
            self.adv()
        self.expansion(w, begin)

    def literal(self, w, begin, text):
        w.raw += self.s[begin:self.i]
        if w.lit is not None:
            w.lit += text
        w.val += text

    def expansion(self, w, begin):
        w.raw += self.s[begin:self.i]
        w.lit = None
        w.val += PLACEHOLDER

    def read_dq(self, w, end):
        """Reads up to (not past) END inside double quotes (END "" = the text's end)."""
        while True:
            c = self.ch()
            if c == end or (c == "" and end == ""):
                return
            if c == "":
                self.fail('unterminated "..."')
            begin = self.i
            if c == "\\":
                self.adv(2)
                nxt = self.s[begin + 1:self.i]
                self.literal(w, begin, nxt if nxt in ('"', "\\", "$", "`", "\n") else c + nxt)
            elif c == "`":
                self.read_backtick(w)
            elif c == "$":
                self.read_dollar(w)
            else:
                self.adv()
                self.literal(w, begin, c)

    def read_backtick(self, w):
        begin, line = self.i, self.line
        self.adv()
        text = ""
        while self.ch() != "`":
            if self.ch() == "":
                self.fail("unterminated `...`")
            if self.ch() == "\\" and self.ch(1) in ("`", "\\", "$"):
                self.adv()
            text += self.ch()
            self.adv()
        self.adv()
        w.subs.append(Parser(text, line).parse_all())
        self.expansion(w, begin)

    def read_dollar(self, w):
        begin = self.i
        c1, c2 = self.ch(1), self.ch(2)
        if c1 == "(" and c2 == "(":           # $(( arithmetic ))
            self.adv(3)
            depth = 2
            while depth:
                c = self.ch()
                if c == "":
                    self.fail("unterminated $((")
                if c == "(":
                    depth += 1
                elif c == ")":
                    depth -= 1
                elif c == "$" and self.ch(1) == "(" and self.ch(2) != "(":
                    sub = Word(self.line)
                    self.read_dollar(sub)
                    w.subs.extend(sub.subs)
                    continue
                self.adv()
            self.expansion(w, begin)
        elif c1 == "(":                        # $( command substitution )
            self.adv(2)
            w.subs.append(self.parse_list(stop_ops={")"}))
            self.expect_op(")")
            self.expansion(w, begin)
        elif c1 == "{":                        # ${ parameter }
            self.adv(2)
            inner = Word(self.line)
            depth = 1
            while True:
                c = self.ch()
                if c == "":
                    self.fail("unterminated ${")
                if c == "}":
                    depth -= 1
                    if depth == 0:
                        self.adv()
                        break
                    self.adv()
                elif c == "{":
                    depth += 1
                    self.adv()
                elif c == "\\":
                    self.adv(2)
                elif c == "'":
                    self.adv()
                    while self.ch() not in ("'", ""):
                        self.adv()
                    self.adv()
                elif c == '"':
                    self.adv()
                    self.read_dq(inner, '"')
                    self.adv()
                elif c == "$" or c == "`":
                    if c == "$":
                        self.read_dollar(inner)
                    else:
                        self.read_backtick(inner)
                else:
                    self.adv()
            w.subs.extend(inner.subs)
            self.expansion(w, begin)
            w.status = w.status or self.s[begin:self.i].startswith("${?")
        elif c1 == "'":                        # $'ANSI C'
            self.adv(2)
            text = ""
            while self.ch() != "'":
                if self.ch() == "":
                    self.fail("unterminated $'...'")
                if self.ch() == "\\":
                    text += self.ch()
                    self.adv()
                text += self.ch()
                self.adv()
            self.adv()
            w.quoted = True
            self.literal(w, begin, text)
        elif c1 == '"':
            self.adv()
        elif re.match(r"[A-Za-z_]", c1):
            self.adv()
            while re.match(r"[A-Za-z0-9_]", self.ch()):
                self.adv()
            self.expansion(w, begin)
        elif c1 and c1 in "0123456789?#$!@*-":
            self.adv(2)
            self.expansion(w, begin)
            w.status = w.status or c1 == "?"
        else:
            self.adv()
            self.literal(w, begin, "$")

    # ---- here-documents
    def read_heredocs(self):
        todo, self.heredocs = self.heredocs, []
        for r in todo:
            delim, strip, quoted = r.heredoc
            body = []
            while True:
                if self.i >= len(self.s):
                    self.fail("here-document ends before its delimiter %r" % delim)
                nl = self.s.find("\n", self.i)
                end = len(self.s) if nl < 0 else nl
                text = self.s[self.i:end]
                body_line = self.line
                self.adv(end - self.i + (1 if nl >= 0 else 0))
                if (text.lstrip("\t") if strip else text) == delim:
                    break
                body.append((body_line, text))
            if not quoted and body:
                sub = Parser("\n".join(t for _, t in body), body[0][0])
                holder = Word(body[0][0])
                sub.read_dq(holder, "")
                r.subs.extend(holder.subs)

    # ---- grammar
    def expect_op(self, op):
        t = self.take()
        if t[0] != "op" or t[1] != op:
            self.fail("expected %r" % op)

    def at_word(self, *names):
        t = self.peek()
        return t[0] == "word" and not t[1].quoted and t[1].raw in names

    def expect_word(self, name):
        if not self.at_word(name):
            self.fail("expected %r" % name)
        self.take()

    def skip_newlines(self):
        while self.peek()[0] == "op" and self.peek()[1] == "\n":
            self.take()

    def parse_all(self):
        lst = self.parse_list(stop_ops=set())
        if self.peek()[0] != "eof":
            self.fail("unexpected %r" % (self.peek()[1] if self.peek()[0] == "op" else
                                          self.peek()[1].raw))
        return lst

    def parse_list(self, stop_ops=(), stop_words=()):
        lst = List()
        while True:
            self.skip_newlines()
            t = self.peek()
            if t[0] == "eof" or (t[0] == "op" and t[1] in stop_ops):
                return lst
            if t[0] == "word" and not t[1].quoted and t[1].raw in stop_words:
                return lst
            ao = self.parse_andor()
            lst.items.append(ao)
            t = self.peek()
            if t[0] == "op" and t[1] in (";", "&", "\n"):
                self.take()
                ao.background = t[1] == "&"
            elif not (t[0] == "eof" or (t[0] == "op" and t[1] in stop_ops) or
                      (t[0] == "word" and t[1].raw in stop_words)):
                self.fail("unexpected %r" % (t[1] if t[0] == "op" else t[1].raw))

    def parse_andor(self):
        t = self.peek()
        ao = AndOr(t[2], t[3])
        ao.items.append(self.parse_pipeline())
        while self.peek()[0] == "op" and self.peek()[1] in ("&&", "||"):
            ao.ops.append(self.take()[1])
            self.skip_newlines()
            ao.items.append(self.parse_pipeline())
        return ao

    def parse_pipeline(self):
        p = Pipeline(self.peek()[2])
        if self.at_word("time"):
            self.take()
        if self.at_word("!"):
            self.take()
            p.bang = True
        p.cmds.append(self.parse_command())
        while self.peek()[0] == "op" and self.peek()[1] in ("|", "|&"):
            self.take()
            self.skip_newlines()
            p.cmds.append(self.parse_command())
        return p

    def parse_command(self):
        t = self.peek()
        line = t[2]
        if t[0] == "op" and t[1] == "(":
            if self.s.startswith("((", t[3]):
                return self.parse_arith(line)
            self.take()
            c = Compound("subshell", line)
            c.parts.append((self.parse_list(stop_ops={")"}), False))
            self.expect_op(")")
            return self.parse_redirs(c)
        if t[0] == "word" and not t[1].quoted:
            kw = t[1].raw
            if kw == "{":
                self.take()
                c = Compound("group", line)
                c.parts.append((self.parse_list(stop_words={"}"}), False))
                self.expect_word("}")
                return self.parse_redirs(c)
            if kw == "if":
                return self.parse_redirs(self.parse_if(line))
            if kw in ("while", "until"):
                self.take()
                c = Compound(kw, line)
                c.parts.append((self.parse_list(stop_words={"do"}), True))
                c.parts.append((self.parse_do(), False))
                return self.parse_redirs(c)
            if kw in ("for", "select"):
                return self.parse_redirs(self.parse_for(line))
            if kw == "case":
                return self.parse_redirs(self.parse_case(line))
            if kw == "[[":
                return self.parse_redirs(self.parse_cond(line))
            if kw == "function":
                self.take()
                name = self.take()
                if self.peek()[0] == "op" and self.peek()[1] == "(":
                    self.take()
                    self.expect_op(")")
                return self.parse_func(name[1].raw, line)
            if kw in KEYWORDS - {"!", "time"}:
                self.fail("unexpected %r" % kw)
        return self.parse_simple(line)

    def parse_arith(self, line):
        i = self.peek()[3] + 2
        self.peeked = None
        self.i = i
        depth = 2
        while depth:
            c = self.ch()
            if c == "":
                self.fail("unterminated ((")
            depth += (c == "(") - (c == ")")
            self.adv()
        return self.parse_redirs(Compound("arith", line))

    def parse_do(self):
        self.skip_newlines()
        self.expect_word("do")
        body = self.parse_list(stop_words={"done"})
        self.expect_word("done")
        return body

    def parse_if(self, line):
        c = Compound("if", line)
        self.take()
        while True:
            c.parts.append((self.parse_list(stop_words={"then"}), True))
            self.expect_word("then")
            c.parts.append((self.parse_list(stop_words={"elif", "else", "fi"}), False))
            t = self.take()
            if t[1].raw == "elif":
                continue
            if t[1].raw == "else":
                c.parts.append((self.parse_list(stop_words={"fi"}), False))
                self.expect_word("fi")
            return c

    def parse_for(self, line):
        c = Compound("for", line)
        self.take()
        self.skip_blanks()
        if self.s.startswith("((", self.i):
            self.peeked = None
            self.parse_arith(line)
        else:
            self.take()                       # the variable
            self.skip_newlines()
            if self.at_word("in"):
                self.take()
                while self.peek()[0] == "word":
                    c.words.append(self.take()[1])
        t = self.peek()
        if t[0] == "op" and t[1] in (";", "\n"):
            self.take()
        c.parts.append((self.parse_do(), False))
        return c

    def parse_case(self, line):
        c = Compound("case", line)
        self.take()
        c.words.append(self.take()[1])
        self.skip_newlines()
        self.expect_word("in")
        while True:
            self.skip_newlines()
            if self.at_word("esac"):
                self.take()
                return c
            if self.peek()[0] == "op" and self.peek()[1] == "(":
                self.take()
            while True:
                t = self.take()
                if t[0] != "word":
                    self.fail("bad case pattern")
                c.words.append(t[1])
                t = self.take()
                if t[0] == "op" and t[1] == ")":
                    break
                if not (t[0] == "op" and t[1] == "|"):
                    self.fail("bad case pattern")
            c.parts.append((self.parse_list(stop_ops={";;", ";&", ";;&"},
                                            stop_words={"esac"}), False))
            if self.peek()[0] == "op" and self.peek()[1] in (";;", ";&", ";;&"):
                self.take()

    def parse_cond(self, line):
        c = Compound("cond", line)
        self.take()
        while True:
            t = self.take()
            if t[0] == "eof":
                self.fail("unterminated [[")
            if t[0] == "word":
                if t[1].raw == "]]":
                    return c
                c.words.append(t[1])

    def parse_func(self, name, line):
        self.skip_newlines()
        c = Compound("func", line)
        c.name = name
        body = self.parse_command()
        c.parts.append((wrap(body), False))
        return c

    def parse_simple(self, line):
        s = Simple(line)
        while True:
            t = self.peek()
            if t[0] == "word":
                self.take()
                if not s.words and not s.redirs and self.peek()[0] == "op" and \
                        self.peek()[1] == "(" and re.fullmatch(r"[\w.:-]+", t[1].raw):
                    self.take()
                    self.expect_op(")")
                    return self.parse_func(t[1].raw, line)
                s.words.append(t[1])
            elif t[0] == "ionum" or (t[0] == "op" and t[1] in REDIRS):
                s.redirs.append(self.parse_redir())
            else:
                break
        if not s.words and not s.redirs:
            t = self.peek()
            self.fail("expected a command, found %r" % ("end of text" if t[0] == "eof" else
                                                        t[1] if t[0] == "op" else t[1].raw))
        return s

    def parse_redir(self):
        t = self.take()
        if t[0] == "ionum":
            t = self.take()
        r = Redir(t[1], t[2])
        target = self.take()
        if target[0] != "word":
            self.fail("redirection %s without a target" % t[1])
        r.target = target[1]
        r.subs.extend(target[1].subs)
        if t[1] in ("<<", "<<-"):
            delim = target[1].val.replace(PLACEHOLDER, "")
            r.heredoc = (target[1].lit if target[1].lit is not None else delim,
                         t[1] == "<<-", target[1].quoted)
            self.heredocs.append(r)
        return r

    def parse_redirs(self, c):
        while self.peek()[0] == "ionum" or (self.peek()[0] == "op" and self.peek()[1] in REDIRS):
            c.redirs.append(self.parse_redir())
        return c


def wrap(cmd):
    lst = List()
    ao = AndOr(cmd.line, 0)
    p = Pipeline(cmd.line)
    p.cmds.append(cmd)
    ao.items.append(p)
    lst.items.append(ao)
    return lst


# ---- the checks
EARLY_GREP = re.compile(r"^-[A-Za-z]*[qlLm]|^--(quiet|silent|max-count|files-with)")


ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\[[^]]*\])?\+?=")


def command_words(c):
    """The words of a simple command after its VAR=value prefixes."""
    k = 0
    while k < len(c.words) and ASSIGNMENT.match(c.words[k].raw):
        k += 1
    return c.words[k:]


def cmd_name(c):
    if isinstance(c, Simple):
        words = command_words(c)
        return words[0].lit if words else None
    return None


def args_of(c):
    args = []
    for w in command_words(c)[1:]:
        if w.lit == "--":
            break
        args.append(w.lit)
    return args


def stops_reading_early(c):
    name = cmd_name(c)
    if name in ("head",):
        return "head"
    if name in ("grep", "egrep", "fgrep"):
        for a in args_of(c):
            if a is not None and a != "--" and EARLY_GREP.match(a):
                return "grep " + a
    return None


def reads_status(ao):
    """True when the first command of ao reads $? (the status of the command before it)."""
    c = ao.items[0].cmds[0]
    if not isinstance(c, Simple):
        return False
    return any(w.status for w in c.words) or \
        any(r.target is not None and r.target.status for r in c.redirs)


def is_explicit_failure(p):
    """`exit`, `exit N`, `return`, `return N` (N not 0), or a { ...; } ending in one."""
    if p.bang or len(p.cmds) != 1:
        return False
    c = p.cmds[0]
    if isinstance(c, Compound) and c.kind == "group":
        items = c.parts[0][0].items
        return bool(items) and len(items[-1].items) == 1 and not items[-1].ops and \
            is_explicit_failure(items[-1].items[0])
    if not isinstance(c, Simple) or not c.words:
        return False
    if c.words[0].lit not in ("exit", "return"):
        return False
    return len(c.words) == 1 or c.words[1].lit != "0"


class Checker:
    def __init__(self, report, bodies):
        self.report = report
        self.bodies = bodies          # also lint expect_* bodies found in the code

    def list(self, lst, checked, in_body):
        for k, ao in enumerate(lst.items):
            if checked and k > 0 and reads_status(ao):
                self.report(ao.line, "`$?` after a command is always 0 under set -e (a failure "
                                     "stops the test first): use `fails_with CODE cmd`, or "
                                     "`if cmd; then ...; else rc=$?; fi`")
            self.andor(ao, checked, in_body)

    def andor(self, ao, checked, in_body):
        if checked:
            if "&&" in ao.ops:
                self.report(ao.line, "`a && b` goes on when a fails (bash ignores it): "
                                     "put each command on its own line")
            for k, op in enumerate(ao.ops):
                if op == "||" and not (k == len(ao.ops) - 1 and "&&" not in ao.ops and
                                       is_explicit_failure(ao.items[k + 1])):
                    self.report(ao.line, "`a || b` hides a failing a: only `|| exit N` "
                                         "(or `|| { ...; exit N; }`) may follow a command; "
                                         "use `if` for a real alternative")
                    break
            if ao.background and in_body:
                self.report(ao.line, "a command run with & in a test body is never checked")
        for p in ao.items:
            self.pipeline(p, checked, in_body)

    def pipeline(self, p, checked, in_body):
        if checked and p.bang:
            self.report(p.line, "`! cmd` never fails under set -e: use `not cmd` "
                                "(or `[ ! ... ]` for a test)")
        if checked and len(p.cmds) > 1:
            why = stops_reading_early(p.cmds[-1])
            if why:
                self.report(p.line, "`| %s` may stop reading early and kill the command "
                                    "before it with SIGPIPE (a random failure under "
                                    "pipefail): write to a file first" % why)
            for c in p.cmds:
                if cmd_name(c) in BODY_TAKERS:
                    self.report(p.line, "%s in a pipeline runs in a subshell: its result is "
                                        "lost" % cmd_name(c))
            for c in p.cmds[:-1]:
                if cmd_name(c) in ("not", "fails_with"):
                    self.report(p.line, "%s inside a pipeline checks only the command it "
                                        "wraps, not the pipeline" % cmd_name(c))
        for c in p.cmds:
            self.command(c, checked, in_body)

    def words(self, words, checked, in_body):
        for w in words:
            for sub in w.subs:
                self.list(sub, checked, in_body)

    def command(self, c, checked, in_body):
        for r in c.redirs:
            for sub in r.subs:
                self.list(sub, checked, in_body)
        if isinstance(c, Simple):
            self.words(c.words, checked, in_body)
            self.simple(c, checked)
            return
        self.words(c.words, checked, in_body)
        for lst, is_cond in c.parts:
            if c.kind == "func":
                self.list(lst, True, in_body)
            else:
                self.list(lst, checked and not is_cond, in_body)

    def simple(self, c, checked):
        lits = [w.lit for w in c.words]
        name = cmd_name(c)
        if name == "set" and any(a and (a.startswith("+") and ("e" in a or "E" in a or a == "+o"))
                                 for a in args_of(c)):
            self.report(c.line, "`set +e`/`set +E`/`set +o ...` switches the checks off")
        if name == "shopt" and "-u" in lits:
            self.report(c.line, "`shopt -u` may switch the checks off")
        if name == "trap" and any(a in ("ERR", "EXIT") for a in lits[1:]):
            self.report(c.line, "a test must not replace the harness's ERR or EXIT trap "
                                "(use at_exit for clean-up)")
        if name in BODY_TAKERS and not checked:
            self.report(c.line, "%s in a condition: bash would ignore set -e in its body" % name)
        if self.bodies and name in BODY_TAKERS and len(c.words) > BODY_TAKERS[name]:
            body = c.words[-1]
            self.body(body.val, body.line, name == "expect_fail")

    def body(self, text, line, expect_fail):
        try:
            lst = Parser(text, line).parse_all()
        except ParseError as e:
            self.report(e.line, "cannot parse the test body: %s" % e)
            return
        self.list(lst, True, True)
        if expect_fail:
            check_expect_fail(lst, line, self.report)


def check_expect_fail(lst, line, report):
    if not lst.items:
        report(line, "expect_fail needs a command that fails")
        return None
    last = lst.items[-1]
    c = last.items[0].cmds[0]
    if last.ops or len(last.items[0].cmds) != 1 or last.items[0].bang or \
            not isinstance(c, Simple) or not c.words or last.background:
        report(last.line, "the last command of an expect_fail body is the one whose exit code "
                          "is checked: make it one simple command")
        return None
    return last.start


def lint_body(text, split_dir, out):
    problems = []
    report = lambda line, msg: problems.append((line, msg))
    try:
        lst = Parser(text).parse_all()
    except ParseError as e:
        out.write("line %d: cannot parse the test body: %s\n" % (e.line, e))
        return 1
    Checker(report, False).list(lst, True, True)
    start = None
    if split_dir is not None:
        start = check_expect_fail(lst, 1, report)
    for line, msg in sorted(set(problems)):
        out.write("line %d: %s\n" % (line, msg))
    if problems:
        return 1
    if split_dir is not None:
        with open(os.path.join(split_dir, "pre"), "w") as f:
            f.write(text[:start])
        with open(os.path.join(split_dir, "last"), "w") as f:
            f.write(text[start:])
    return 0


def lint_file(path, bodies, out):
    problems = []
    report = lambda line, msg: problems.append((line, msg))
    with open(path) as f:
        text = f.read()
    try:
        lst = Parser(text).parse_all()
        Checker(report, bodies).list(lst, True, False)
    except ParseError as e:
        report(e.line, "cannot parse: %s" % e)
    for line, msg in sorted(set(problems)):
        out.write("%s:%d: %s\n" % (path, line, msg))
    return 1 if problems else 0


def main(argv):
    if len(argv) >= 2 and argv[1] == "body":
        split_dir = None
        if len(argv) == 4 and argv[2] == "--expect-fail":
            split_dir = argv[3]
        elif len(argv) != 2:
            sys.stderr.write(__doc__)
            return 2
        return lint_body(sys.stdin.read(), split_dir, sys.stdout)
    if len(argv) >= 3 and argv[1] == "file":
        files = argv[2:]
        bodies = True
        if files[0] == "--no-bodies":
            bodies = False
            files = files[1:]
        rc = 0
        for path in files:
            rc |= lint_file(path, bodies, sys.stdout)
        return rc
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
