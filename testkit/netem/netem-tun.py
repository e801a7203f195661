#!/usr/bin/env python3
"""A userspace netem for kernels without sch_netem (docs/decisions.md, "Loss and delay in userspace").

Attaches to an existing TUN device (ip tuntap add dev NAME mode tun) in the namespace it runs in, reads
every IP packet the kernel routes into it, drops it with probability `loss`, and writes the rest back
after `delay` ms, in arrival order (one FIFO: equal delay keeps order, as netem without jitter does).
At most `limit` packets wait (netem's default queue of 1000); a packet beyond that is dropped at the tail
and counted apart from the random loss.

Commands on stdin, one per line, each answered with one JSON line on stdout:
  set loss=0.05 delay=50   change the loss probability (0..1) and/or the delay (ms)
  stats                    counts so far: received, dropped (random), overflow (queue full), sent
EOF on stdin ends the program. The first line printed is {"ready": {...}}.
"""
import argparse
import collections
import fcntl
import json
import os
import random
import select
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dev", required=True)
    parser.add_argument("--loss", type=float, default=0.0)
    parser.add_argument("--delay", type=float, default=0.0, help="ms")
    parser.add_argument("--limit", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", args.dev.encode(), IFF_TUN | IFF_NO_PI))
    rng = random.Random(args.seed)
    loss = args.loss
    delay = args.delay / 1000.0
    queue: collections.deque = collections.deque()
    counts = {"received": 0, "dropped": 0, "overflow": 0, "sent": 0}
    stdin = sys.stdin.fileno()
    out = sys.stdout

    def reply(obj: dict) -> None:
        out.write(json.dumps(obj) + "\n")
        out.flush()

    reply({"ready": {"dev": args.dev, "loss": loss, "delayMs": delay * 1000, "limit": args.limit}})
    while True:
        timeout = None
        if queue:
            timeout = max(0.0, queue[0][0] - time.monotonic())
        readable, _, _ = select.select([fd, stdin], [], [], timeout)
        if stdin in readable:
            line = sys.stdin.readline()
            if not line:
                return
            words = line.split()
            if words and words[0] == "set":
                for word in words[1:]:
                    key, _, value = word.partition("=")
                    if key == "loss":
                        loss = float(value)
                    elif key == "delay":
                        delay = float(value) / 1000.0
                reply({"ok": True, "loss": loss, "delayMs": delay * 1000})
            elif words and words[0] == "stats":
                reply(dict(counts, queued=len(queue)))
            else:
                reply({"ok": False, "error": "unknown command: " + line.strip()})
        if fd in readable:
            while True:
                try:
                    packet = os.read(fd, 65536)
                except BlockingIOError:
                    break
                counts["received"] += 1
                if loss > 0 and rng.random() < loss:
                    counts["dropped"] += 1
                elif len(queue) >= args.limit:
                    counts["overflow"] += 1
                else:
                    queue.append((time.monotonic() + delay, packet))
        now = time.monotonic()
        while queue and queue[0][0] <= now:
            _, packet = queue.popleft()
            try:
                os.write(fd, packet)
                counts["sent"] += 1
            except BlockingIOError:
                counts["overflow"] += 1


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
