"""SSM Parameter Store with the AWS CLIs (Debian's v2 and pyenv's v1 when present): put, get with
decryption and a selector, by path, describe (the CLI pages on its own), labels, and AWS's error."""
import json, os, sys, unittest

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import ServerTestCase, aws_clis, run_aws  # noqa: E402


class Cli(ServerTestCase):
    server_env = {"SERVICES": "ssm"}

    def test_parameter_store(self):
        clis = aws_clis()
        self.assertTrue(clis)
        for i, cli in enumerate(clis):
            with self.subTest(cli=cli):
                base = "/cli%d" % i
                ok = lambda *a: self.ok(cli, *a)  # noqa: E731
                self.assertEqual(ok("put-parameter", "--name", base + "/db/host", "--value", "h1", "--type",
                                    "String")["Version"], 1)
                ok("put-parameter", "--name", base + "/db/host", "--value", "h2", "--overwrite")
                ok("put-parameter", "--name", base + "/db/pass", "--value", "pw", "--type", "SecureString")
                p = ok("get-parameter", "--name", base + "/db/pass", "--with-decryption")["Parameter"]
                self.assertEqual(p["Value"], "pw")
                self.assertEqual(ok("get-parameter", "--name", base + "/db/host:1")["Parameter"]["Value"], "h1")
                # pages of one: the CLI follows NextToken by itself
                r = ok("get-parameters-by-path", "--path", base, "--recursive", "--with-decryption", "--page-size", "1")
                self.assertEqual(len(r["Parameters"]), 2)
                self.assertIn({"Name": base + "/db/pass", "Value": "pw"},
                              [{"Name": x["Name"], "Value": x["Value"]} for x in r["Parameters"]])
                d = ok("describe-parameters", "--parameter-filters", "Key=Path,Option=Recursive,Values=%s" % base,
                       "--page-size", "1")
                self.assertEqual([x["Name"] for x in d["Parameters"]], [base + "/db/host", base + "/db/pass"])
                ok("label-parameter-version", "--name", base + "/db/host", "--parameter-version", "1", "--labels",
                   "old")
                self.assertEqual(ok("get-parameter", "--name", base + "/db/host:old")["Parameter"]["Value"], "h1")
                r = run_aws(cli, self.n.url, "ssm", "get-parameter", "--name", base + "/none")
                self.assertNotEqual(r.returncode, 0)
                self.assertIn("An error occurred (ParameterNotFound) when calling the GetParameter operation",
                              r.stderr)

    def ok(self, cli, *args):
        r = run_aws(cli, self.n.url, "ssm", *args)
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout) if r.stdout.strip() else {}


if __name__ == "__main__":
    unittest.main()
