import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Which IP addresses a webhook may be sent to.
///
/// A webhook URL is chosen by a client, and the coordinator POSTs to it from inside its own
/// network: without a rule, a client could make the coordinator call its own admin API, a
/// database on the private network, or a cloud metadata service (169.254.169.254). So only
/// globally routable unicast addresses are allowed, unless the operator opts out
/// (`serve --webhook-allow-private`, for receivers on the same machine or network).
///
/// The rule is applied twice: to the URL when a job is created (a host that is an address
/// literal, in any form `inet_aton` and `getaddrinfo` accept, or a name that is loopback by
/// definition), and to every address the host resolves to when a delivery is sent, which is
/// also the address then connected to, so a name cannot be re-pointed in between.
public enum WebhookAddress {
    /// Why an address is refused; the raw value is the stable reason recorded and returned.
    public enum Refusal: String, Sendable, Equatable {
        /// `127.0.0.0/8`, `::1`, and names such as `localhost`.
        case loopback
        /// RFC 1918 (`10/8`, `172.16/12`, `192.168/16`), unique local `fc00::/7`, site-local `fec0::/10`.
        case `private`
        /// Carrier-grade NAT, `100.64.0.0/10` (RFC 6598).
        case sharedAddressSpace = "shared_address_space"
        /// `169.254.0.0/16` (cloud metadata lives here) and `fe80::/10`.
        case linkLocal = "link_local"
        /// `224.0.0.0/4` and `ff00::/8`.
        case multicast
        /// `255.255.255.255`.
        case broadcast
        /// `0.0.0.0` and `::`.
        case unspecified
        /// Every other special-purpose block (RFC 6890): `0/8`, `192.0.0/24`, documentation
        /// and benchmarking ranges, `240/4`, and IPv6 outside global unicast `2000::/3`.
        case reserved
    }

    /// A host that is an address literal.
    public enum Literal: Sendable, Equatable {
        /// An IPv4 address, in host byte order.
        case v4(UInt32)
        /// An IPv6 address, 16 bytes.
        case v6([UInt8])
    }

