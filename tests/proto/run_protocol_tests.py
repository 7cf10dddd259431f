#!/usr/bin/python3
"""AWS protocol test vectors, run in reverse against nimbus-marshal.

Input cases: the SDK's `serialized` request goes through `nimbus-marshal parse`;
the result must equal the case's `params`. Output cases: the case's `result` (or
error) goes through `nimbus-marshal serialize`; botocore's own response parser
must read the produced response back to the same `result` (or error).

usage: run_protocol_tests.py --marshal PATH [--vectors DIR] [--protocol P ...] [-v] [--case ID] [--wrapper CMD]
Prints "<protocol>: N passed, M failed, K skipped"; exits 1 if anything failed.
"""
import argparse
import base64
import datetime
import json
import math
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_VECTORS = os.path.join(HERE, 'vectors')  # botocore's suites, kept in the tree (vectors/README.md)

# Cases Nimbus skips on purpose (beyond botocore's own ignore list): id (or "input:id",
# "output:id" for one kind only) -> reason.
_QUERY_MAP_DUP = 'params repeat named query parameters inside the catch-all map; Nimbus gives the map only the rest'
_BOTOCORE_OLD = 'botocore 1.29 parser cannot read this (newer botocore can)'
_ALL_HEADERS = 'a header map with an empty prefix also reads Content-Length/x-amzn-RequestId every response has'
SKIP = {
    # query / ec2 / rest-xml: an empty aggregate that leaves nothing on the wire cannot be told from an absent one
    'QueryEmptyQueryMaps': 'awsQuery sends nothing for an empty map: a server cannot tell it from an absent one',
    'Ec2EmptyQueryLists': 'ec2 sends nothing for an empty list: a server cannot tell it from an absent one',
    'input:HttpPrefixHeadersAreNotPresent': 'an empty prefix-header map sends no header: same on the wire as an absent map',
    'legacy/input/rest-xml.json/input#26.1': 'an empty header list sends no header: same on the wire as an absent list',
    'IgnoreQueryParamsInResponse': "botocore's XML parser skips members bound to the uri in responses, so it cannot "
                                   "read back the expected result whatever the server sends",
    'legacy/output/rest-xml.json/output#16.2': 'SDK_UNKNOWN_MEMBER is the client-side stand-in for a union member '
                                               'the client does not model; no server sends it',
    'RestJsonAllQueryStringTypes': _QUERY_MAP_DUP,
    'RestJsonQueryStringEscaping': _QUERY_MAP_DUP,
    'RestJsonSupportsNaNFloatQueryValues': _QUERY_MAP_DUP,
    'RestJsonSupportsInfinityFloatQueryValues': _QUERY_MAP_DUP,
    'RestJsonSupportsNegativeInfinityFloatQueryValues': _QUERY_MAP_DUP,
    'RestJsonZeroAndFalseQueryValues': _QUERY_MAP_DUP,
    'RestJsonQueryPrecedence': 'client-side precedence: the map value the SDK dropped never reaches the wire',
    'RestXmlQueryPrecedence': 'client-side precedence: the map value the SDK dropped never reaches the wire',
    'RestJsonInputAndOutputWithNumericHeaders': _BOTOCORE_OLD + ' (float headers stay strings)',
    'RestJsonInputAndOutputWithBooleanHeaders': _BOTOCORE_OLD + ' (boolean headers stay strings)',
    'PostUnionWithJsonNameResponse1': _BOTOCORE_OLD + ' (jsonName on union members)',
    'PostUnionWithJsonNameResponse2': _BOTOCORE_OLD + ' (jsonName on union members)',
    'HttpPrefixHeadersResponse': _ALL_HEADERS,
    'legacy/output/rest-json.json/output#9.0': _ALL_HEADERS,
    'legacy/input/rest-json.json/input#10.0': 'streaming blob payload stays the request body, not a member',
    'legacy/input/rest-json.json/input#25.7': 'the SDK adds a Content-Type header the params do not list',
    'legacy/output/json.json/output#3.1': 'malformed vector: a "string" shape with key/value holds maps',
    'legacy/output/rest-json.json/output#17.2': 'unknown union member: botocore-side fallback, nothing to serialize',
}

