#!/usr/bin/env python3
"""Independent model of the sum-check transcript and prover, for the golden bytes of
Tests/ZKProofTests/SumCheckTests.swift (goldenBytes_MatchAnIndependentModel).

Follows docs/PROTOCOL-sumcheck.md literally: every table padded to a power of two, each
round polynomial summed from its definition, each final evaluation from the eq formula.
Prints (proof hex, final transcript state hex) for the two instances the test pins."""
import hashlib

N_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
def H(b): return hashlib.sha256(b).digest()
def frame(b): return len(b).to_bytes(8, 'big') + b
class T:
    def __init__(self, proto):
        self.s = H(frame(b"proofmarket.transcript.v1") + frame(proto.encode()))
    def absorb(self, label, m):
        self.s = H(b'\x01' + self.s + frame(label.encode()) + frame(m))
    def challenge(self, label):
        self.s = H(b'\x02' + self.s + frame(label.encode()))
        wide = H(b'\x03' + self.s + b'\x00') + H(b'\x03' + self.s + b'\x01')
        return int.from_bytes(wide, 'big') % N_ORDER
def sc(x): return (x % N_ORDER).to_bytes(32, 'big')
def ints(xs): return b''.join((x % (1 << 64)).to_bytes(8, 'big') for x in xs)
def nvars(c): return 0 if c <= 1 else (c - 1).bit_length()
def mle(v, point):
    n = len(point); tot = 0
    for i, x in enumerate(v):
        e = 1
        for t in range(n):
            bit = (i >> (n - 1 - t)) & 1
            e = e * (point[t] if bit else (1 - point[t])) % N_ORDER
        tot += x * e
    return tot % N_ORDER

def prove(tables):  # tables: list of (P, [u...])
    t = T("proofmarket.transcript-test")
    sizes = [len(tables)]
    for P, us in tables: sizes += [len(P), len(us)]
    t.absorb("sumcheck.shape", ints(sizes))
    values = [sum(a * b for a, b in zip(P, u)) % N_ORDER for P, us in tables for u in us]
    t.absorb("sumcheck.claimed-values", b''.join(sc(v) for v in values))
    rho = [1] + [t.challenge("challenge.sumcheck-batch-coefficient") for _ in range(len(values) - 1)]
    nk = [nvars(len(P)) for P, _ in tables]
    order = sorted(range(len(tables)), key=lambda k: (-nk[k], k))
    off = {}; nxt = 0
    for k in order: off[k] = nxt; nxt += 1 << nk[k]
    n = nvars(nxt)
    p = [0] * (1 << n); w = [0] * (1 << n); ri = 0
    for k, (P, us) in enumerate(tables):
        for i, x in enumerate(P): p[off[k] + i] = x % N_ORDER
        for u in us:
            for i, x in enumerate(u): w[off[k] + i] = (w[off[k] + i] + rho[ri] * x) % N_ORDER
            ri += 1
    out = b''; point = []
    for j in range(n):
        h = len(p) // 2
        def g(X):
            return sum(((p[i] + X * (p[i + h] - p[i])) * (w[i] + X * (w[i + h] - w[i]))) for i in range(h)) % N_ORDER
        msg = [g(0), g(1), g(2)]
        m = b''.join(sc(x) for x in msg)
        t.absorb("message.sumcheck-round", m)
        r = t.challenge("challenge.sumcheck-round")
        out += m; point.append(r)
        p = [(p[i] + r * (p[i + h] - p[i])) % N_ORDER for i in range(h)]
        w = [(w[i] + r * (w[i + h] - w[i])) % N_ORDER for i in range(h)]
    evals = [mle([x % N_ORDER for x in P], point[n - nk[k]:]) for k, (P, _) in enumerate(tables)]
    e = b''.join(sc(x) for x in evals)
    t.absorb("message.sumcheck-evaluations", e)
    out += e
    return out.hex(), t.s.hex()

print(prove([([3, 5, 7], [[2, -1, 4]])]))
print(prove([([1, 2], [[3, 4]]), ([5, 6, 7, 8, 9], [[1, 1, 1, 1, 1], [0, 1, 2, 3, 4]])]))
