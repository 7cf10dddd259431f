#!/usr/bin/python3
"""Round trip over every operation of every spec Nimbus ships (specs/*/*/service-2.json).

For each protocol a spec speaks (SQS: query, and json as current SDKs send it, with
x-amzn-query-mode), and for each operation:
  input:  values generated from the input shape (every member, nested lists and maps, every
          scalar type, unicode, empty strings/lists/maps in a second variant) are serialized by
          botocore (Debian's python3-botocore) into an HTTP request; `nimbus-marshal parse` must
          give back the same params.
  output: values generated from the output shape go through `nimbus-marshal serialize`;
          botocore's response parser must read back the same values.
  errors: every error shape of the spec, with its members, through `nimbus-marshal serialize
          --error`; botocore must read back the code and the members.
Three value variants per operation: "full" (every member, two elements per list and map,
negative, 32-bit-max and >2^53 integers, fractional timestamps, binary blobs, strings with
unicode and XML/URL/form metacharacters), "empty" (empty strings, lists, maps, blobs), and
"required" (required members only). All cases of one spec run in one `nimbus-marshal batch`
process.

Compared exactly (integers and timestamps exact, floats within rounding), except:
  - empties the wire cannot carry (empty_has_no_wire_form: query-string/header lists and maps,
    query maps, flattened XML lists and maps, empty payloads) read back as absent on both sides;
  - defaults a server always sends (the status line for a statusCode member, Content-Type for a
    Content-Type member) are expected when the value leaves the member out;
  - the few members in EXCEPTIONS, left out with their reasons.

usage: run_roundtrip_tests.py --marshal PATH [--specs DIR] [--service S ...] [-v] [--wrapper CMD]
Prints "<service> <protocol>: N passed, M failed" and a total per protocol; exits 1 on a failure.
"""
import argparse
import base64
import copy
import datetime
import io
import json
import os
import shlex
import subprocess
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run_protocol_tests import RawStream, same  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'tools', 'specs'))
import spec_index  # noqa: E402

import botocore.awsrequest  # noqa: E402
import botocore.handlers  # noqa: E402
import botocore.model  # noqa: E402
import botocore.parsers  # noqa: E402
import botocore.response  # noqa: E402
import botocore.serialize  # noqa: E402
from botocore.awsrequest import HeadersDict  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SPECS = os.path.normpath(os.path.join(HERE, '..', '..', 'specs'))

# What cannot round-trip, whatever the server does: (service, operation or '*', kind or '*', member path)
# -> reason. The member is left out of both sides before comparing. Kept short on purpose.
EXCEPTIONS = {
    ('s3', '*', '*', 'ContentLength'): 'bound to the Content-Length header, which is the HTTP framing: a request '
                                       'or response carries its body\'s length, whatever the member says',
    ('s3', 'PutBucketNotification', 'input', 'NotificationConfiguration.*.Event'):
        'the deprecated spec gives Event and Events the same XML name (<Event>): a reader cannot tell them apart',
    ('s3', 'PutBucketNotification', 'input', 'NotificationConfiguration.*.Events'): '(same as Event)',
    ('s3', 'GetBucketNotification', 'output', '*.Event'): '(same as PutBucketNotification)',
    ('s3', 'GetBucketNotification', 'output', '*.Events'): '(same as PutBucketNotification)',
    ('lambda', 'InvokeWithResponseStream', 'output', 'ResponseStreamContentType'):
        'bound to the Content-Type header of an event-stream response, which is the stream\'s own '
        '(application/vnd.amazon.eventstream) whatever the member says',
}

UTC = datetime.timezone.utc
MAX_DEPTH = 5


def load_spec(path):
    """The spec with its overlay.json applied, as core/spec loads it."""
    return spec_index.load(path)