# Cases on botocore's ignore list that Nimbus runs anyway: botocore skips them for what its own
# serializer or parser lacks (capitalised ec2 names, xmlName on payloads, host prefixes), which
# says nothing about the server side. id -> what the case checks.
RUN_ANYWAY = {
    'Ec2Lists': 'ec2 list and capitalised member names',
    'Ec2TimestampsInput': 'ec2 capitalised member names for timestamps',
    'Ec2QueryEndpointTraitWithHostLabel': 'host-label member sent in the body too',
    'Ec2QueryHostWithPath': 'request on a host with a path',
    'Ec2ProtocolIdempotencyTokenAutoFillIsSet': 'a token the client did set',
    'Ec2ComplexError': 'nested members in an ec2 error',
    'legacy/input/ec2.json/input#8.0': 'a token the client did set',
    'QueryHostWithPath': 'request on a host with a path',
    'QueryProtocolIdempotencyTokenAutoFillIsSet': 'a token the client did set',
    'QueryFlattenedListArgWithXmlName': 'flattened list named by the member locationName',
    'QueryComplexError': 'nested members in a query error',
    'legacy/input/query.json/input#12.0': 'a token the client did set',
    'BodyWithXmlName': 'body root named by the input locationName',
    'RestXmlHttpPayloadWithUnion': 'union payload',
    'HttpPayloadWithXmlName': 'payload root named by the shape locationName',
    'HttpPayloadWithXmlNamespace': 'payload root with xmlNamespace',
    'HttpPayloadWithXmlNamespaceAndPrefix': 'payload root with a prefixed xmlNamespace',
    'NullAndEmptyHeaders': 'empty header values',
    'XmlAttributesOnPayload': 'xmlAttribute on a payload root',
    'ComplexError': 'rest-xml error with header and nested members',
    'QueryIdempotencyTokenAutoFillIsSet': 'a token the client did set',
    'legacy/input/rest-xml.json/input#23.0': 'a token the client did set',
}

# Suites on botocore's ignore list that Nimbus runs anyway: description -> what they check.
RUN_ANYWAY_SUITES = {
    # botocore lists them for its client-side compression; the vectors give no body, so the runner
    # serializes the params with botocore and gzips them (compressed_request)
    'Test cases for PutWithContentEncoding operation': 'a gzip request body decoded before it is parsed',
}

# Whole suites skipped by description: description -> reason.
SKIP_SUITES = {
}


def proto_of(suite, protocol):
    return suite.get('metadata', {}).get('protocol', protocol)


def load_ignore_list(vectors):
    """botocore's protocol-tests-ignore-list.json as (suites, {protocol: {kind: cases}})."""
    path = os.path.join(vectors, 'protocol-tests-ignore-list.json')
    try:
        with open(path) as f:
            data = json.load(f)
    except OSError:
        return set(), {}
    suites = set()
    for kind in ('input', 'output'):
        suites.update(data.get('general', {}).get(kind, {}).get('suites', []))
    cases = {}
    for proto, kinds in data.get('protocols', {}).items():
        for kind, v in kinds.items():
            cases.setdefault(proto, {}).setdefault(kind, set()).update(v.get('cases', []))
            suites.update(v.get('suites', []))
    return suites, cases


def suite_files(vectors, protocol):
    """(kind, path) for every file of that protocol: <protocol>.json and <protocol>-*.json."""
    out = []
    for sub, kind in (('input', 'input'), ('output', 'output'), ('legacy/input', 'input'),
                      ('legacy/output', 'output')):
        d = os.path.join(vectors, sub)
        if not os.path.isdir(d):
            continue
        for name in sorted(os.listdir(d)):
            stem = name[:-5] if name.endswith('.json') else None
            if stem and (stem == protocol or stem.startswith(protocol + '-')):
                out.append((kind, os.path.join(d, name)))
    return out


class Shapes:
    def __init__(self, shapes):
        self.shapes = shapes

    def get(self, ref):
        if ref is None:
            return None
        return self.shapes.get(ref.get('shape'))


