#!/usr/bin/python3
# ruff: noqa: UP031  (printf-style formats kept identical to the C sources)
"""Emulated perftest (ib_write_bw, ib_read_bw, ib_send_bw) for the deploy-pod twin.

MEASURES NOTHING. Server and client really meet over TCP (port 18515, like perftest's
Ethernet exchange of QP data), so a missing server, a wrong address or a Down local port
fail as on real hardware; the bandwidth printed is computed from the two ports' link rates
in the hardware files (about 99% of the lower 4X rate for large messages, a fixed message
rate cap for small ones). Output follows perftest's format (leading space, tab gaps).
"""

import json
import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
import twinhw  # noqa: E402

LINE = "---------------------------------------------------------------------------------------"
TESTS = {"ib_write_bw": "RDMA_Write", "ib_read_bw": "RDMA_Read", "ib_send_bw": "Send"}
MAX_MPPS = 2.8      # message-rate ceiling for small messages (Mpps)
EFFICIENCY = 0.99   # share of the 4X rate a large RDMA write reaches


# the perftest options the twin emulates (perftest_parameters.c names); any other, real or not, is
# refused as perftest refuses an unknown one
OPTIONS = [("ib-dev", "d", True), ("ib-port", "i", True), ("all", "a", False), ("size", "s", True),
           ("iters", "n", True), ("port", "p", True), ("qp", "q", True), ("report_gbits", None, False),
           ("CPU-freq", "F", False), ("gid-index", "x", True), ("help", "h", False)]


def usage(prog: str) -> str:
    return (f"Usage:\n  {prog}            start a server and wait for connection\n"
            f"  {prog} <host>     connect to server at <host>\n\nOptions:\n"
            "  -a, --all  Run sizes from 2 till 2^23\n"
            "  -d, --ib-dev=<dev>  Use IB device <dev> (default first device found)\n"
            "  -F, --CPU-freq  Do not show a warning even if cpufreq_ondemand module is loaded, and cpu-freq is not "
            "on max\n"
            "  -h, --help  Show this help screen.\n"
            "  -i, --ib-port=<port>  Use port <port> of IB device (default 1)\n"
            "  -n, --iters=<iters>  Number of exchanges (at least 5, default 5000)\n"
            "  -p, --port=<port>  Listen on/connect to port <port> (default 18515)\n"
            "  -q, --qp=<num of qp's>  Num of qp's(default 1)\n"
            "  -s, --size=<size>  Size of message to exchange (default 65536)\n"
            "  -x, --gid-index=<index>  Test uses GID with GID index (Default : IB - no gid . ETH - 0)\n"
            "      --report_gbits  Report Max/Average BW of test in Gbit/sec (instead of MB/sec)\n")


def parse(argv, prog="ib_write_bw"):
    o = {"dev": None, "ib_port": 1, "all": False, "size": 65536, "iters": 5000, "tcp_port": 18515,
         "gbits": False, "server": None, "qps": 1}
    try:
        opts, operands = twinhw.getopt(argv, OPTIONS)
    except twinhw.GetoptError as exc:
        # perftest_parameters.c parser(): getopt's message, then its own two lines on stderr,
        # the usage on stdout; the test exits with FAILURE (1)
        sys.stderr.write(f"{prog}: {exc}\n Invalid Command or flag.\n Please check command line and run again.\n\n")
        sys.stdout.write(usage(prog))
        sys.exit(1)
    keys = {"ib-dev": "dev", "ib-port": "ib_port", "size": "size", "iters": "iters", "port": "tcp_port", "qp": "qps"}
    for name, value in opts:
        if name == "help":
            sys.stdout.write(usage(prog))
            sys.exit(0)
        if name == "all":
            o["all"] = True
        elif name == "report_gbits":
            o["gbits"] = True
        elif name in keys:
            o[keys[name]] = value if name == "ib-dev" else int(value, 0)
    if operands:
        o["server"] = operands[0]
    return o


def local_port(hw, dev, num):
    cas = hw["hcas"]
    ca = twinhw.find_hca(hw, dev) if dev else (cas[0] if cas else None)
    if ca is None:
        twinhw.die(f" IB device {dev} not found\n Unable to find the Infiniband/RoCE device", 1)
    port = next((p for p in ca["ports"] if p["num"] == num), None)
    if port is None:
        twinhw.die(f" Invalid port number {num}\n Couldn't get context for the device", 1)
    if port["state_num"] != 4:
        names = {1: "Down", 2: "Init", 3: "Armed"}
        twinhw.die(f" Port number {num} state is {names.get(port['state_num'], 'Nop')}\n"
                   " Couldn't set the link layer\n Couldn't get context for the device", 1)
    return ca, port


