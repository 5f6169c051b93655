#!/usr/bin/env python3
"""Writes the fuzzer's seed inputs (tests/fuzz/seeds/): claims and releases
through both transports and both vCPUs, so that the fuzzer starts from
calls that succeed. Layout of one call, as fuzz_hypercall.c reads it:
[how: bit 0 mailbox, bit 1 vCPU][block u32][struct lab_hc, 128 bytes]
[room list, 8 bytes per entry; an entry whose low byte is 0xff names a
room the guest holds, 0xfe the first room of the district of one]."""
import os, struct, sys

CLAIM, RELEASE, INFO = 2, 3, 1
CLAIM_DISTRICT, RELEASE_DISTRICT = 5, 6

def call(how, block, nr, flags, count, rooms_gpa, entries=()):
    hc = struct.pack('<IIqIIQ', nr, flags, 0, count, 0, rooms_gpa).ljust(128, b'\0')
    lst = b''.join(struct.pack('<Q', e) for e in entries)
    return struct.pack('<BI', how, block) + hc + lst

held = lambda k: (k << 8) | 0xff
district = lambda k: (k << 8) | 0xfe
seeds = {
    'port_claim_release': call(0, 0x100, CLAIM, 0, 4, 0x2000, [0] * 4)
        + call(2, 0x100, RELEASE, 0, 2, 0x2000, [held(1), held(2)]),
    'port_release_twice': call(0, 0x100, CLAIM, 1, 8, 0x2000, [0] * 8)
        + call(0, 0x100, RELEASE, 0, 2, 0x2000, [held(3), held(3)]),
    'mail_claim_release': call(1, 0, CLAIM, 0, 4, 0, [0] * 0)
        + call(3, 0, RELEASE, 0, 2, 0, [held(1), held(2)]),
    'port_district': call(0, 0x100, CLAIM_DISTRICT, 0, 2, 0x2000, [0] * 2)
        + call(2, 0x100, RELEASE, 0, 1, 0x2000, [held(5)])
        + call(0, 0x100, RELEASE_DISTRICT, 0, 2, 0x2000, [district(1), district(1)])
        + call(2, 0x100, RELEASE_DISTRICT, 0, 1, 0x2000, [district(7)]),
    'mail_district': call(1, 0, CLAIM_DISTRICT, 0, 1, 0, [0])
        + call(3, 0, RELEASE, 0, 1, 0, [held(3)])
        + call(1, 0, RELEASE_DISTRICT, 0, 1, 0, [district(3)]),
    'both_info': call(0, 0x100, INFO, 0, 0, 0x2000) + call(1, 0, INFO, 0, 0, 0),
}
out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), 'seeds')
os.makedirs(out, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(out, name), 'wb') as f:
        f.write(data)