def to_canonical(shapes, ref, shape, v):
    """A test vector's value (blobs as text, timestamps as epoch) -> canonical JSON."""
    if shape is None or v is None:
        return v
    if (ref or {}).get('jsonvalue') or shape.get('jsonvalue'):
        return v
    t = shape.get('type')
    if t == 'structure' and isinstance(v, list) and shape.get('eventstream'):
        return [to_canonical(shapes, None, shape, e) for e in v]
    if t == 'structure' and isinstance(v, dict) and not shape.get('document'):
        out = {}
        for k, mv in v.items():
            if mv is None:
                continue  # a null member is how vectors write "absent"; sparse maps/lists keep theirs
            mref = shape.get('members', {}).get(k)
            out[k] = to_canonical(shapes, mref, shapes.get(mref), mv) if mref else mv
        return out
    if t == 'list' and isinstance(v, list):
        mref = shape.get('member')
        return [to_canonical(shapes, mref, shapes.get(mref), e) for e in v]
    if t == 'map' and isinstance(v, dict):
        vref = shape.get('value')
        return {k: to_canonical(shapes, vref, shapes.get(vref), e) for k, e in v.items()}
    if t == 'blob' and isinstance(v, str):
        return base64.b64encode(v.encode('utf-8')).decode('ascii')
    return v


class RawStream:
    """What botocore's EventStream reads an event-stream body from."""
    def __init__(self, data):
        self.data = data

    def stream(self, *args, **kwargs):
        yield self.data

    def close(self):
        pass


def has_event_stream(shape):
    if shape is None or shape.type_name != 'structure':
        return False
    if shape.event_stream_name:
        return True
    payload = shape.serialization.get('payload')
    return bool(payload and shape.members[payload].serialization.get('eventstream'))


def from_botocore(v):
    """botocore's parsed value -> the vector's conventions (bytes -> text, datetime -> epoch)."""
    import botocore.eventstream
    if isinstance(v, botocore.eventstream.EventStream):
        return [from_botocore(e) for e in v]
    if isinstance(v, dict):
        return {k: from_botocore(e) for k, e in v.items()}
    if isinstance(v, list):
        return [from_botocore(e) for e in v]
    if isinstance(v, (bytes, bytearray)):
        try:
            return bytes(v).decode('utf-8')
        except UnicodeDecodeError:
            return base64.b64encode(bytes(v)).decode('ascii')
    if isinstance(v, datetime.datetime):
        if v.tzinfo is None:
            v = v.replace(tzinfo=datetime.timezone.utc)
        return v.timestamp()
    if hasattr(v, 'read'):
        return from_botocore(v.read())
    return v


def prune(v, keep_empty=False):
    """Absent and null members are the same thing on the wire: drop them. Empty lists and
    maps too, unless the protocol writes them (keep_empty: a JSON or CBOR body carries
    [] and {}, so a parser that dropped them must fail)."""
    if isinstance(v, dict):
        out = {}
        for k, e in v.items():
            e = prune(e, keep_empty)
            if e is None or (not keep_empty and (e == {} or e == [])):
                continue
            out[k] = e
        return out
    if isinstance(v, list):
        return [prune(e, keep_empty) for e in v]
    return v


def same_number(a, b):
    """Integers exactly. Otherwise (floats, epoch-second timestamps) equal up to the rounding of one
    decimal<->binary conversion: within a few ulps (relative 1e-12) and never more than a microsecond
    apart (a datetime's resolution), so a timestamp off by a second or a float off in its 7th digit
    fails."""
    if isinstance(a, int) and isinstance(b, int):
        return a == b
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    d = abs(a - b)
    return a == b or (d <= 1e-12 * max(abs(a), abs(b)) or d < 1e-300) and d <= 1e-6