def client_model(doc, protocol):
    """The model a client speaking `protocol` has. A spec written for query and also served as
    awsJson (SQS) is, for JSON clients, the same shapes without the query/XML names: the SDKs'
    JSON model of SQS has no locationName, flattened or resultWrapper."""
    doc = copy.deepcopy(doc)
    native = doc['metadata']['protocol']
    doc['metadata']['protocol'] = protocol
    if protocol in ('json', 'rest-json') and native not in ('json', 'rest-json'):
        for shape in doc['shapes'].values():
            shape.pop('flattened', None)
            shape.pop('locationName', None)
            for ref in list(shape.get('members', {}).values()) + [shape.get(k) for k in ('member', 'key', 'value')]:
                if isinstance(ref, dict):
                    ref.pop('locationName', None)
                    ref.pop('flattened', None)
        for op in doc['operations'].values():
            if isinstance(op.get('output'), dict):
                op['output'].pop('resultWrapper', None)
    return botocore.model.ServiceModel(doc)


class Gen:
    """Values from shapes. Every call gives new scalars (a counter), so a value that lands in
    the wrong member or list slot shows."""

    def __init__(self, protocol, direction, variant):
        self.protocol, self.direction, self.variant = protocol, direction, variant
        self.n = 0

    def tick(self):
        self.n += 1
        return self.n

    def value(self, shape, depth=0, location=None, stack=()):
        t = shape.type_name
        if t == 'structure':
            if stack.count(shape.name) >= 2 or depth > MAX_DEPTH:
                return None
            if shape.serialization.get('eventstream'):
                return None
            if getattr(shape, 'is_document_type', False) or shape.metadata.get('document'):
                return {'doc': [1, 'two', {'three': True}]}
            out = {}
            required = set(shape.required_members)
            for name, m in shape.members.items():
                if self.variant == 'required' and name not in required:
                    continue
                if m.serialization.get('eventstream') or m.type_name == 'structure' and \
                        m.serialization.get('eventstream'):
                    continue
                v = self.value(m, depth + 1, m.serialization.get('location'), stack + (shape.name,))
                if v is not None:
                    out[name] = v
            if shape.metadata.get('union') and out:
                k = sorted(out)[self.tick() % len(out)]
                out = {k: out[k]}
            return out
        if t == 'list':
            if depth > MAX_DEPTH:
                return None
            if self.variant == 'empty' and location != 'header':
                return []
            out = []
            for _ in range(2):
                e = self.value(shape.member, depth + 1, location, stack)
                if e is None:
                    return None
                out.append(e)
            return out
        if t == 'map':
            if depth > MAX_DEPTH:
                return None
            if self.variant == 'empty' and location != 'headers':
                return {}
            keys = list(shape.key.enum or [])
            if not keys:
                i = self.tick()
                # header maps: lower-case ASCII (HTTP folds case); elsewhere unicode keys too
                keys = ['k%d-a' % i, 'k%d-b' % i] if location == 'headers' else ['k%d ü' % i, 'k%d-€' % i]
            out = {}
            for k in keys[:2]:
                v = self.value(shape.value, depth + 1, location, stack)
                if v is None:
                    return None
                out[k] = v
            return out
        return self.scalar(shape, location)

    def scalar(self, shape, location):
        t = shape.type_name
        i = self.tick()
        if t == 'string':
            if shape.serialization.get('jsonvalue') or shape.metadata.get('jsonvalue'):
                return {'k': [i, 'v'], 'u': 'ü'}
            if shape.enum:
                return shape.enum[i % len(shape.enum)]
            if self.variant == 'empty' and location not in ('uri', 'header', 'headers'):
                return ''
            if location in ('header', 'headers'):
                return 'hdr-%d value' % i
            if location == 'uri':
                return 'uri-%d ü/x+y?z#%%41~=;,a b' % i
            return 'str-%d ü€😀 <&>"\'\n\ttab +=%%41;/?#,]]>' % i
        if location == 'statusCode':
            return [202, 206][i % 2]
        if t == 'integer':
            return [-7 - i, 2147483647, 0][i % 3]
        if t == 'long':
            return [9007199254740993 + i, -i, 0][i % 3]
        if t in ('short', 'byte'):
            return i % 100
        if t == 'boolean':
            return i % 2 == 0
        if t in ('float', 'double'):
            return [0.1 + i, -2.5, 1e-7, 0.0][i % 4]
        if t == 'timestamp':
            whole = location in ('header', 'headers') or self.direction == 'input' and \
                self.ts_format(shape, location) in ('unixtimestamp', 'rfc822')
            micro = 0 if whole else 123000
            return datetime.datetime(2014, 4, 29, 18, 30, 38, micro, tzinfo=UTC) + datetime.timedelta(days=i)
        if t == 'blob':
            if self.variant == 'empty' and location is None:
                return b''
            return b'blob\x00\x01\xff' + str(i).encode() + 'ü'.encode()
        raise ValueError('no generator for %s' % t)

    def ts_format(self, shape, location):
        f = shape.serialization.get('timestampFormat')
        if f:
            return f
        if location == 'header':
            return 'rfc822'
        if location == 'querystring':
            return 'iso8601'
        return 'unixtimestamp' if self.protocol in ('json', 'rest-json') else 'iso8601'


