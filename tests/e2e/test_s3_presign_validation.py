"""S3_SKIP_SIGNATURE_VALIDATION=0 checks presigned URLs as LocalStack does: SigV4 and SigV2 query
signatures made with the test secret pass, a tampered signature, a wrong secret or a changed
parameter get 403 SignatureDoesNotMatch with AWS's XML (the text signed beside it), an expired URL
403 AccessDenied "Request has expired". With the default (1) they all pass as before, and requests
signed in their headers are never affected. Driven by Debian's boto3 1.29, again by pyenv's newer
one (rerun_with_newer_boto3), and by the AWS CLI's `aws s3 presign` fetched with curl."""
import http.client, os, re, subprocess, sys, time, unittest, urllib.parse, xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import HTTPS, Nimbus, aws_clis, aws_env, rerun_with_newer_boto3  # noqa: E402

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402

CHILD = os.environ.get("NB_PRESIGN_CHILD") == "1"
BUCKET = "presign-checks"
MISMATCH = ("The request signature we calculated does not match the signature you provided. "
            "Check your key and signing method.")


def client(url, version, secret="test", endpoint=None, addressing="path"):
    return boto3.client("s3", endpoint_url=endpoint or url, region_name="us-east-1", aws_access_key_id="test",
                        aws_secret_access_key=secret,
                        config=Config(signature_version=version, s3={"addressing_style": addressing}))


def fetch(url, method="GET", body=None, headers=None, connect_port=None):
    """(status, body, error fields) of one request to url as given (no header added but Host and
    Content-Length); connect_port: reach 127.0.0.1 there, the URL's host still sent as Host."""
    u = urllib.parse.urlsplit(url)
    if HTTPS:
        import ssl
        conn = http.client.HTTPSConnection("127.0.0.1", connect_port or u.port, timeout=30,
                                           context=ssl.create_default_context(cafile=os.environ.get("AWS_CA_BUNDLE")),
                                           )
    else:
        conn = http.client.HTTPConnection("127.0.0.1", connect_port or u.port, timeout=30)
    conn.putrequest(method, u.path + ("?" + u.query if u.query else ""), skip_host=True, skip_accept_encoding=True)
    conn.putheader("Host", u.netloc)
    for k, v in (headers or {}).items():
        conn.putheader(k, v)
    if body is not None:
        conn.putheader("Content-Length", str(len(body)))
    conn.endheaders(body)
    r = conn.getresponse()
    data = r.read()
    conn.close()
    fields = {}
    if r.status >= 400 and data.startswith(b"<?xml"):
        fields = {e.tag: e.text or "" for e in ET.fromstring(data)}
    return r.status, data, fields


def hex_bytes(text):
    return " ".join("%02x" % b for b in text.encode())


class Server:
    """One server per setting, shared by the cases of a class."""

    @classmethod
    def start_server(cls, **env):
        cls.n = Nimbus(SERVICES="s3", **env).start()
        cls.url = cls.n.url
        # the bucket and object come from header-signed calls, with a wrong secret: never checked
        cls.s3 = client(cls.url, "s3v4", secret="not-the-secret")
        cls.s3.create_bucket(Bucket=BUCKET)
        cls.s3.put_object(Bucket=BUCKET, Key="dir/k 1+x", Body=b"hello")

    @classmethod
    def tearDownClass(cls):
        cls.n.stop()

    def presign(self, version, op="get_object", key="dir/k 1+x", secret="test", expires=300, **params):
        return client(self.url, version, secret).generate_presigned_url(
            op, Params=dict(Bucket=BUCKET, Key=key, **params), ExpiresIn=expires)