def same(a, b):
    """Deep equality with numbers compared by value (timestamps, floats, NaN strings)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b or a == b and type(a) is type(b)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return same_number(a, b)
    if isinstance(a, float) and isinstance(b, str) or isinstance(a, str) and isinstance(b, float):
        f = a if isinstance(a, float) else b
        s = b if isinstance(a, float) else a
        return (s == 'NaN' and math.isnan(f)) or (s == 'Infinity' and f == math.inf) or \
            (s == '-Infinity' and f == -math.inf)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def raw_request(ser):
    uri = ser.get('uri', '/')
    headers = dict(ser.get('headers') or {})
    body = ser.get('body') or ''
    body = body.encode('utf-8') if isinstance(body, str) else bytes(body)
    lines = ['%s %s HTTP/1.1' % (ser.get('method', 'POST'), uri)]
    if not any(k.lower() == 'host' for k in headers):
        lines.append('Host: %s' % ser.get('host', 'example.com'))
    for k, v in headers.items():
        if k.lower() != 'content-length':
            lines.append('%s: %s' % (k, v))
    lines.append('Content-Length: %d' % len(body))
    return ('\r\n'.join(lines) + '\r\n\r\n').encode('utf-8') + body


def compressed_request(suite, case):
    """The request of a case the SDK compresses (requestcompression): the vectors check only the
    headers, so its body is the params serialized by botocore, gzip'd, under the vector's headers."""
    import gzip
    import botocore.model
    import botocore.serialize
    given = case['given']
    model = botocore.model.ServiceModel({'metadata': suite['metadata'], 'shapes': suite['shapes'],
                                         'operations': {given['name']: given}})
    op = model.operation_model(given['name'])
    req = botocore.serialize.create_serializer(model.metadata['protocol']).serialize_to_request(
        case.get('params', {}), op)
    body = req['body']
    if isinstance(body, dict):  # query/ec2: the form's fields
        from urllib.parse import urlencode
        body = urlencode(body)
    body = body.encode('utf-8') if isinstance(body, str) else bytes(body or b'')
    headers = dict(req['headers'])
    headers.update(case['serialized'].get('headers') or {})
    if model.metadata['protocol'] in ('query', 'ec2'):
        headers.setdefault('Content-Type', 'application/x-www-form-urlencoded; charset=utf-8')
    ser = dict(case['serialized'], headers=headers)
    ser['body'] = gzip.compress(body)
    return ser


def parse_raw_response(raw):
    head, _, body = raw.partition(b'\r\n\r\n')
    lines = head.decode('utf-8', 'replace').split('\r\n')
    status = int(lines[0].split(' ')[1])
    from botocore.awsrequest import HeadersDict
    headers = HeadersDict()
    for line in lines[1:]:
        if ':' in line:
            k, v = line.split(':', 1)
            headers[k.strip()] = v.strip()
    return {'status_code': status, 'headers': headers, 'body': body}


# ---------------------------------------------------------------------------
# smithy-rpc-v2-cbor section (maintained with core/proto/cbor.c)
#
# Vectors carry CBOR bodies base64-encoded. Debian's botocore (1.29) has no CBOR
# response parser, so output cases are read back by, in order: this botocore if
# it has one; a newer botocore under another interpreter ($NB_CBOR_PYTHON, else
# the `python3` on PATH), driven through this script's --cbor-parse mode; else
# a small decoder here that reads the body the way the SDKs do (shapes, tag 1
# timestamps, __type after '#', x-amzn-query-error).
# ---------------------------------------------------------------------------
CBOR = 'smithy-rpc-v2-cbor'


def cbor_serialized(ser):
    """The case's request with its base64 body as bytes."""
    ser = dict(ser)
    ser['body'] = base64.b64decode(ser.get('body') or '')
    return ser


class CborDecodeError(Exception):
    pass


