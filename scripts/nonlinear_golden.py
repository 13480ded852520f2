#!/usr/bin/env python3
"""Expected values for Tests/InferenceTests/NonlinearGoldenTests.swift, from the mathematics.

Run:  python3 scripts/nonlinear_golden.py > Tests/InferenceTests/NonlinearGoldenValues.swift
Needs: mpmath.

Nothing here runs the Swift code or copies its output: each expected integer is the round
half up of the true value of the ONNX function at the quantised input, evaluated with mpmath
at 60 digits (exact rational arithmetic for the exact functions). For the approximated
functions an input whose true value lies within 10^-6 of a rounding tie is skipped, because
the stated bound (1/2 + 2^-14 units) allows either neighbour there; the exact functions keep
their ties, which pin the round-half-up rule.
"""
import random
from fractions import Fraction

import mpmath as mp

mp.mp.dps = 60
ATTR = 2 ** 24

ELU_ALPHA = 1 << 24
SELU_ALPHA = 28_070_626
SELU_GAMMA = 17_627_480
LEAKY_ALPHA = 167_772
HS_ALPHA = 3_355_443
HS_BETA = 1 << 23


def attr(a):
    return mp.mpf(a) / ATTR


def f_real(name, x):
    """True value (mpf) of the function at the exact input x, or None for a convention."""
    if name == "sigmoid":
        return 1 / (1 + mp.exp(-x))
    if name == "tanh":
        return mp.tanh(x)
    if name == "erf":
        return mp.erf(x)
    if name == "gelu":
        return x * (1 + mp.erf(x / mp.sqrt(2))) / 2
    if name == "geluTanh":
        return x * (1 + mp.tanh(mp.sqrt(2 / mp.pi) * (x + mp.mpf("0.044715") * x ** 3))) / 2
    if name == "exp":
        return mp.exp(x)
    if name == "log":
        return mp.log(x) if x > 0 else None
    if name == "softplus":
        return mp.log(1 + mp.exp(x))
    if name == "elu":
        return x if x >= 0 else attr(ELU_ALPHA) * (mp.exp(x) - 1)
    if name == "selu":
        return attr(SELU_GAMMA) * x if x > 0 else attr(SELU_GAMMA) * attr(SELU_ALPHA) * (mp.exp(x) - 1)
    raise KeyError(name)


def exact_real(name, x):
    """Exact value (Fraction) for the exactly rounded functions; sqrt handled apart."""
    if name == "leakyRelu":
        return x if x >= 0 else Fraction(LEAKY_ALPHA, ATTR) * x
    if name == "hardSigmoid":
        return min(Fraction(1), max(Fraction(0), Fraction(HS_ALPHA, ATTR) * x + Fraction(HS_BETA, ATTR)))
    if name == "hardSwish":
        return x * min(Fraction(1), max(Fraction(0), (x + 3) / 6))
    if name == "reciprocal":
        return None if x == 0 else 1 / x
    if name == "square":
        return x * x
    raise KeyError(name)


def floor_half_up(q):
    """⌊q + 1/2⌋ for a Fraction."""
    s = q + Fraction(1, 2)
    return s.numerator // s.denominator


def expected(name, v, fi, fo, lo, hi):
    """The expected clamped output, or None when too close to a tie to pin."""
    if name in ("leakyRelu", "hardSigmoid", "hardSwish", "reciprocal", "square"):
        x = Fraction(v, 2 ** fi)
        r = exact_real(name, x)
        y = hi if r is None else floor_half_up(r * 2 ** fo)
        return max(lo, min(hi, y))
    if name == "sqrt":
        if v <= 0:
            return max(lo, min(hi, 0))
        # ⌊√X + 1/2⌋ for X = v · 2^(2fo − fi): the largest r with (r − 1/2)² ≤ X, i.e. (2r − 1)² ≤ 4X.
        X = Fraction(v * 2 ** (2 * fo), 2 ** fi)
        r = int(mp.floor(mp.sqrt(mp.mpf(X.numerator) / X.denominator) + mp.mpf(1) / 2))
        while (2 * r - 1) ** 2 > 4 * X:
            r -= 1
        while (2 * r + 1) ** 2 <= 4 * X:
            r += 1
        return max(lo, min(hi, r))
    x = mp.mpf(v) / mp.mpf(2) ** fi
    r = f_real(name, x)
    if r is None:
        return lo
    t = r * mp.mpf(2) ** fo
    if t >= hi:
        return hi
    if t <= lo:
        return lo
    frac = t - mp.floor(t)
    if abs(frac - mp.mpf(1) / 2) < mp.mpf(10) ** -6:
        return None
    return int(mp.floor(t + mp.mpf(1) / 2))


FUNCTIONS = ["sigmoid", "tanh", "erf", "gelu", "geluTanh", "exp", "log", "softplus", "elu", "selu",
             "leakyRelu", "hardSigmoid", "hardSwish", "sqrt", "reciprocal", "square"]
