"""A local DNS server for tests (Python standard library): A records for the
names it is given, over UDP and TCP on port 53 of a loopback address.

Answers as an authoritative server would: NXDOMAIN for a name it does not
hold, an empty NOERROR (no data) for another type of a name it holds. An
answer larger than the client's UDP size (512 bytes, or its EDNS0 size) goes
over UDP truncated as RFC 2181 9 and RFC 7766 describe it: the TC bit set
and no records, so that only a client that retries over TCP gets the
addresses. `drop = True` makes it answer nothing at all (a dead nameserver).

    with DnsStub({"infisical.ns.svc.cluster.local": ["127.0.0.1"]}) as dns:
        dns.address  -> "127.x.y.z", for a resolv.conf `nameserver` line
        dns.queries  -> [("udp" | "tcp", "name", "A" | "AAAA" | ...), ...]
"""
import random
import socket
import struct
import threading

TYPES = {1: "A", 28: "AAAA", 5: "CNAME", 41: "OPT"}
CLASS_IN = 1
NOERROR, FORMERR, NXDOMAIN = 0, 1, 3


def parse_question(msg):
    """(id, flags, name, qtype, qclass, udp size) of a query; raises
    ValueError when it is not one."""
    if len(msg) < 12:
        raise ValueError("short header")
    qid, flags, qd, _an, _ns, ar = struct.unpack("!HHHHHH", msg[:12])
    if qd != 1 or flags & 0x8000:
        raise ValueError("not a one-question query")
    labels, i = [], 12
    while True:
        n = msg[i]
        i += 1
        if n == 0:
            break
        if n & 0xC0:
            raise ValueError("compressed question name")
        labels.append(msg[i:i + n].decode("ascii", "replace"))
        i += n
    qtype, qclass = struct.unpack("!HH", msg[i:i + 4])
    i += 4
    udp_size = 512
    for _ in range(ar):     # an EDNS0 OPT record raises the UDP size
        if msg[i] != 0:
            break
        rtype, rclass, _ttl, rdlen = struct.unpack("!HHIH", msg[i + 1:i + 11])
        if rtype == 41:
            udp_size = max(512, rclass)
        i += 11 + rdlen
    return qid, flags, ".".join(labels), qtype, qclass, udp_size


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        raw = label.encode("ascii")
        out += bytes([len(raw)]) + raw
    return out + b"\0"


def build_answer(qid, flags, name, qtype, qclass, rcode, addresses,
                 truncated=False):
    """The response: the question, then one A record per address (each
    pointing back at the question's name, offset 12), unless truncated."""
    rd = flags & 0x0100
    resp_flags = 0x8000 | 0x0400 | rd | rcode          # QR, AA, RD copied
    records = b""
    if not truncated:
        for addr in addresses:
            records += struct.pack("!HHHIH", 0xC00C, 1, CLASS_IN, 30, 4)
            records += socket.inet_aton(addr)
    else:
        resp_flags |= 0x0200                            # TC
    header = struct.pack("!HHHHHH", qid, resp_flags, 1,
                         0 if truncated else len(addresses), 0, 0)
    return header + encode_name(name) + struct.pack("!HH", qtype, qclass) + \
        records


class DnsStub:
    def __init__(self, names):
        self.names = {k.lower().rstrip("."): list(v) for k, v in names.items()}
        self.drop = False
        self.queries = []
        self._lock = threading.Lock()
        self._udp = self._tcp = None
        self._threads = []
        self._stopping = False
        self.address = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        """Binds port 53 (needs root) on a random 127/8 address, so that
        parallel runs do not meet."""
        for _ in range(20):
            addr = "127.%d.%d.%d" % (random.randint(64, 254),
                                     random.randint(0, 255),
                                     random.randint(1, 254))
            udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                udp.bind((addr, 53))
                tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                tcp.bind((addr, 53))
            except OSError:
                udp.close()
                tcp.close()
                continue
            tcp.listen(16)
            self._udp, self._tcp, self.address = udp, tcp, addr
            break
        else:
            raise RuntimeError("no free loopback address for port 53")
        for target in (self._serve_udp, self._serve_tcp):
            t = threading.Thread(target=target, daemon=True, name="dns-stub")
            t.start()
            self._threads.append(t)
        return self

    def stop(self):
        self._stopping = True
        for s in (self._udp, self._tcp):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()
        for t in self._threads:
            t.join(timeout=5)

    def names_asked(self, transport=None, qtype=None):
        with self._lock:
            return [n for tr, n, ty in self.queries
                    if (transport is None or tr == transport)
                    and (qtype is None or ty == qtype)]

    def answer(self, msg, transport):
        """The response bytes for one query, or None (dropped, garbage)."""
        try:
            qid, flags, name, qtype, qclass, udp_size = parse_question(msg)
        except (ValueError, IndexError, struct.error):
            return None
        with self._lock:
            self.queries.append((transport, name.lower(),
                                 TYPES.get(qtype, str(qtype))))
        if self.drop:
            return None
        addresses = self.names.get(name.lower().rstrip("."))
        if addresses is None:
            return build_answer(qid, flags, name, qtype, qclass, NXDOMAIN, [])
        if qtype != 1 or qclass != CLASS_IN:
            return build_answer(qid, flags, name, qtype, qclass, NOERROR, [])
        resp = build_answer(qid, flags, name, qtype, qclass, NOERROR, addresses)
        if transport == "udp" and len(resp) > udp_size:
            resp = build_answer(qid, flags, name, qtype, qclass, NOERROR,
                                addresses, truncated=True)
        return resp

    def _serve_udp(self):
        while not self._stopping:
            try:
                msg, peer = self._udp.recvfrom(4096)
            except OSError:
                return
            resp = self.answer(msg, "udp")
            if resp is not None:
                try:
                    self._udp.sendto(resp, peer)
                except OSError:
                    pass

    def _serve_tcp(self):
        while not self._stopping:
            try:
                conn, _ = self._tcp.accept()
            except OSError:
                return
            threading.Thread(target=self._tcp_conn, args=(conn,),
                             daemon=True).start()

    def _tcp_conn(self, conn):
        """Length-prefixed messages (RFC 1035 4.2.2), several per
        connection, until the client closes it."""
        conn.settimeout(10)
        with conn:
            while True:
                try:
                    head = self._read(conn, 2)
                    if head is None:
                        return
                    msg = self._read(conn, struct.unpack("!H", head)[0])
                    if msg is None:
                        return
                    resp = self.answer(msg, "tcp")
                    if resp is not None:
                        conn.sendall(struct.pack("!H", len(resp)) + resp)
                except OSError:
                    return

    @staticmethod
    def _read(conn, n):
        buf = b""
        while len(buf) < n:
            chunk = conn.recv(n - len(buf))
            if not chunk:
                return None
            buf += chunk
        return buf