def header(test, o, ca, server_side):
    lines = [LINE, f"                    {test} BW Test",
             f" Dual-port       : OFF\t\tDevice         : {ca['name']}",
             f" Number of qps   : {o['qps']}\t\tTransport type : IB",
             " Connection type : RC\t\tUsing SRQ      : OFF",
             " PCIe relax order: ON",
             " ibv_wr* API     : ON"]
    if not server_side:
        lines.append(" TX depth        : 128")
    lines += [" CQ Moderation   : 100", " Mtu             : 4096[B]", " Link type       : IB",
              " Max inline data : 0[B]", " rdma_cm QPs     : OFF", " Data ex. method : Ethernet", LINE]
    return lines


def address(kind, a):
    return (f" {kind} address: LID {a['lid']:#04x} QPN {a['qpn']:#06x} PSN {a['psn']:#06x} "
            f"RKey {a['rkey']:#08x} VAddr {a['vaddr']:#016x}")


def my_address(hw, port, salt):
    h = abs(hash((hw["host"], port["port_guid"], salt, os.getpid())))
    return {"lid": port["lid"], "qpn": 0x100 + h % 0xF000, "psn": h % 0xFFFFFF, "rkey": (h >> 8) % 0xFFFFFF,
            "vaddr": 0x7F0000000000 + (h >> 16) % 0xFFFFFFFFF000, "rate": port["rate_gbps"]}


def results(o, rate_gbps):
    sizes = [2 ** k for k in range(1, 24)] if o["all"] else [o["size"]]
    unit = "Gb/sec" if o["gbits"] else "MB/sec"
    lines = [f" #bytes     #iterations    BW peak[{unit}]    BW average[{unit}]   MsgRate[Mpps]"]
    link_mbps = rate_gbps * 1e9 / 8 / 2**20 * EFFICIENCY
    for size in sizes:
        avg = min(link_mbps, size * MAX_MPPS * 1e6 / 2**20)
        peak = min(link_mbps * 1.003, avg * 1.004)
        mpps = avg * 2**20 / size / 1e6
        if o["gbits"]:
            avg, peak = avg * 2**20 * 8 / 1e9, peak * 2**20 * 8 / 1e9
        lines.append(" %-7d    %-10d       %-7.2f            %-7.2f\t\t   %-7.6f" % (size, o["iters"], peak, avg, mpps))
    lines.append(LINE)
    return lines


def main(argv):
    prog = os.path.basename(sys.argv[0]).removesuffix(".py")
    test = TESTS.get(prog, "RDMA_Write")
    o = parse(argv, prog if prog in TESTS else "ib_write_bw")
    hw = twinhw.load_or_die("perftest")
    ca, port = local_port(hw, o["dev"], o["ib_port"])
    me = my_address(hw, port, o["tcp_port"])
    if o["server"] is None:
        srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            srv.bind(("0.0.0.0", o["tcp_port"]))
        except OSError:
            twinhw.die(f"Couldn't bind to port {o['tcp_port']}\n Unable to open file descriptor for socket connection"
                       " Unable to init the socket connection", 1)
        srv.listen(1)
        print("\n************************************\n* Waiting for client to connect... *\n"
              "************************************", flush=True)
        conn, _ = srv.accept()
        with conn:
            peer = json.loads(conn.makefile().readline())
            conn.sendall((json.dumps(me) + "\n").encode())
        srv.close()
        for key in ("all", "size", "iters"):  # the client's test parameters win, as in perftest
            o[key] = peer.get("opts", {}).get(key, o[key])
        server_side = True
    else:
        try:
            conn = socket.create_connection((o["server"], o["tcp_port"]), timeout=10)
        except OSError:
            twinhw.die(f"Couldn't connect to {o['server']}:{o['tcp_port']}\n"
                       "Unable to open file descriptor for socket connection Unable to init the socket connection", 1)
        with conn:
            me["opts"] = {k: o[k] for k in ("all", "size", "iters")}
            conn.sendall((json.dumps(me) + "\n").encode())
            peer = json.loads(conn.makefile().readline())
        server_side = False
    lines = header(test, o, ca, server_side)
    lines += [address("local", me), address("remote", peer), LINE]
    lines += results(o, min(int(me["rate"]), int(peer.get("rate", me["rate"]))))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
