#!/usr/bin/env python3
"""A minimal OTLP/HTTP trace receiver and span-tree printer, for looking at moe-mesh traces without
a collector (docs/observability.md#tracing). No dependencies: it decodes the protobuf wire format
itself, only the fields it prints.

    otlp_tree.py serve 4318 DIR   # receive POST /v1/traces, one file per export, into DIR
    otlp_tree.py tree DIR         # print every trace found in DIR as a tree of spans
"""
import collections
import glob
import http.server
import os
import struct
import sys

def varint(data, i):
    """A protobuf varint at data[i]: (value, index after it)."""
    value, shift = 0, 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7f) << shift
        shift += 7
        if byte < 0x80:
            return value, i


def fields(data):
    """The (field number, value) pairs of one protobuf message; length-delimited values as bytes."""
    i = 0
    while i < len(data):
        key, i = varint(data, i)
        number, wire_type = key >> 3, key & 7
        if wire_type == 0:
            value, i = varint(data, i)
        elif wire_type == 1:
            value, i = struct.unpack('<Q', data[i:i + 8])[0], i + 8
        elif wire_type == 5:
            value, i = struct.unpack('<I', data[i:i + 4])[0], i + 4
        elif wire_type == 2:
            length, i = varint(data, i)
            value, i = data[i:i + length], i + length
        else:
            raise ValueError('unsupported wire type %d' % wire_type)
        yield number, value


def any_value(data):
    """opentelemetry.proto.common.v1.AnyValue: string, bool, int or double."""
    for number, value in fields(data):
        if number == 1:
            return value.decode()
        if number == 2:
            return bool(value)
        if number == 3:
            return value if value < 2 ** 63 else value - 2 ** 64
        if number == 4:
            return struct.unpack('<d', struct.pack('<Q', value))[0]
    return None


def kv(data):
    """opentelemetry.proto.common.v1.KeyValue as (key, value)."""
    key, value = None, None
    for number, field in fields(data):
        if number == 1:
            key = field.decode()
        elif number == 2:
            value = any_value(field)
    return key, value


def read_spans(directory):
    spans = []
    for path in sorted(glob.glob(os.path.join(directory, 'export-*.pb'))):
        with open(path, 'rb') as f:
            data = f.read()
        for f, resource_spans in fields(data):
            service = '?'
            for f2, v2 in fields(resource_spans):
                if f2 == 1:
                    for f3, attribute in fields(v2):
                        if f3 == 1:
                            k, val = kv(attribute)
                            if k == 'service.name':
                                service = val
                if f2 == 2:
                    for f3, span in fields(v2):
                        if f3 == 2:
                            spans.append(decode_span(span, service))
    return spans


def decode_span(data, service):
    span = {'service': service, 'attrs': {}, 'parent': '', 'links': 0, 'start': 0}
    for f, v in fields(data):
        if f == 1:
            span['trace'] = v.hex()
        elif f == 2:
            span['id'] = v.hex()
        elif f == 4:
            span['parent'] = v.hex()
        elif f == 5:
            span['name'] = v.decode()
        elif f == 6:
            span['kind'] = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'][v]
        elif f == 7:
            span['start'] = v
        elif f == 9:
            k, val = kv(v)
            span['attrs'][k] = val
        elif f == 13:
            span['links'] += 1
    return span


def print_trees(spans):
    by_trace = collections.defaultdict(list)
    for s in spans:
        by_trace[s['trace']].append(s)
    for trace, members in by_trace.items():
        ids = {s['id'] for s in members}
        print('trace', trace, len(members), 'spans, services', sorted({s['service'] for s in members}))

        def show(span, depth):
            shown = {k: v for k, v in sorted(span['attrs'].items()) if k.startswith('moemesh.') or k == 'grpc.status_code'}
            links = ' links=%d' % span['links'] if span['links'] else ''
            print('  ' * depth + '%s (%s, %s) ' % (span['name'], span['kind'], span['service'])
                  + ' '.join('%s=%s' % kv for kv in shown.items()) + links)
            for child in sorted((c for c in members if c['parent'] == span['id']), key=lambda c: c['start']):
                show(child, depth + 1)

        for root in sorted((s for s in members if s['parent'] not in ids), key=lambda c: c['start']):
            show(root, 0)


def serve(port, directory):
    os.makedirs(directory, exist_ok=True)
    count = [0]

    class Receiver(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get('Content-Length', 0)))
            count[0] += 1
            with open(os.path.join(directory, 'export-%05d.pb' % count[0]), 'wb') as f:
                f.write(body)
            self.send_response(200)
            self.send_header('Content-Type', 'application/x-protobuf')
            self.send_header('Content-Length', '0')
            self.end_headers()

    http.server.HTTPServer(('127.0.0.1', port), Receiver).serve_forever()


if __name__ == '__main__':
    if len(sys.argv) == 4 and sys.argv[1] == 'serve':
        serve(int(sys.argv[2]), sys.argv[3])
    elif len(sys.argv) == 3 and sys.argv[1] == 'tree':
        print_trees(read_spans(sys.argv[2]))
    else:
        sys.exit(__doc__)
