#!/usr/bin/env python3
"""Prints a port of 127.0.0.1 that is free for both UDP and TCP right now (bind test)."""
import socket
import sys


def free_port(tries=50):
    for _ in range(tries):
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            t.bind(("127.0.0.1", 0))
            port = t.getsockname()[1]
            u.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            t.close()
            u.close()
    sys.exit("no free port found")


if __name__ == "__main__":
    print(free_port())
