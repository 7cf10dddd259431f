#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora from the protocol test vectors.

usage: make_seeds.py VECTORS_DIR HANDCRAFTED_DIR OUT_DIR

Every target gets OUT_DIR/<target>/: the vectors' serialized requests in the
shape that target reads (see tests/fuzz/fuzz_support.h), plus the handcrafted
inputs of HANDCRAFTED_DIR/<target>/ (also the regression inputs: crashes found).
"""
import base64
import hashlib
import json
import os
import shutil
import sys

# The protocol targets and the suite files they load, in the order
# fuzz_proto.h loads them (the seed's first byte indexes this list).
PROTO_SUITES = {
    'proto_query': ['query', 'ec2'],
    'proto_json': ['json', 'json_1_0', 'json_1_0-query-compatible'],
    'proto_restjson': ['rest-json'],
    'proto_restxml': ['rest-xml'],
    'proto_cbor': ['smithy-rpc-v2-cbor', 'smithy-rpc-v2-cbor-query-compatible',
                   'smithy-rpc-v2-cbor-non-query-compatible'],
}


def body_bytes(suite_file, ser):
    body = ser.get('body') or ''
    if suite_file.startswith('smithy-rpc-v2-cbor'):
        return base64.b64decode(body)
    return body.encode('utf-8')


def raw_request(suite_file, ser, framed=False):
    """The request as text; framed: with the Content-Length a server needs (the http target)."""
    head = '%s %s HTTP/1.1\r\n' % (ser.get('method', 'POST'), ser.get('uri', '/'))
    headers = dict(ser.get('headers') or {})
    headers.setdefault('Host', 'localhost')
    if framed:
        headers['Content-Length'] = str(len(body_bytes(suite_file, ser)))
    for k, v in headers.items():
        head += '%s: %s\r\n' % (k, v)
    return head.encode('utf-8') + b'\r\n' + body_bytes(suite_file, ser)


def write(out, target, data):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), 'wb') as f:
        f.write(data)


def main():
    vectors, handcrafted, out = sys.argv[1:4]
    for target, files in PROTO_SUITES.items():
        suite_index = 0
        for name in files:
            for suite in json.load(open(os.path.join(vectors, 'input', name + '.json'))):
                cases = [c for c in suite['cases'] if 'serialized' in c]
                ops = sorted({c['given']['name'] for c in suite['cases']})
                for c in cases:
                    req = raw_request(name, c['serialized'])
                    prefix = bytes([suite_index % 256, ops.index(c['given']['name']) % 256])
                    write(out, target, prefix + req)
                    write(out, 'router', req)
                    write(out, 'sigv4', req)
                    write(out, 'http', raw_request(name, c['serialized'], framed=True))
                    body = body_bytes(name, c['serialized'])
                    if body:
                        # the raw parsers' targets (JSON text has none: jansson's, driven by the protocols)
                        kind = {'proto_query': 'form', 'proto_restxml': 'xml', 'proto_cbor': 'cbor'}.get(target)
                        if kind:
                            write(out, kind, body)
                suite_index += 1
    for target in os.listdir(handcrafted):
        src = os.path.join(handcrafted, target)
        for f in sorted(os.listdir(src)):
            with open(os.path.join(src, f), 'rb') as fh:
                write(out, target, fh.read())


if __name__ == '__main__':
    main()