def canon(v):
    """botocore-side value -> nimbus-marshal's canonical JSON."""
    if isinstance(v, dict):
        return {k: canon(e) for k, e in v.items()}
    if isinstance(v, list):
        return [canon(e) for e in v]
    if isinstance(v, (bytes, bytearray)):
        return base64.b64encode(bytes(v)).decode('ascii')
    if isinstance(v, datetime.datetime):
        if v.tzinfo is None:
            v = v.replace(tzinfo=UTC)
        ts = v.timestamp()
        return int(ts) if ts == int(ts) else ts
    if isinstance(v, botocore.response.StreamingBody) or hasattr(v, 'read'):
        return canon(v.read())
    return v


def diff(got, want, path=''):
    """The first difference, as text; None if equal."""
    if isinstance(got, dict) and isinstance(want, dict):
        for k in sorted(set(got) | set(want)):
            if k not in got:
                return '%s.%s missing (want %s)' % (path, k, json.dumps(want[k], ensure_ascii=False)[:120])
            if k not in want:
                return '%s.%s unexpected (got %s)' % (path, k, json.dumps(got[k], ensure_ascii=False)[:120])
            d = diff(got[k], want[k], path + '.' + k)
            if d:
                return d
        return None
    if isinstance(got, list) and isinstance(want, list):
        if len(got) != len(want):
            return '%s: %d elements, want %d' % (path, len(got), len(want))
        for i, (a, b) in enumerate(zip(got, want)):
            d = diff(a, b, '%s[%d]' % (path, i))
            if d:
                return d
        return None
    if same(got, want):
        return None
    return '%s: got %s want %s' % (path or '$', json.dumps(got, ensure_ascii=False)[:200],
                                    json.dumps(want, ensure_ascii=False)[:200])


def streaming_payload(shape):
    """The name of a streaming blob payload member (a body handle in Nimbus, not a value)."""
    if shape is None:
        return None
    p = shape.serialization.get('payload')
    if p and p in shape.members:
        m = shape.members[p]
        if m.type_name == 'blob' and (m.serialization.get('streaming') or m.metadata.get('streaming')):
            return p
        if m.type_name == 'string' and m.metadata.get('streaming'):
            return p
    return None


def event_stream_member(shape):
    if shape is None:
        return None
    for name, m in shape.members.items():
        if m.serialization.get('eventstream') or m.metadata.get('eventstream'):
            return name
    return None


def raw_request(prepared):
    u = urllib.parse.urlsplit(prepared.url)
    target = u.path + ('?' + u.query if u.query else '')
    body = prepared.body or b''
    if hasattr(body, 'read'):
        body = body.read()
    if isinstance(body, str):
        body = body.encode('utf-8')
    lines = ['%s %s HTTP/1.1' % (prepared.method, target), 'Host: %s' % u.netloc]
    for k, v in prepared.headers.items():
        if k.lower() in ('host', 'content-length'):
            continue
        lines.append('%s: %s' % (k, v.decode('latin-1') if isinstance(v, bytes) else v))
    lines.append('Content-Length: %d' % len(body))
    return ('\r\n'.join(lines) + '\r\n\r\n').encode('utf-8') + body


