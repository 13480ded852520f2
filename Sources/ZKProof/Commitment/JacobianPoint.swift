/// P-256 points for the many additions of committing small-integer rows (`Hyrax.commit`),
/// in native arithmetic over `BaseField`: OpenSSL's `EC_POINT_add` goes through its generic
/// big-number layer and costs several times more than the formulas below.
///
/// Math: the curve is `y² = x³ − 3x + b` over `F_p`. An `AffinePoint` is `(x, y)`; a
/// `JacobianPoint` `(X, Y, Z)` stands for `(X/Z², Y/Z³)`, and `Z = 0` is the identity. With
/// `a = −3` (field elements in Montgomery form, as `BaseField` keeps them):
///
///     double:     δ = Z², γ = Y², β = X·γ, α = 3·(X − δ)·(X + δ)
///                 X' = α² − 8β,  Z' = (Y + Z)² − γ − δ,  Y' = α·(4β − X') − 8γ²
///     add:        U1 = X1·Z2², U2 = X2·Z1², S1 = Y1·Z2³, S2 = Y2·Z1³, H = U2 − U1, r = S2 − S1
///                 X3 = r² − H³ − 2·U1·H²,  Y3 = r·(U1·H² − X3) − S1·H³,  Z3 = Z1·Z2·H
///
/// (the mixed addition is the same with `Z2 = 1`). `H = 0` means equal `x`: the points are
/// equal (`r = 0`, double) or opposite (the identity). The group has odd prime order, so no
/// point has `y = 0` and doubling never meets the identity by accident.
///
/// Only the prover's commitments use this (the verifier's arithmetic stays OpenSSL's); every
/// result is turned back into a `CurvePoint` through `EC_POINT_set_affine_coordinates`, which
/// checks that it is on the curve.
struct AffinePoint: Equatable {
    var x: BaseField
    var y: BaseField

    /// `−(x, y) = (x, −y)`.
    var negated: AffinePoint { AffinePoint(x: x, y: y.negated) }
}

struct JacobianPoint {
    var x: BaseField
    var y: BaseField
    var z: BaseField

    static let identity = JacobianPoint(x: .one, y: .one, z: .zero)

    var isIdentity: Bool { z.isZero }

    init(x: BaseField, y: BaseField, z: BaseField) {
        self.x = x; self.y = y; self.z = z
    }

    init(_ p: AffinePoint) {
        self.init(x: p.x, y: p.y, z: .one)
    }

    /// `self ← 2·self`.
    mutating func double() {
        let delta = z * z
        let gamma = y * y
        let beta = x * gamma
        let t = (x - delta) * (x + delta)
        let alpha = t + t + t
        let beta2 = beta + beta
        let beta4 = beta2 + beta2
        let newX = alpha * alpha - (beta4 + beta4)
        let yz = y + z
        let newZ = yz * yz - gamma - delta
        let gamma2 = gamma * gamma
        let gamma2x2 = gamma2 + gamma2
        let gamma2x4 = gamma2x2 + gamma2x2
        y = alpha * (beta4 - newX) - (gamma2x4 + gamma2x4)
        x = newX
        z = newZ
    }

    /// `self ← self + q`.
    mutating func add(_ q: AffinePoint) {
        if isIdentity {
            self = JacobianPoint(q)
            return
        }
        let z1z1 = z * z
        let u2 = q.x * z1z1
        let s2 = q.y * z * z1z1
        combine(u1: x, s1: y, u2: u2, s2: s2, zProduct: z)
    }

    /// `self ← self + q`.
    mutating func add(_ q: JacobianPoint) {
        if q.isIdentity { return }
        if isIdentity {
            self = q
            return
        }
        let z1z1 = z * z
        let z2z2 = q.z * q.z
        let u1 = x * z2z2
        let u2 = q.x * z1z1
        let s1 = y * q.z * z2z2
        let s2 = q.y * z * z1z1
        combine(u1: u1, s1: s1, u2: u2, s2: s2, zProduct: z * q.z)
    }

    /// The common end of both additions (see the formulas above).
    private mutating func combine(u1: BaseField, s1: BaseField, u2: BaseField, s2: BaseField, zProduct: BaseField) {
        let h = u2 - u1
        let r = s2 - s1
        if h.isZero {
            if r.isZero { double() } else { self = .identity }
            return
        }
        let hh = h * h
        let hhh = h * hh
        let v = u1 * hh
        let newX = r * r - hhh - (v + v)
        y = r * (v - newX) - s1 * hhh
        x = newX
        z = zProduct * h
    }

    /// The affine forms of `points` (nil for the identity), with one field inversion for all
    /// of them (Montgomery's trick: invert the product of the `Z`s, then peel it apart).
    static func affine(_ points: [JacobianPoint]) -> [AffinePoint?] {
        var prefix: [BaseField] = []
        prefix.reserveCapacity(points.count)
        var product = BaseField.one
        for p in points where !p.isIdentity {
            product = product * p.z
            prefix.append(product)
        }
        var inverse = product.inverse
        var out = [AffinePoint?](repeating: nil, count: points.count)
        var k = prefix.count - 1
        for i in stride(from: points.count - 1, through: 0, by: -1) where !points[i].isIdentity {
            // inverse = (z_0 ⋯ z_k)⁻¹ here; z_k⁻¹ = inverse · (z_0 ⋯ z_(k−1)).
            let zInverse = k > 0 ? inverse * prefix[k - 1] : inverse
            inverse = inverse * points[i].z
            let zz = zInverse * zInverse
            out[i] = AffinePoint(x: points[i].x * zz, y: points[i].y * zz * zInverse)
            k -= 1
        }
        return out
    }
}
