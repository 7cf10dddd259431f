"""The core names no service: S3, SQS, STS and every service under specs/ appear in core/*.c only
inside quirk tables, so a new service never needs a branch in the core and the exceptions AWS's
services make are in one documented place per concern.

What counts as naming a service: a word of the code (identifiers, string literals, macro names),
split at '_', '-', '.', '/' and at a lower-to-upper case change ("AmazonSQS", "is_s3",
"s3-object-lambda"), equal to a service name regardless of case. Comments do not count: a comment
naming S3 as the example that explains a general rule is documentation, not a dependency.

Quirk tables are files named quirks.c (core/router/quirks.c: routing hints, core/proto/quirks.c:
protocol quirks, core/gateway/quirks.c: gateway quirks) that open with a comment saying what they
hold, plus the files listed in TABLES (whole files that are a per-service table already).
PENDING lists files that still name services while another change moves them into a table, with
the names each may still use: another name there fails."""
import os, re, sys, unittest

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import SOURCE_DIR  # noqa: E402

ALWAYS = ("s3", "sqs", "sts")
# Whole files that are a per-service table: file -> what it holds.
TABLES = {
    "core/gateway/limits.c": "request body limits and the error each service answers beyond them",
}
# Files that name services until a change under way moves the names out: file -> (the names they
# may still use, which change). A name not listed fails; an entry whose file names none of them any
# more is reported on stderr, to be removed.
PENDING = {}


def service_names():
    names = set(ALWAYS)
    specs = os.path.join(SOURCE_DIR, "specs")
    names.update(d.lower() for d in os.listdir(specs) if os.path.isdir(os.path.join(specs, d)))
    return names


def strip_comments(text):
    """The code of a C file with its comments blanked (line numbers kept); string and character
    literals stay, since a literal "s3" is what makes code service-specific."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append(re.sub(r"[^\n]", " ", text[i:end]))
            i = end
        elif text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            out.append(" " * (end - i))
            i = end
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def words(line):
    for token in re.findall(r"[A-Za-z0-9]+", line):
        yield token.lower()
        for piece in re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z0-9]+", token):
            yield piece.lower()


def names_in(text, names):
    """(line number, service name, line) for every service the code of text names."""
    found = []
    for no, line in enumerate(strip_comments(text).split("\n"), 1):
        hit = sorted(set(words(line)) & names)
        if hit:
            found.append((no, hit[0], line.strip()))
    return found


def is_quirk_table(rel, text):
    if rel in TABLES:
        return True
    return os.path.basename(rel) == "quirks.c" and text.lstrip().startswith("/*")


def core_files():
    core = os.path.join(SOURCE_DIR, "core")
    for root, _, files in os.walk(core):
        for f in sorted(files):
            if f.endswith(".c"):
                path = os.path.join(root, f)
                yield os.path.relpath(path, SOURCE_DIR), path


class CoreNamesNoService(unittest.TestCase):
    def test_service_names_only_in_quirk_tables(self):
        names = service_names()
        self.assertTrue({"s3", "sqs", "sts", "dynamodb"} <= names, names)
        outside, quirk_files = [], []
        for rel, path in core_files():
            with open(path, encoding="utf-8") as f:
                text = f.read()
            if is_quirk_table(rel, text):
                quirk_files.append(rel)
                continue
            found = names_in(text, names)
            allowed = PENDING.get(rel, (set(), ""))[0]
            if rel in PENDING and not found:
                sys.stderr.write("%s names no service any more: remove it from PENDING\n" % rel)
            outside += ["%s:%d names %s: %s" % (rel, no, name, line[:120])
                        for no, name, line in found if name not in allowed]
        self.assertIn("core/router/quirks.c", quirk_files)
        self.assertIn("core/proto/quirks.c", quirk_files)
        self.assertIn("core/gateway/quirks.c", quirk_files)
        self.assertEqual(outside, [], "service names outside the quirk tables")

    def test_every_listed_file_exists(self):
        for rel in list(TABLES) + list(PENDING):
            self.assertTrue(os.path.isfile(os.path.join(SOURCE_DIR, rel)), rel)

    def test_the_check_finds_what_it_looks_for(self):
        names = {"s3", "sqs", "dynamodb"}
        code = "\n".join([
            '/* S3 answers this: a comment */ int x;',          # 1: comment only
            'if (strcmp(ep, "s3") == 0)',                        # 2: literal
            'static bool sqs_queue_path(const char *p);',        # 3: identifier piece
            'const char *t = "AmazonSQS.SendMessage";',          # 4: camel case
            'x = "DynamoDB_20120810";',                          # 5: whole token
            'int s3x = 1; const char *a = "as3", *b = "jobs";',  # 6: not a name
            '// sqs',                                            # 7: line comment
            'y = "s3-object-lambda"; /* multi',                  # 8: literal, then a comment that
            '   line sqs */ z = 0;',                             # 9: goes on here
        ])
        self.assertEqual([(no, name) for no, name, _ in names_in(code, names)],
                         [(2, "s3"), (3, "sqs"), (4, "sqs"), (5, "dynamodb"), (8, "s3")])


if __name__ == "__main__":
    unittest.main(verbosity=2)