def parse_raw_response(raw):
    head, _, body = raw.partition(b'\r\n\r\n')
    lines = head.decode('utf-8', 'replace').split('\r\n')
    headers = HeadersDict()
    for line in lines[1:]:
        if ':' in line:
            k, v = line.split(':', 1)
            headers[k.strip()] = v.strip()
    return {'status_code': int(lines[0].split(' ')[1]), 'headers': headers, 'body': body}


def xml_body(protocol, kind):
    return protocol == 'rest-xml' or protocol in ('query', 'ec2') and kind != 'input'


def empty_has_no_wire_form(m, name, parent, protocol, kind):
    """An empty list, map or string that the wire cannot tell from an absent member, whatever the
    server does: it then reads back absent (or, for a payload, as botocore's default)."""
    loc = m.serialization.get('location')
    if loc in ('querystring', 'header', 'headers'):
        return True  # an empty query-string list, header list or prefix-header map sends nothing
    if protocol in ('query', 'ec2') and kind == 'input' and m.type_name == 'map':
        return True  # botocore's query serializer sends nothing for an empty map
    if protocol in ('query', 'ec2') and kind == 'input' and m.type_name == 'structure':
        return True  # nor for an empty structure (STS AssumeRoot's required TaskPolicyArn: {})
    if xml_body(protocol, kind) and m.type_name in ('list', 'map') and m.serialization.get('flattened'):
        return True  # an empty flattened list or map is no element at all
    if parent.serialization.get('payload') == name or m.serialization.get('eventpayload'):
        return True  # an empty payload is an empty body; botocore reads {} or b'' for it
    return False


def normalize(v, shape, protocol, kind):
    """v with the empties that have no wire form dropped (applied to both sides)."""
    if shape is None:
        return v
    t = shape.type_name
    if t == 'structure' and isinstance(v, list) and shape.serialization.get('eventstream'):
        return [normalize(e, shape, protocol, kind) for e in v]  # a list of {EventName: event}
    if t == 'structure' and isinstance(v, dict):
        out = {}
        for k, e in v.items():
            m = shape.members.get(k)
            if m is None:
                out[k] = e
                continue
            e = normalize(e, m, protocol, kind)
            if e in ('', [], {}) and not isinstance(e, bool) and empty_has_no_wire_form(m, k, shape, protocol, kind):
                continue
            out[k] = e
        return out
    if t == 'list' and isinstance(v, list):
        return [normalize(e, shape.member, protocol, kind) for e in v]
    if t == 'map' and isinstance(v, dict):
        return {k: normalize(e, shape.value, protocol, kind) for k, e in v.items()}
    return v


def drop_path(v, parts):
    """Removes the member at a dotted path ('*' matches any member, list elements are crossed)."""
    if isinstance(v, list):
        for e in v:
            drop_path(e, parts)
        return
    if not isinstance(v, dict) or not parts:
        return
    keys = list(v) if parts[0] == '*' else [parts[0]]
    for k in keys:
        if k not in v:
            continue
        if len(parts) == 1:
            del v[k]
        else:
            drop_path(v[k], parts[1:])


def apply_exceptions(service, op, kind, *values):
    for (svc, eop, ekind, path), _ in EXCEPTIONS.items():
        if svc == service and eop in ('*', op) and ekind in ('*', kind):
            for v in values:
                drop_path(v, path.split('.'))


class FakeHttpResponse:
    def __init__(self, body):
        self.raw, self.content = True, body


class Case:
    def __init__(self, service, protocol, kind, op, variant, job, check):
        self.service, self.protocol, self.kind, self.op, self.variant = service, protocol, kind, op, variant
        self.job, self.check = job, check

    @property
    def name(self):
        return '%s %s %s %s [%s]' % (self.service, self.protocol, self.kind, self.op, self.variant)