    /// The address `host` spells, if it is a literal: IPv4 in every form `inet_aton` accepts
    /// (`127.1`, `0x7f000001`, `2130706433`, `0177.0.0.1`, `0`), or IPv6, bracketed or not,
    /// with any zone (`%eth0`) removed.
    public static func literal(_ host: String) -> Literal? {
        var text = host
        if text.hasPrefix("["), text.hasSuffix("]") { text = String(text.dropFirst().dropLast()) }
        if let zone = text.firstIndex(of: "%") { text = String(text[..<zone]) }
        if text.contains(":") {
            var v6 = in6_addr()
            guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
            return .v6(withUnsafeBytes(of: &v6) { Array($0) })
        }
        // inet_aton accepts trailing junk after a space; a URL host has none, but be exact.
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && ($0.isHexDigit || $0 == "." || $0 == "x" || $0 == "X") }) else { return nil }
        var v4 = in_addr()
        guard inet_aton(text, &v4) != 0 else { return nil }
        return .v4(UInt32(bigEndian: v4.s_addr))
    }

    /// Whether `host` names the loopback interface by definition (RFC 6761 §6.3): `localhost`
    /// and every name under `.localhost`, in any case, with or without the final dot.
    public static func isLoopbackName(_ host: String) -> Bool {
        var name = host.lowercased()
        while name.hasSuffix(".") { name.removeLast() }
        return name == "localhost" || name.hasSuffix(".localhost")
    }

    /// Why a webhook may not go to `host` as written, nil if nothing in the name itself forbids
    /// it (a name may still resolve to a refused address at delivery).
    public static func refusal(host: String) -> Refusal? {
        if isLoopbackName(host) { return .loopback }
        switch literal(host) {
        case .v4(let address): return refusal(ipv4: address)
        case .v6(let bytes): return refusal(ipv6: bytes)
        case nil: return nil
        }
    }

    /// Why a webhook may not go to this IPv4 address (host byte order), nil if it may.
    public static func refusal(ipv4 a: UInt32) -> Refusal? {
        func within(_ prefix: UInt32, _ bits: UInt32) -> Bool { bits == 0 || a >> (32 - bits) == prefix >> (32 - bits) }
        if a == 0 { return .unspecified }
        if a == 0xFFFF_FFFF { return .broadcast }
        if within(0x7F00_0000, 8) { return .loopback }
        if within(0x0A00_0000, 8) || within(0xAC10_0000, 12) || within(0xC0A8_0000, 16) { return .private }
        if within(0x6440_0000, 10) { return .sharedAddressSpace }
        if within(0xA9FE_0000, 16) { return .linkLocal }
        if within(0xE000_0000, 4) { return .multicast }
        let reserved: [(UInt32, UInt32)] = [
            (0x0000_0000, 8),    // "this network"
            (0xC000_0000, 24),   // IETF protocol assignments
            (0xC000_0200, 24),   // TEST-NET-1
            (0xC058_6300, 24),   // 6to4 relay anycast
            (0xC612_0000, 15),   // benchmarking
            (0xC633_6400, 24),   // TEST-NET-2
            (0xCB00_7100, 24),   // TEST-NET-3
            (0xF000_0000, 4),    // reserved for future use
        ]
        if reserved.contains(where: { within($0.0, $0.1) }) { return .reserved }
        return nil
    }

    /// Why a webhook may not go to this IPv6 address (16 bytes), nil if it may. Addresses that
    /// carry an IPv4 address (v4-mapped `::ffff:a.b.c.d`, v4-compatible `::a.b.c.d`, NAT64
    /// `64:ff9b::a.b.c.d`, 6to4 `2002:aabb:ccdd::`) are judged by that address too.
    public static func refusal(ipv6 b: [UInt8]) -> Refusal? {
        guard b.count == 16 else { return .reserved }
        func embedded(at offset: Int) -> UInt32 { b[offset..<offset + 4].reduce(0) { $0 << 8 | UInt32($1) } }
        let firstTen = b[0..<10].allSatisfy { $0 == 0 }
        if b.allSatisfy({ $0 == 0 }) { return .unspecified }
        if firstTen, b[10] == 0, b[11] == 0, b[12..<15].allSatisfy({ $0 == 0 }), b[15] == 1 { return .loopback }
        if firstTen, b[10] == 0xFF, b[11] == 0xFF { return refusal(ipv4: embedded(at: 12)) }        // v4-mapped
        if firstTen, b[10] == 0, b[11] == 0 { return refusal(ipv4: embedded(at: 12)) ?? .reserved }  // v4-compatible (deprecated)
        if b[0] == 0x00, b[1] == 0x64, b[2] == 0xFF, b[3] == 0x9B, b[4..<12].allSatisfy({ $0 == 0 }) {
            return refusal(ipv4: embedded(at: 12))                                                 // NAT64, RFC 6052
        }
        if b[0] == 0xFF { return .multicast }
        if b[0] == 0xFE, b[1] & 0xC0 == 0x80 { return .linkLocal }
        if b[0] == 0xFE, b[1] & 0xC0 == 0xC0 { return .private }                                   // site-local (deprecated)
        if b[0] & 0xFE == 0xFC { return .private }                                                 // unique local
        if b[0] & 0xE0 != 0x20 { return .reserved }                                                // outside 2000::/3
        if b[0] == 0x20, b[1] == 0x02 { return refusal(ipv4: embedded(at: 2)) }                    // 6to4
        if b[0] == 0x20, b[1] == 0x01, b[2] == 0x0D, b[3] == 0xB8 { return .reserved }             // documentation
        if b[0] == 0x20, b[1] == 0x01, b[2] < 0x02 { return .reserved }                            // 2001::/23 IETF (Teredo, …)
        return nil
    }

    /// Dotted-quad text of an IPv4 address in host byte order.
    public static func text(ipv4 a: UInt32) -> String {
        "\(a >> 24).\(a >> 16 & 0xFF).\(a >> 8 & 0xFF).\(a & 0xFF)"
    }
}