def cbor_decode(data):
    """Minimal CBOR decoder: definite/indefinite strings, arrays, maps; tags kept as ('tag', n, v)."""
    import struct
    pos = [0]

    def take(n):
        if pos[0] + n > len(data):
            raise CborDecodeError('truncated CBOR')
        b = data[pos[0]:pos[0] + n]
        pos[0] += n
        return b

    def arg(info):
        if info < 24:
            return info
        if info in (24, 25, 26, 27):
            return int.from_bytes(take(1 << (info - 24)), 'big')
        if info == 31:
            return None
        raise CborDecodeError('reserved additional info %d' % info)

    def item(depth=0):
        if depth > 200:
            raise CborDecodeError('too deep')
        ib = take(1)[0]
        major, info = ib >> 5, ib & 31
        if ib == 0xff:
            return StopIteration
        if major == 0:
            return arg(info)
        if major == 1:
            return -1 - arg(info)
        if major in (2, 3):
            n = arg(info)
            if n is None:
                chunks = []
                while True:
                    c = item(depth + 1)
                    if c is StopIteration:
                        break
                    chunks.append(c if isinstance(c, bytes) else c.encode('utf-8'))
                raw = b''.join(chunks)
            else:
                raw = take(n)
            return raw if major == 2 else raw.decode('utf-8')
        if major == 4:
            n = arg(info)
            out = []
            while n is None or len(out) < n:
                v = item(depth + 1)
                if v is StopIteration:
                    break
                out.append(v)
            return out
        if major == 5:
            n = arg(info)
            out = {}
            while n is None or len(out) < n:
                k = item(depth + 1)
                if k is StopIteration:
                    break
                out[k] = item(depth + 1)
            return out
        if major == 6:
            return ('tag', arg(info), item(depth + 1))
        if info == 20:
            return False
        if info == 21:
            return True
        if info in (22, 23):
            return None
        if info == 25:
            return struct.unpack('>e', take(2))[0]
        if info == 26:
            return struct.unpack('>f', take(4))[0]
        if info == 27:
            return struct.unpack('>d', take(8))[0]
        raise CborDecodeError('unsupported simple value %d' % info)

    v = item()
    if pos[0] != len(data):
        raise CborDecodeError('%d trailing bytes' % (len(data) - pos[0]))
    return v


class CborFallbackParser:
    """Reads a CBOR response like botocore's RpcV2CBORParser, for a botocore without one."""

    def parse(self, response, shape):
        body = response['body']
        doc = cbor_decode(body) if body else {}
        if response['status_code'] >= 300:
            return self._error(response, doc, shape)
        if shape is None:
            return {}
        return self._value(shape, doc)

    def _error(self, response, doc, shape):
        code = doc.get('__type') or str(response['status_code'])
        code = code.split(':', 1)[0].rsplit('#', 1)[-1]
        qe = response['headers'].get('x-amzn-query-error')
        if qe:
            code = qe.split(';', 1)[0]
        out = {'Error': {'Code': code, 'Message': doc.get('message', doc.get('Message', ''))}}
        if shape is not None and shape.type_name == 'structure' and shape.metadata.get('exception'):
            out.update(self._value(shape, doc))
        return out

    def _value(self, shape, v):
        if isinstance(v, tuple) and v[0] == 'tag':
            if v[1] != 1:
                raise CborDecodeError('unexpected CBOR tag %d' % v[1])
            v = v[2]
            if not isinstance(v, (int, float)):
                raise CborDecodeError('tag 1 on a non-number')
            return datetime.datetime.fromtimestamp(v, datetime.timezone.utc)
        t = shape.type_name
        if t == 'structure':
            out = {}
            for name, member in shape.members.items():
                key = member.serialization.get('name', name)
                if isinstance(v, dict) and v.get(key) is not None:
                    out[name] = self._value(member, v[key])
            return out
        if t == 'list':
            return [self._value(shape.member, e) for e in v if e is not None]
        if t == 'map':
            return {k: self._value(shape.value, e) for k, e in v.items() if e is not None}
        if t == 'timestamp' and isinstance(v, (int, float)):
            return datetime.datetime.fromtimestamp(v, datetime.timezone.utc)
        return v