class Checked(Server, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.start_server(S3_SKIP_SIGNATURE_VALIDATION="0")

    def assert_mismatch(self, url, provided):
        status, _, f = fetch(url)
        self.assertEqual(status, 403, f)
        self.assertEqual(f["Code"], "SignatureDoesNotMatch")
        self.assertEqual(f["Message"], MISMATCH)
        self.assertEqual(f["AWSAccessKeyId"], "test")
        self.assertEqual(f["SignatureProvided"], provided)
        self.assertEqual(f["StringToSignBytes"], hex_bytes(f["StringToSign"]))
        return f

    def test_sigv4_get_and_put_signed_with_the_test_secret_pass(self):
        status, body, _ = fetch(self.presign("s3v4", ResponseContentType="text/x y"))
        self.assertEqual((status, body), (200, b"hello"))
        status, _, f = fetch(self.presign("s3v4", "put_object", key="up/v4"), "PUT", b"via url",
                             {"Content-Type": "application/octet-stream"})  # not signed in SigV4: free
        self.assertEqual(status, 200, f)
        self.assertEqual(self.s3.get_object(Bucket=BUCKET, Key="up/v4")["Body"].read(), b"via url")

    def test_sigv4_tampered_signature_wrong_secret_or_changed_parameter_is_signature_does_not_match(self):
        url = self.presign("s3v4", ResponseContentType="text/plain")
        sent = re.search(r"X-Amz-Signature=([0-9a-f]+)", url).group(1)
        bad = ("0" if sent[0] != "0" else "1") + sent[1:]
        f = self.assert_mismatch(url.replace(sent, bad), bad)
        self.assertTrue(f["StringToSign"].startswith("AWS4-HMAC-SHA256\n"), f["StringToSign"])
        self.assertRegex(f["StringToSign"], r"\n\d{8}/us-east-1/s3/aws4_request\n[0-9a-f]{64}$")
        self.assertTrue(f["CanonicalRequest"].startswith("GET\n/%s/dir/k%%201%%2Bx\n" % BUCKET), f["CanonicalRequest"])
        self.assertTrue(f["CanonicalRequest"].endswith("\nhost\nUNSIGNED-PAYLOAD"), f["CanonicalRequest"])
        self.assertEqual(f["CanonicalRequestBytes"], hex_bytes(f["CanonicalRequest"]))

        wrong = self.presign("s3v4", secret="wrong")
        self.assert_mismatch(wrong, re.search(r"X-Amz-Signature=([0-9a-f]+)", wrong).group(1))

        changed = url.replace("text%2Fplain", "text%2Fhtml")
        self.assertNotEqual(changed, url)
        f = self.assert_mismatch(changed, sent)
        self.assertIn("response-content-type=text%2Fhtml", f["CanonicalRequest"])
        put = self.presign("s3v4", "put_object", key="up/target")
        self.assert_mismatch(put.replace("up/target", "up/other"), re.search(r"X-Amz-Signature=(\w+)", put).group(1))

    def test_expired_url_is_access_denied(self):
        for version in ("s3v4", "s3"):
            url = self.presign(version, expires=1)
            time.sleep(2.1)
            status, _, f = fetch(url)
            self.assertEqual((status, f.get("Code"), f.get("Message")), (403, "AccessDenied", "Request has expired"))
            self.assertIn("ServerTime", f)

    def test_sigv2_signed_right_passes_and_tampered_or_wrong_secret_does_not(self):
        status, body, _ = fetch(self.presign("s3", ResponseContentType="text/x y"))
        self.assertEqual((status, body), (200, b"hello"))
        status, _, f = fetch(self.presign("s3", "put_object", key="up/v2"), "PUT", b"v2 body")
        self.assertEqual(status, 200, f)
        self.assertEqual(self.s3.get_object(Bucket=BUCKET, Key="up/v2")["Body"].read(), b"v2 body")

        url = self.presign("s3")
        sent = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["Signature"][0]
        bad = ("A" if sent[0] != "A" else "B") + sent[1:]
        f = self.assert_mismatch(url.replace("Signature=" + urllib.parse.quote(sent, safe=""),
                                             "Signature=" + urllib.parse.quote(bad, safe="")), bad)
        expires = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["Expires"][0]
        self.assertEqual(f["StringToSign"], "GET\n\n\n%s\n/%s/dir/k%%201%%2Bx" % (expires, BUCKET))
        self.assertNotIn("CanonicalRequest", f)
        wrong = self.presign("s3", secret="wrong")
        self.assert_mismatch(wrong, urllib.parse.parse_qs(urllib.parse.urlsplit(wrong).query)["Signature"][0])
        # SigV2 signs Content-Type: one the URL was not signed with breaks it, as on AWS
        status, _, f = fetch(self.presign("s3", "put_object", key="up/v2"), "PUT", b"x", {"Content-Type": "text/plain"})
        self.assertEqual((status, f.get("Code")), (403, "SignatureDoesNotMatch"))

    def test_virtual_host_urls_sign_the_host_and_v2_the_bucket(self):
        port = urllib.parse.urlsplit(self.url).port
        scheme = urllib.parse.urlsplit(self.url).scheme
        endpoint = "%s://s3.localhost.localstack.cloud:%d" % (scheme, port)
        for version in ("s3v4", "s3"):
            c = client(self.url, version, endpoint=endpoint, addressing="virtual")
            url = c.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": "dir/k 1+x"}, ExpiresIn=300)
            self.assertIn("//%s.s3.localhost" % BUCKET, url)
            status, body, f = fetch(url, connect_port=port)
            self.assertEqual((status, body), (200, b"hello"), (version, f))
            bad = client(self.url, version, secret="wrong", endpoint=endpoint, addressing="virtual")
            url = bad.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": "dir/k 1+x"}, ExpiresIn=300)
            status, _, f = fetch(url, connect_port=port)
            self.assertEqual((status, f.get("Code")), (403, "SignatureDoesNotMatch"), version)

    def test_unsigned_amz_headers_and_missing_parameters(self):
        status, _, f = fetch(self.presign("s3v4"), headers={"x-amz-meta-extra": "1"})
        self.assertEqual((status, f.get("Code"), f.get("HeadersNotSigned")), (403, "AccessDenied", "x-amz-meta-extra"))
        self.assertEqual(f["Message"], "There were headers present in the request which were not signed")
        no_sig = re.sub(r"&X-Amz-Signature=\w+", "", self.presign("s3v4"))
        status, _, f = fetch(no_sig)
        self.assertEqual((status, f.get("Code")), (400, "AuthorizationQueryParametersError"))
        self.assertIn("requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature", f["Message"])
        no_key = re.sub(r"AWSAccessKeyId=\w+&?", "", self.presign("s3"))
        status, _, f = fetch(no_key)
        self.assertEqual((status, f.get("Code")), (403, "AccessDenied"))
        self.assertEqual(f["Message"],
                         "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters")

    def test_header_signed_requests_are_not_checked(self):
        wrong = client(self.url, "s3v4", secret="wrong")
        wrong.put_object(Bucket=BUCKET, Key="hdr", Body=b"header-signed")
        self.assertEqual(wrong.get_object(Bucket=BUCKET, Key="hdr")["Body"].read(), b"header-signed")
        self.assertEqual(client(self.url, "s3", secret="wrong").get_object(Bucket=BUCKET, Key="hdr")["Body"].read(),
                         b"header-signed")


class Default(Server, unittest.TestCase):
    """LocalStack's default, 1: no signature checked, as before; expiry still is (the S3 plugin's)."""

    @classmethod
    def setUpClass(cls):
        cls.start_server()

    def test_bad_signatures_pass_with_the_default(self):
        for version in ("s3v4", "s3"):
            url = self.presign(version, secret="wrong", ResponseContentType="text/plain")
            self.assertEqual(fetch(url)[:2], (200, b"hello"), version)
            self.assertEqual(fetch(url.replace("text%2Fplain", "text%2Fhtml"))[:2], (200, b"hello"), version)
            tampered = re.sub(r"(X-Amz-Signature=|Signature=)(.)", lambda m: m.group(1) + ("0" if m.group(2) != "0"
                                                                                          else "1"), url)
            self.assertNotEqual(tampered, url)
            self.assertEqual(fetch(tampered)[:2], (200, b"hello"), version)
            status, _, f = fetch(self.presign(version, "put_object", key="up/d", secret="wrong"), "PUT", b"d",
                                 {"Content-Type": "text/plain"})
            self.assertEqual(status, 200, f)

    def test_expired_is_still_refused(self):
        url = self.presign("s3v4", expires=1)
        time.sleep(2.1)
        status, _, f = fetch(url)
        self.assertEqual((status, f.get("Code"), f.get("Message")), (403, "AccessDenied", "Request has expired"))


@unittest.skipIf(CHILD, "runs once, in the parent")
class CliAndNewerClients(unittest.TestCase):
    def test_aws_s3_presign_url_fetched_with_curl(self):
        clis = aws_clis()
        self.assertTrue(clis, "no AWS CLI")
        with Nimbus(SERVICES="s3", S3_SKIP_SIGNATURE_VALIDATION="0") as n:
            client(n.url, "s3v4").create_bucket(Bucket=BUCKET)
            client(n.url, "s3v4").put_object(Bucket=BUCKET, Key="cli/obj.txt", Body=b"from the cli")
            for cli in clis:
                r = subprocess.run([cli, "--endpoint-url", n.url, "s3", "presign", "s3://%s/cli/obj.txt" % BUCKET,
                                    "--expires-in", "300"], env=aws_env(), capture_output=True, text=True, timeout=60)
                self.assertEqual(r.returncode, 0, r.stderr)
                url = r.stdout.strip()
                # Debian's CLI v2 presigns with SigV4, pyenv's v1 with SigV2: both are checked
                self.assertRegex(url, r"[?&](X-Amz-)?Signature=", cli)
                curl = ["curl", "-s", "-o", "-", "-w", "\n%{http_code}"]
                if HTTPS:
                    curl += ["--cacert", n.ca]
                out = subprocess.run(curl + [url], capture_output=True, text=True, timeout=60).stdout
                self.assertEqual(out.rsplit("\n", 1), ["from the cli", "200"], cli)
                tampered = re.sub(r"([?&](?:X-Amz-)?Signature=)(.)",
                                  lambda m: m.group(1) + ("0" if m.group(2) != "0" else "1"), url)
                out = subprocess.run(curl + [tampered], capture_output=True, text=True, timeout=60).stdout
                self.assertIn("<Code>SignatureDoesNotMatch</Code>", out, cli)
                self.assertTrue(out.endswith("\n403"), out)

    def test_newer_boto3(self):
        rerun_with_newer_boto3(self, __file__, "Checked", env=dict(os.environ, NB_PRESIGN_CHILD="1"))
        rerun_with_newer_boto3(self, __file__, "Default", env=dict(os.environ, NB_PRESIGN_CHILD="1"))


if __name__ == "__main__":
    unittest.main()
