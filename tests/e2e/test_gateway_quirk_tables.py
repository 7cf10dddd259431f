"""The gateway names no service outside its quirk tables (core/gateway/quirks.c, and limits.c's
body limits): a service's special case is a row there, never a strcmp in the pipeline. Reads the
sources: every string literal in core/gateway/*.c (comments left out) that is a service's name under
specs/ must be in one of those two files."""
import os, re, sys, unittest

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import SOURCE_DIR  # noqa: E402

TABLES = {"quirks.c", "limits.c"}
COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)
LITERAL = re.compile(r'"((?:[^"\\\n]|\\.)*)"')


def service_literals(path, services):
    with open(path) as f:
        code = COMMENT.sub(" ", f.read())
    return sorted({s for s in LITERAL.findall(code) if s in services})


class GatewayNamesNoService(unittest.TestCase):
    def test_only_the_quirk_tables_name_services(self):
        specs = os.path.join(SOURCE_DIR, "specs")
        services = {d for d in os.listdir(specs) if os.path.isdir(os.path.join(specs, d))}
        self.assertIn("sqs", services)
        gateway = os.path.join(SOURCE_DIR, "core", "gateway")
        found = {f: service_literals(os.path.join(gateway, f), services)
                 for f in sorted(os.listdir(gateway)) if f.endswith(".c")}
        outside = {f: names for f, names in found.items() if names and f not in TABLES}
        self.assertEqual(outside, {}, "service names outside the quirk tables")
        # the check sees the names where they are allowed (S3's and SQS's rows, the root ARN's iam)
        self.assertEqual(found["quirks.c"], ["iam", "s3", "sqs"], "the quirk tables are where the check looks")


if __name__ == "__main__":
    unittest.main(verbosity=2)