SCALES = [(12, 16, -(1 << 40), 1 << 40), (8, 30, -(1 << 40), 1 << 40), (0, 8, -32768, 32767)]


def element_inputs(rng):
    fixed = [-32768, -20000, -12289, -4096, -3000, -2048, -1000, -511, -7, -1, 0, 1, 2, 3, 5, 100,
             777, 2048, 3001, 4096, 6144, 12288, 20000, 32767]
    return fixed + [rng.randrange(-32768, 32768) for _ in range(16)]


def kernel_cases(rng):
    exp_cases = []
    for _ in range(60):
        f = rng.choice([0, 4, 12, 30, 56])
        X = rng.randrange(-(64 << f) + 1, 64 << f)
        exp_cases.append((X, f))
    exp_cases += [(0, 0), (1, 0), (-1, 0), (63, 0), (-63, 0), ((64 << 30) - 1, 30), (-(64 << 56) + 1, 56)]
    out = []
    for X, f in exp_cases:
        x = mp.mpf(X) / mp.mpf(2) ** f
        t = x * mp.log(mp.e, 2)
        n = int(mp.floor(t))
        s = int(mp.nint(mp.exp(x) * mp.mpf(2) ** (62 - n)))
        out.append((X, f, n, s))
    ln_cases = []
    for _ in range(60):
        m = rng.randrange(1, 1 << 64)
        e = rng.randrange(-64, 1)
        ln_cases.append((m, e))
    ln_cases += [(1, 0), (2, -1), (3 << 61, -62), ((1 << 64) - 1, 0), (1, -30), (1 << 62, -62), ((1 << 63), -62)]
    ln_out = [(m, e, int(mp.nint(mp.log(mp.mpf(m) * mp.mpf(2) ** e) * mp.mpf(2) ** 56))) for m, e in ln_cases]
    erf_cases = []
    for _ in range(60):
        f = rng.choice([0, 8, 20, 30, 58])
        A = rng.randrange(0, int(7 * 2 ** f) + 1)
        erf_cases.append((A, f))
    erf_cases += [(0, 0), (1, 1), (13, 1), (12, 1), (3 << 57, 58), ((13 << 57) - 1, 58)]
    erf_out = [(A, f, int(mp.nint(mp.erf(mp.mpf(A) / mp.mpf(2) ** f) * mp.mpf(2) ** 62))) for A, f in erf_cases]
    rs = []
    for _ in range(40):
        M = rng.randrange(1 << 60, 1 << 62)
        rs.append(M)
    rs += [1 << 60, (1 << 62) - 1, 1 << 61]
    # ⌊2^93 / √M⌋ = ⌊√⌊2^186 / M⌋⌋ (floor of a root is the integer root of the floor).
    import math
    rs_out = [(M, math.isqrt((1 << 186) // M)) for M in rs]
    return out, ln_out, erf_out, rs_out


def main():
    rng = random.Random(20261202)
    w = print
    w("// Generated by scripts/nonlinear_golden.py (mpmath at 60 digits, exact fractions for the")
    w("// exactly rounded functions); the expected values come from the mathematics, not from the")
    w("// Swift implementation. Do not edit by hand. Plain text (one case a line, fields separated")
    w("// by spaces) compiles far faster than thousands of tuple literals.")
    w("")
    w("enum NonlinearGoldenValues {")
    w("    /// function fi fo lo hi input expected-output")
    w('    static let elements = """')
    inputs = element_inputs(rng)
    skipped = 0
    for name in FUNCTIONS:
        for fi, fo, lo, hi in SCALES:
            for v in inputs:
                y = expected(name, v, fi, fo, lo, hi)
                if y is None:
                    skipped += 1
                    continue
                w(f"        {name} {fi} {fo} {lo} {hi} {v} {y}")
    w('        """')
    w(f"    // {skipped} inputs skipped as within 10^-6 of a tie.")
    exp_out, ln_out, erf_out, rs_out = kernel_cases(rng)
    w("    /// expParts: X F n round(e^(X/2^F) · 2^(62−n)), with n = ⌊X/2^F · log2 e⌋")
    w('    static let exp = """')
    for X, f, n, s in exp_out:
        w(f"        {X} {f} {n} {s}")
    w('        """')
    w("    /// lnQ56: m e round(ln(m · 2^e) · 2^56)")
    w('    static let ln = """')
    for m, e, L in ln_out:
        w(f"        {m} {e} {L}")
    w('        """')
    w("    /// erfQ62: A F round(erf(A/2^F) · 2^62)")
    w('    static let erf = """')
    for A, f, E in erf_out:
        w(f"        {A} {f} {E}")
    w('        """')
    w("    /// inverseSqrt93: M ⌊2^93/√M⌋")
    w('    static let inverseSqrt = """')
    for M, R in rs_out:
        w(f"        {M} {R}")
    w('        """')
    w("}")


if __name__ == "__main__":
    main()