class SpecRun:
    def __init__(self, service, path, doc):
        self.service, self.path, self.doc = service, path, doc
        meta = doc['metadata']
        self.protocols = list(dict.fromkeys(meta.get('protocols') or [meta['protocol']]))
        if meta['protocol'] not in self.protocols:
            self.protocols.insert(0, meta['protocol'])

    def cases(self):
        out = []
        for proto in self.protocols:
            if proto not in botocore.serialize.SERIALIZERS:
                continue
            model = client_model(self.doc, proto)
            query_mode = proto == 'json' and self.doc['metadata']['protocol'] == 'query'
            serializer = botocore.serialize.create_serializer(proto, include_validation=False)
            parser_factory = lambda p=proto: botocore.parsers.create_parser(p)  # noqa: E731
            for name in model.operation_names:
                op = model.operation_model(name)
                for variant in ('full', 'empty', 'required'):
                    c = self.input_case(model, op, proto, variant, serializer, query_mode)
                    if c:
                        out.append(c)
                    c = self.output_case(op, proto, variant, parser_factory, query_mode)
                    if c:
                        out.append(c)
            out.extend(self.error_cases(model, proto, parser_factory, query_mode))
        return out

    def input_case(self, model, op, proto, variant, serializer, query_mode):
        shape = op.input_shape
        if variant != 'full' and (shape is None or not shape.members):
            return None
        params = Gen(proto, 'input', variant).value(shape) if shape is not None else {}
        params = params or {}
        stream = streaming_payload(shape)
        body_bytes = None
        if stream:
            body_bytes = b'streaming body \x00\xff'
            params[stream] = body_bytes
        try:
            r = serializer.serialize_to_request(params, op)
        except Exception as e:  # botocore itself cannot send it
            return Case(self.service, proto, 'input', op.name, variant, None,
                        lambda ans, e=e: 'botocore cannot serialize: %r' % e)
        botocore.awsrequest.prepare_request_dict(r, 'https://nimbus.test')  # applies a host prefix too
        req = botocore.awsrequest.create_request_object(r).prepare()
        raw = raw_request(req)
        if query_mode:
            raw = raw.replace(b'\r\n\r\n', b'\r\nx-amzn-query-mode: true\r\n\r\n', 1)
        want = canon(params)
        if stream:
            want.pop(stream, None)  # stays the request body, not a member of the value
        want = normalize(want, shape, proto, 'input')
        service = self.service

        def check(ans):
            if not ans.get('ok'):
                return 'nimbus-marshal parse failed: %s' % ans.get('error')
            got = normalize(ans['value'], shape, proto, 'input')
            apply_exceptions(service, op.name, 'input', got, want)
            d = diff(got, want)
            return d and '%s\n      request %r' % (d, raw[:700])
        job = {'cmd': 'parse', 'operation': op.name, 'protocol': proto,
               'request': base64.b64encode(raw).decode('ascii')}
        return Case(self.service, proto, 'input', op.name, variant, job, check)

    def output_case(self, op, proto, variant, parser_factory, query_mode):
        shape = op.output_shape
        if variant != 'full' and (shape is None or not shape.members):
            return None
        result = Gen(proto, 'output', variant).value(shape) if shape is not None else {}
        result = result or {}
        stream = streaming_payload(shape)
        if stream:
            result.pop(stream, None)  # a body handle in Nimbus: the CLI serializes values only
        es = event_stream_member(shape)
        if es:
            # canonical event streams are lists of {EventName: event}: one of each kind
            gen = Gen(proto, 'output', variant)
            events = []
            for ev_name, ev in shape.members[es].members.items():
                if not ev.metadata.get('exception'):
                    events.append({ev_name: gen.value(ev) or {}})
            result[es] = events
        status_member = next((k for k, m in (shape.members.items() if shape else ())
                              if m.serialization.get('location') == 'statusCode'), None)
        job = {'cmd': 'serialize', 'operation': op.name, 'protocol': proto, 'value': canon(result),
               'query_mode': query_mode}
        want = normalize(canon(result), shape, proto, 'output')
        if status_member and status_member not in want:
            # the status line is always there: an absent member reads back as the operation's status
            want[status_member] = op.http.get('responseCode', 200)
        service = self.service

        def check(ans):
            if not ans.get('ok'):
                return 'nimbus-marshal serialize failed: %s' % ans.get('error')
            raw = base64.b64decode(ans['response'])
            response = parse_raw_response(raw)
            body = response['body']
            response['context'] = {'operation_name': op.name}
            if op.has_streaming_output:  # botocore hands any blob payload over as a stream
                response['body'] = botocore.response.StreamingBody(io.BytesIO(body), len(body))
            elif es:
                response['body'] = RawStream(body)
            try:
                parsed = parser_factory().parse(response, shape)
                if service == 's3' and op.name == 'GetBucketLocation':
                    # botocore's own after-call handler: the model cannot describe this body
                    botocore.handlers.parse_get_bucket_location(parsed, FakeHttpResponse(body))
                    if parsed['LocationConstraint'] is None:  # us-east-1: an empty element
                        parsed['LocationConstraint'] = ''
                        want.setdefault('LocationConstraint', '')
            except Exception as e:
                return 'botocore cannot parse: %r\n      response %r' % (e, raw[:700])
            parsed.pop('ResponseMetadata', None)
            if stream:
                sbody = parsed.pop(stream, None)
                if sbody is not None and sbody.read():
                    return 'streaming body not empty'
            got = normalize(canon(from_botocore_keep(parsed)), shape, proto, 'output')
            for k, m in shape.members.items() if shape else ():
                if k not in want and m.serialization.get('location') == 'header' and \
                        m.serialization.get('name', '').lower() == 'content-type':
                    got.pop(k, None)  # the server names the body's type when the value does not
            apply_exceptions(service, op.name, 'output', got, want)
            d = diff(got, want)
            return d and '%s\n      response %r' % (d, raw[:700])
        return Case(self.service, proto, 'output', op.name, variant, job, check)

    def error_cases(self, model, proto, parser_factory, query_mode):
        """Every exception shape of the spec (overlays add some no operation lists), each
        answered for an operation that lists it, else for the first operation."""
        out = []
        owner = {}
        for name in model.operation_names:
            op = model.operation_model(name)
            for es in op.error_shapes:
                owner.setdefault(es.name, op)
        first = model.operation_model(model.operation_names[0])
        for name, shape in sorted(self.doc['shapes'].items()):
            if shape.get('exception') or shape.get('error'):
                es = model.shape_for(name)
                out.append(self.error_case(model, owner.get(name, first), es, proto, parser_factory, query_mode))
        return out

    def error_case(self, model, op, es, proto, parser_factory, query_mode):
        fields = Gen(proto, 'output', 'full').value(es) or {}
        msg_key = next((k for k in fields if k.lower() == 'message'), None)
        message = 'Message ü <&> %s' % es.name
        if msg_key:
            fields[msg_key] = message
        send = dict(canon(fields))
        if not msg_key:
            send['message'] = message
        job = {'cmd': 'serialize', 'operation': op.name, 'protocol': proto, 'value': send, 'error': es.name,
               'query_mode': query_mode}
        code = es.error_code or es.name
        want = normalize(canon({k: v for k, v in fields.items() if k != msg_key}), es, proto, 'error')

        def check(ans):
            if not ans.get('ok'):
                return 'nimbus-marshal serialize --error failed: %s' % ans.get('error')
            raw = base64.b64decode(ans['response'])
            response = parse_raw_response(raw)
            parser = parser_factory()
            try:
                parsed = parser.parse(response, op.output_shape)
                err = parsed.get('Error', {})
                if err.get('Code') != code:
                    return 'error code %r, want %r\n      response %r' % (err.get('Code'), code, raw[:700])
                if err.get('Message') != message:
                    return 'error message %r, want %r\n      response %r' % (err.get('Message'), message, raw[:700])
                if model.shape_for_error_code(code) is None:
                    return 'botocore finds no shape for code %r' % code
                modeled = parser_factory().parse(parse_raw_response(raw), es)
            except Exception as e:
                return 'botocore cannot parse: %r\n      response %r' % (e, raw[:700])
            modeled.pop('ResponseMetadata', None)
            modeled.pop('Error', None)
            for k in list(modeled):
                if k.lower() == 'message':
                    del modeled[k]
            d = diff(normalize(canon(from_botocore_keep(modeled)), es, proto, 'error'), want)
            return d and '%s\n      response %r' % (d, raw[:700])
        return Case(self.service, proto, 'error', es.name, 'full', job, check)


