#!/usr/bin/env python3
"""Online-business traffic for the shaped-link bench.

serve:  a small keep-alive HTTP/1.1 server that answers every GET with 1 KiB, standing in for the union's online
        system on the central side of the link.
probe:  sends one small GET every --interval-ms on one keep-alive connection and writes each round-trip time, and
        samples the transmitted byte counter of a network interface every --sample-ms. Stops when --stop-file exists
        or after --max-seconds.
report: prints p50, p99 and max of the round-trip times between two instants and the link utilisation in that span.
"""
import argparse
import http.client
import http.server
import json
import os
import socketserver
import subprocess
import sys
import threading
import time

BODY = b"x" * 1024


class OnlineHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, format, *args):
        pass


class ThreadingServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


def serve(args):
    server = ThreadingServer((args.host, args.port), OnlineHandler)
    server.serve_forever()


def sample_bytes(interface, sample_seconds, stop, out):
    """Writes the interface's transmitted bytes and the backlog of its root qdisc (the line's queue) per sample."""
    counter = "/sys/class/net/%s/statistics/tx_bytes" % interface
    while not stop.is_set():
        with open(counter) as f:
            sent = f.read().strip()
        at = time.time()
        qdisc = subprocess.run(["tc", "-s", "-j", "qdisc", "show", "dev", interface], capture_output=True, text=True)
        backlog = json.loads(qdisc.stdout)[0].get("backlog", 0) if qdisc.returncode == 0 else -1
        out.write("%.6f %s %d\n" % (at, sent, backlog))
        out.flush()
        stop.wait(sample_seconds)


def probe(args):
    stop = threading.Event()
    samples = open(args.samples, "w")
    sampler = threading.Thread(target=sample_bytes, args=(args.interface, args.sample_ms / 1000, stop, samples))
    sampler.start()
    latencies = open(args.latencies, "w")
    connection = None
    deadline = time.monotonic() + args.max_seconds
    next_send = time.monotonic()
    try:
        while time.monotonic() < deadline and not os.path.exists(args.stop_file):
            next_send += args.interval_ms / 1000
            started_wall = time.time()
            started = time.perf_counter()
            try:
                if connection is None:
                    connection = http.client.HTTPConnection(args.host, args.port, timeout=5)
                    connection.connect()
                    started = time.perf_counter()
                connection.request("GET", "/online")
                connection.getresponse().read()
                latencies.write("%.6f %.3f\n" % (started_wall, (time.perf_counter() - started) * 1000))
            except (OSError, http.client.HTTPException) as error:
                latencies.write("%.6f failed %s\n" % (started_wall, type(error).__name__))
                connection = None
            latencies.flush()
            delay = next_send - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            else:
                next_send = time.monotonic()
    finally:
        stop.set()
        sampler.join()
        samples.close()
        latencies.close()


def percentile(sorted_values, fraction):
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, int(round(fraction * len(sorted_values) + 0.5)) - 1))
    return sorted_values[index]


def report(args):
    values = []
    failures = 0
    with open(args.latencies) as f:
        for line in f:
            parts = line.split()
            at = float(parts[0])
            if at < args.start or at > args.end:
                continue
            if parts[1] == "failed":
                failures += 1
            else:
                values.append(float(parts[1]))
    values.sort()
    counters = []
    backlogs = []
    with open(args.samples) as f:
        for line in f:
            at, count, backlog = line.split()
            counters.append((float(at), int(count)))
            if args.start <= float(at) <= args.end:
                backlogs.append(int(backlog))
    backlogs.sort()
    inside = [c for c in counters if args.start <= c[0] <= args.end]
    utilisation = float("nan")
    peak = float("nan")
    if len(inside) >= 2:
        seconds = inside[-1][0] - inside[0][0]
        link_bytes_per_second = args.link_mbit * 1e6 / 8
        utilisation = (inside[-1][1] - inside[0][1]) / seconds / link_bytes_per_second
        peak = 0.0
        window = []
        for sample in inside:
            window.append(sample)
            while window[-1][0] - window[0][0] > 1.1:
                window.pop(0)
            if window[-1][0] - window[0][0] >= 0.9:
                rate = (window[-1][1] - window[0][1]) / (window[-1][0] - window[0][0])
                peak = max(peak, rate / link_bytes_per_second)
    print("requests=%d failed=%d p50_ms=%.1f p99_ms=%.1f max_ms=%.1f link_utilisation=%.0f%% peak_1s=%.0f%%"
          " queue_p99_bytes=%d queue_max_bytes=%d"
          % (len(values), failures, percentile(values, 0.5), percentile(values, 0.99),
             values[-1] if values else float("nan"), utilisation * 100, peak * 100,
             percentile(backlogs, 0.99) if backlogs else -1, backlogs[-1] if backlogs else -1))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    serve_parser = commands.add_parser("serve")
    serve_parser.add_argument("--host", required=True)
    serve_parser.add_argument("--port", type=int, default=8080)
    probe_parser = commands.add_parser("probe")
    probe_parser.add_argument("--host", required=True)
    probe_parser.add_argument("--port", type=int, default=8080)
    probe_parser.add_argument("--interface", required=True, help="interface whose tx_bytes are sampled")
    probe_parser.add_argument("--interval-ms", type=float, default=100, help="time between requests, in ms")
    probe_parser.add_argument("--sample-ms", type=float, default=250, help="time between counter samples, in ms")
    probe_parser.add_argument("--latencies", required=True, help="output: one 'epoch-seconds rtt-ms' per request")
    probe_parser.add_argument("--samples", required=True,
                              help="output: one 'epoch-seconds tx-bytes queue-bytes' per sample")
    probe_parser.add_argument("--stop-file", required=True)
    probe_parser.add_argument("--max-seconds", type=float, default=900)
    report_parser = commands.add_parser("report")
    report_parser.add_argument("--latencies", required=True)
    report_parser.add_argument("--samples", required=True)
    report_parser.add_argument("--start", type=float, required=True, help="epoch seconds")
    report_parser.add_argument("--end", type=float, required=True, help="epoch seconds")
    report_parser.add_argument("--link-mbit", type=float, required=True)
    args = parser.parse_args()
    {"serve": serve, "probe": probe, "report": report}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
