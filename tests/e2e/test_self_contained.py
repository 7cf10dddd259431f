"""The repository is self-contained: no file refers to a path outside it (a sibling folder next to
the checkout, the development machine's folders, someone's home), so a clone in any folder builds and
passes its tests. Reads every tracked file (git ls-files), or every file of the tree when it is not
a git checkout."""
import shutil, os, re, subprocess, sys, unittest

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import SOURCE_DIR  # noqa: E402

OUTSIDE = re.compile(
    r"\.\./shared\b"                      # the sibling folder the project grew up beside
    r"|(?<![\w.~-])/(?:work|farm)/"        # the development machine's folders
    r"|(?<![\w.~-])/(?:root|Users)/"       # a home folder
    r"|(?<![\w.~-])/home/[\w.-]+/"
    r"|SOURCE_DIR\}?/\.\.(?:/|\"|$)")     # a path that climbs out of the source tree
# Paths that look outside but are not references: file -> why.
ALLOWED = {
    "tests/unit/test_config.c": "a made-up HOME the config test passes to the parser",
    "tests/e2e/test_self_contained.py": "the patterns above",
    "tools/fresh-debian.sh": "paths inside the Debian root it builds (/root/nimbus is the copy it makes there)",
}
SKIP_DIRS = {".git", "node_modules", "__pycache__"}


def project_files():
    # a checkout lists its tracked files; a tree without git (an archive, a machine without
    # the git command) is walked
    if os.path.exists(os.path.join(SOURCE_DIR, ".git")) and shutil.which("git"):
        r = subprocess.run(["git", "ls-files", "-z"], cwd=SOURCE_DIR, capture_output=True)
        if r.returncode == 0:
            return [p for p in r.stdout.decode().split("\0") if p]
    files = []
    for root, dirs, names in os.walk(SOURCE_DIR):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS and not d.startswith("build")]
        files += [os.path.relpath(os.path.join(root, n), SOURCE_DIR) for n in names]
    return files


def references_outside(files):
    found = []
    for rel in files:
        if rel in ALLOWED:
            continue
        path = os.path.join(SOURCE_DIR, rel)
        if os.path.islink(path) and not os.path.realpath(path).startswith(os.path.realpath(SOURCE_DIR) + os.sep):
            found.append("%s: a symbolic link to %s" % (rel, os.readlink(path)))
            continue
        try:
            with open(path, "rb") as f:
                text = f.read().decode("utf-8", "replace")
        except (IsADirectoryError, FileNotFoundError):
            continue
        for no, line in enumerate(text.splitlines(), 1):
            m = OUTSIDE.search(line)
            if m:
                found.append("%s:%d: %s" % (rel, no, line.strip()[:160]))
    return found


class SelfContained(unittest.TestCase):
    def test_no_file_refers_outside_the_repository(self):
        files = project_files()
        self.assertIn("tests/proto/vectors/input/json.json", files)  # the vectors are part of the project
        self.assertEqual(references_outside(files), [])

    def test_the_check_finds_what_it_looks_for(self):
        tmp = os.path.join(SOURCE_DIR, "build-self-contained-probe.txt")
        sibling = "../" + "shared"  # spelled in two pieces so this file holds no such reference itself
        lines = ["see %s/DESIGN.md" % sibling, "vectors in /work/shared/protocol-tests", "~ is /home/alice/x",
                 "/root/.pyenv/shims", 'NB_X="${CMAKE_SOURCE_DIR}/%s"' % sibling, "a fine line: /tmp/nb-XXXXXX"]
        with open(tmp, "w") as f:
            f.write("\n".join(lines) + "\n")
        try:
            found = references_outside([os.path.basename(tmp)])
        finally:
            os.unlink(tmp)
        self.assertEqual([f.split(":")[1] for f in found], ["1", "2", "3", "4", "5"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