class CborBotocoreProxy:
    """A newer botocore's RpcV2CBORParser, run under another interpreter."""

    def __init__(self, python, suite, given):
        self.python, self.suite, self.given = python, suite, given

    def parse(self, response, shape):
        req = {'metadata': self.suite['metadata'], 'shapes': self.suite['shapes'], 'given': self.given,
               'shape': shape.name if shape is not None else None, 'status_code': response['status_code'],
               'headers': dict(response['headers'].items()),
               'body': base64.b64encode(response['body']).decode('ascii')}
        p = subprocess.run([self.python, os.path.abspath(__file__), '--cbor-parse'], input=json.dumps(req).encode(),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        if p.returncode != 0:
            raise RuntimeError(p.stderr.decode('utf-8', 'replace').strip().splitlines()[-1:])
        return json.loads(p.stdout)


_cbor_python = []


def cbor_other_python():
    """An interpreter whose botocore parses smithy-rpc-v2-cbor, or None (probed once)."""
    if not _cbor_python:
        import shutil
        found = None
        for cand in (os.environ.get('NB_CBOR_PYTHON'), shutil.which('python3')):
            if not cand or os.path.realpath(cand) == os.path.realpath(sys.executable):
                continue
            try:
                p = subprocess.run([cand, '-c', 'import botocore.parsers as p; '
                                    'print("%s" in p.PROTOCOL_PARSERS)' % CBOR],
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=30)
            except (OSError, subprocess.SubprocessError):
                continue
            if p.stdout.strip() == b'True':
                found = cand
                break
        _cbor_python.append(found)
        how = 'botocore under %s' % found if found else 'the runner\'s own CBOR reader'
        print('%s: botocore %s has no CBOR parser; responses read back with %s' % (
            CBOR, __import__('botocore').__version__, how))
    return _cbor_python[0]


def cbor_response_parser(suite, given):
    """A parser for a CBOR output case when this botocore lacks one."""
    other = cbor_other_python()
    return CborBotocoreProxy(other, suite, given) if other else CborFallbackParser()


def cbor_parse_main():
    """--cbor-parse: parse one response (JSON on stdin) with this interpreter's botocore."""
    import botocore.model
    import botocore.parsers
    from botocore.awsrequest import HeadersDict
    req = json.load(sys.stdin)
    model = botocore.model.ServiceModel({'metadata': req['metadata'], 'shapes': req['shapes'],
                                         'operations': {req['given']['name']: req['given']}})
    shape = model.shape_for(req['shape']) if req['shape'] else None
    headers = HeadersDict()
    for k, v in req['headers'].items():
        headers[k] = v
    parser = botocore.parsers.create_parser(CBOR)
    parsed = parser.parse({'status_code': req['status_code'], 'headers': headers,
                           'body': base64.b64decode(req['body'])}, shape)
    json.dump(from_botocore(parsed), sys.stdout)
    return 0

# ---------------------------------------------------------------------------
# end of the smithy-rpc-v2-cbor section
# ---------------------------------------------------------------------------


class Runner:
    def __init__(self, marshal, vectors, verbose, only_case, wrapper=''):
        import shlex
        self.marshal = shlex.split(wrapper) + [marshal]
        self.vectors = vectors
        self.verbose = verbose
        self.only_case = only_case
        self.ignore_suites, self.ignore_cases = load_ignore_list(vectors)
        self.tmp = tempfile.mkdtemp(prefix='nb-proto-')

    def run_marshal(self, args, stdin):
        p = subprocess.run(self.marshal + args, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=120)
        return p.returncode, p.stdout, p.stderr.decode('utf-8', 'replace').strip()

    def write_case(self, suite, case):
        path = os.path.join(self.tmp, 'case.json')
        with open(path, 'w') as f:
            json.dump({'description': suite.get('description'), 'metadata': suite['metadata'],
                       'shapes': suite['shapes'], 'cases': [case]}, f)
        return path

    def input_case(self, suite, case, proto):
        path = self.write_case(suite, case)
        ser = cbor_serialized(case['serialized']) if proto == CBOR else case['serialized']
        if 'requestcompression' in case['given'] and 'body' not in case['serialized']:
            ser = compressed_request(suite, case)
        rc, out, err = self.run_marshal(['parse', '--spec', path, '--case', case['id'], '--protocol', proto],
                                        raw_request(ser))
        if rc != 0:
            return 'nimbus-marshal parse failed: ' + err
        got = json.loads(out)
        shapes = Shapes(suite['shapes'])
        given = case['given']
        in_ref = given.get('input')
        expected = to_canonical(shapes, None, shapes.get(in_ref), case.get('params', {}))
        keep = proto in ('json', CBOR)  # every member is in the body; rest-json binds some to headers/query
        if not same(prune(got, keep), prune(expected, keep)):
            return 'params differ:\n      got      %s\n      expected %s' % (json.dumps(got, sort_keys=True),
                                                                          json.dumps(expected, sort_keys=True))
        return None

    def output_case(self, suite, case, proto):
        import botocore.model
        import botocore.parsers
        if proto not in botocore.parsers.PROTOCOL_PARSERS and proto != CBOR:
            return 'skip: botocore %s has no parser for %s' % (botocore.__version__, proto)
        path = self.write_case(suite, case)
        shapes = Shapes(suite['shapes'])
        given = case['given']
        args = ['serialize', '--spec', path, '--case', case['id'], '--protocol', proto]
        status = case.get('response', {}).get('status_code')
        is_error = 'error' in case or 'errorCode' in case
        if is_error:
            code = case.get('errorCode')
            err_shape = shapes.shapes.get(code) or next(
                (s for s in suite['shapes'].values() if s.get('error', {}).get('code') == code), None)
            args += ['--error', code]
            if status:
                args += ['--status', str(status)]
            stdin = to_canonical(shapes, None, err_shape, case.get('error') or {})
            if 'errorMessage' in case and not any(k.lower() == 'message' for k in stdin):
                stdin['message'] = case['errorMessage']
        else:
            stdin = to_canonical(shapes, None, shapes.get(given.get('output')), case.get('result') or {})
        rc, out, err = self.run_marshal(args, json.dumps(stdin).encode('utf-8'))
        if rc != 0:
            return 'nimbus-marshal serialize failed: ' + err
        response = parse_raw_response(out)
        if proto == 'query' and given.get('output') and 'resultWrapper' not in given['output'] and \
                'resultWrapper' not in suite['shapes'].get(given['output']['shape'], {}):
            # the smithy vectors leave awsQuery's <OpResult> wrapper implicit; botocore needs it in the model
            given = dict(given, output=dict(given['output'], resultWrapper=given['name'] + 'Result'))
        model = botocore.model.ServiceModel({'metadata': suite['metadata'], 'shapes': suite['shapes'],
                                             'operations': {given['name']: given}})
        op = model.operation_model(given['name'])
        if model.metadata['protocol'] in botocore.parsers.PROTOCOL_PARSERS:
            parser = botocore.parsers.create_parser(model.metadata['protocol'])
        else:
            parser = cbor_response_parser(suite, given)
        response['context'] = {'operation_name': given['name']}
        if not is_error and has_event_stream(op.output_shape):
            response['body'] = RawStream(response['body'])
        try:
            parsed = parser.parse(response, op.output_shape)
        except Exception as e:  # botocore could not read what we produced
            return 'botocore failed to parse: %r\n      response %r' % (e, out[:600])
        parsed = from_botocore(parsed)
        parsed.pop('ResponseMetadata', None)
        if is_error:
            e = parsed.get('Error', {})
            if e.get('Code') != case.get('errorCode'):
                return 'error code %r, expected %r\n      response %r' % (e.get('Code'), case.get('errorCode'),
                                                                          out[:600])
            if 'errorMessage' in case and e.get('Message', '') != case['errorMessage']:
                return 'error message %r, expected %r' % (e.get('Message'), case['errorMessage'])
            err_shape = model.shape_for_error_code(case['errorCode'])
            if err_shape is not None and case.get('error'):
                modeled = from_botocore(parser.parse(response, err_shape))
                modeled.pop('ResponseMetadata', None)
                modeled.pop('Error', None)
                want = dict(case['error'])
                for k in list(want):
                    if k.lower() == 'message' and k not in modeled:
                        del want[k]
                if not same(prune(modeled), prune(want)):
                    return 'error members differ:\n      got      %s\n      expected %s\n      response %r' % (
                        json.dumps(modeled, sort_keys=True, default=str), json.dumps(want, sort_keys=True),
                        out[:600])
            return None
        want = case.get('result') or {}
        if not same(prune(parsed), prune(want)):
            return 'result differs:\n      got      %s\n      expected %s\n      response %r' % (
                json.dumps(parsed, sort_keys=True, default=str), json.dumps(want, sort_keys=True), out[:600])
        return None

    def run(self, protocol):
        passed, failed, skipped = 0, [], []
        for kind, path in suite_files(self.vectors, protocol):
            stem = os.path.basename(path)[:-5]
            with open(path) as f:
                suites = json.load(f)
            ignored = self.ignore_cases.get(stem, {}).get(kind, set()) | \
                self.ignore_cases.get(protocol, {}).get(kind, set())
            for si, suite in enumerate(suites):
                for ci, case in enumerate(suite.get('cases', [])):
                    case = dict(case)
                    case.setdefault('id', '%s/%s#%d.%d' % (os.path.relpath(path, self.vectors), kind, si, ci))
                    cid = case['id']
                    if self.only_case and cid != self.only_case:
                        continue
                    reason = None
                    if cid in RUN_ANYWAY and proto_of(suite, protocol) in ('query', 'ec2', 'rest-xml'):
                        pass
                    elif suite.get('description') in RUN_ANYWAY_SUITES:
                        pass
                    elif suite.get('description') in self.ignore_suites:
                        reason = 'botocore ignore list (suite)'
                    elif cid in ignored:
                        reason = 'botocore ignore list'
                    elif cid in SKIP or kind + ':' + cid in SKIP:
                        reason = SKIP.get(cid) or SKIP[kind + ':' + cid]
                    elif suite.get('description') in SKIP_SUITES:
                        reason = SKIP_SUITES[suite['description']]
                    if reason:
                        skipped.append((cid, reason))
                        continue
                    proto = suite['metadata'].get('protocol', protocol)
                    try:
                        msg = (self.input_case if kind == 'input' else self.output_case)(suite, case, proto)
                    except Exception as e:
                        msg = 'runner error: %r' % (e,)
                    if msg and msg.startswith('skip: '):
                        skipped.append((cid, msg[6:]))
                    elif msg:
                        failed.append((cid, kind, msg))
                    else:
                        passed += 1
        print('%s: %d passed, %d failed, %d skipped' % (protocol, passed, len(failed), len(skipped)))
        if passed == 0 and not failed and not self.only_case:
            print('  FAIL %s: no case ran (vectors in %s?)' % (protocol, self.vectors))
            return False
        if self.verbose:
            for cid, kind, msg in failed:
                print('  FAIL %s [%s]: %s' % (cid, kind, msg))
            if self.verbose > 1:
                for cid, reason in skipped:
                    print('  SKIP %s: %s' % (cid, reason))
        return not failed


def main():
    if sys.argv[1:] == ['--cbor-parse']:
        return cbor_parse_main()
    ap = argparse.ArgumentParser()
    ap.add_argument('--marshal', required=True)
    ap.add_argument('--vectors', default=os.environ.get('NB_PROTOCOL_TESTS', DEFAULT_VECTORS))
    ap.add_argument('--protocol', action='append')
    ap.add_argument('--case')
    ap.add_argument('--include-ignored', action='store_true', help='also run botocore\'s ignore list')
    ap.add_argument('--wrapper', default='', help='command to run nimbus-marshal under (valgrind ...)')
    ap.add_argument('-v', '--verbose', action='count', default=0)
    a = ap.parse_args()
    protocols = a.protocol or ['json', 'json_1_0', 'rest-json', 'rest-xml', 'query', 'ec2', 'smithy-rpc-v2-cbor']
    r = Runner(a.marshal, a.vectors, a.verbose, a.case, a.wrapper)
    if a.include_ignored:
        r.ignore_suites, r.ignore_cases = set(), {}
    ok = True
    for p in protocols:
        ok = r.run(p) and ok
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