def from_botocore_keep(v):
    """Event streams read into lists; everything else as botocore gave it (bytes stay bytes)."""
    import botocore.eventstream
    if isinstance(v, botocore.eventstream.EventStream):
        return [from_botocore_keep(e) for e in v]
    if isinstance(v, dict):
        return {k: from_botocore_keep(e) for k, e in v.items()}
    if isinstance(v, list):
        return [from_botocore_keep(e) for e in v]
    return v


def run_batch(cmd, spec_path, jobs):
    p = subprocess.run(cmd + ['batch', '--spec', spec_path], input=''.join(json.dumps(j) + '\n' for j in jobs).encode(),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
    answers = [json.loads(line) for line in p.stdout.decode('utf-8').splitlines() if line.strip()]
    if p.returncode != 0 or len(answers) != len(jobs):
        raise RuntimeError('nimbus-marshal batch exited %d after %d of %d answers: %s' % (
            p.returncode, len(answers), len(jobs), p.stderr.decode('utf-8', 'replace')[-2000:]))
    return answers


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--marshal', required=True)
    ap.add_argument('--specs', default=DEFAULT_SPECS)
    ap.add_argument('--service', action='append')
    ap.add_argument('--wrapper', default='', help='command to run nimbus-marshal under (valgrind ...)')
    ap.add_argument('-v', '--verbose', action='count', default=0)
    ap.add_argument('--max-failures', type=int, default=30)
    a = ap.parse_args()
    cmd = shlex.split(a.wrapper) + [a.marshal]
    totals = {}
    failed_all = []
    for service in sorted(os.listdir(a.specs)):
        if a.service and service not in a.service:
            continue
        sdir = os.path.join(a.specs, service)
        if not os.path.isdir(sdir):
            continue
        version = sorted(os.listdir(sdir))[-1]
        path = os.path.join(sdir, version, 'service-2.json')
        if not os.path.exists(path):
            continue
        run = SpecRun(service, path, load_spec(path))
        cases = run.cases()
        jobs = [c.job for c in cases if c.job is not None]
        answers = iter(run_batch(cmd, path, jobs))
        per = {}
        for c in cases:
            ans = next(answers) if c.job is not None else {}
            try:
                msg = c.check(ans)
            except Exception as e:
                msg = 'runner error: %r' % (e,)
            st = per.setdefault(c.protocol, {'input': [0, 0], 'output': [0, 0], 'error': [0, 0]})
            if msg:
                st[c.kind][1] += 1
                failed_all.append((c.name, msg))
            else:
                st[c.kind][0] += 1
        for proto, st in per.items():
            print('%-9s %-9s input %3d/%-3d output %3d/%-3d errors %3d/%-3d' % (
                service, proto, st['input'][0], sum(st['input']), st['output'][0], sum(st['output']),
                st['error'][0], sum(st['error'])))
            t = totals.setdefault(proto, [0, 0])
            t[0] += sum(v[0] for v in st.values())
            t[1] += sum(v[1] for v in st.values())
    for proto, (ok, bad) in sorted(totals.items()):
        print('%s: %d passed, %d failed' % (proto, ok, bad))
    for name, msg in failed_all[:a.max_failures if not a.verbose else len(failed_all)]:
        print('  FAIL %s: %s' % (name, msg))
    return 1 if failed_all else 0


if __name__ == '__main__':
    sys.exit(main())
