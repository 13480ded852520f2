import Dispatch
import Foundation
import Market
#if canImport(Glibc)
import Glibc
#endif

/// Finds the one address a webhook delivery connects to, and refuses it if webhooks may not go
/// there (`WebhookAddress`).
///
/// The host is resolved once, every address it resolves to is checked, and the delivery then
/// connects to the address returned here (`HTTPClientRequest.connectAddress`), with the name
/// only in `Host`: a name re-pointed between the check and the connection (DNS rebinding)
/// gains nothing. A name with any refused address is refused as a whole.
struct WebhookResolver: Sendable {
    /// Whether non-public addresses are allowed (`MarketConfiguration.webhookPrivateAddressesAllowed`).
    let privateAddressesAllowed: Bool

    /// Why a delivery has no address to go to; the description is recorded as its error.
    enum Failure: Error, Equatable, CustomStringConvertible {
        /// The host is, or resolves to, an address webhooks may not reach.
        case disallowed(host: String, address: String, WebhookAddress.Refusal)
        /// The name does not resolve.
        case unresolvable(host: String)
        /// Only IPv6 addresses, which the HTTP client cannot connect to yet.
        case noIPv4(host: String)

        var description: String {
            switch self {
            case .disallowed(let host, let address, let refusal):
                return host == address ? "address_disallowed: \(host) is not a public address (\(refusal.rawValue))"
                    : "address_disallowed: \(host) resolves to \(address), not a public address (\(refusal.rawValue))"
            case .unresolvable(let host): return "unresolvable_host: \(host) does not resolve"
            case .noIPv4(let host): return "no_ipv4_address: \(host) has no IPv4 address (IPv6 receivers are not supported)"
            }
        }
    }

    /// The dotted-quad IPv4 address to connect to for `host`.
    func address(for host: String) async -> Result<String, Failure> {
        let allowed = privateAddressesAllowed
        switch WebhookAddress.literal(host) {
        case .v4(let address):
            if !allowed, let refusal = WebhookAddress.refusal(ipv4: address) { return .failure(.disallowed(host: host, address: host, refusal)) }
            return .success(WebhookAddress.text(ipv4: address))
        case .v6(let bytes):
            if !allowed, let refusal = WebhookAddress.refusal(ipv6: bytes) { return .failure(.disallowed(host: host, address: host, refusal)) }
            return .failure(.noIPv4(host: host))
        case nil:
            break
        }
        // Names are looked up even when they are loopback by definition, so the record names
        // the address the name actually gave.
        let addresses = await Self.lookUp(host)
        if !allowed {
            for address in addresses {
                if let refusal = Self.refusal(address) { return .failure(.disallowed(host: host, address: Self.text(address), refusal)) }
            }
            // Loopback by definition, whatever a resolver says (RFC 6761 §6.3).
            if WebhookAddress.isLoopbackName(host) { return .failure(.disallowed(host: host, address: host, .loopback)) }
        }
        guard !addresses.isEmpty else { return .failure(.unresolvable(host: host)) }
        for case .v4(let a) in addresses { return .success(WebhookAddress.text(ipv4: a)) }
        return .failure(.noIPv4(host: host))
    }

    /// Every address `getaddrinfo` gives for `host`, IPv4 and IPv6. It blocks (it may wait on
    /// DNS), so it runs on a dispatch thread, never on a thread of the cooperative pool.
    static func lookUp(_ host: String) async -> [WebhookAddress.Literal] {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                var hints = addrinfo()
                hints.ai_family = AF_UNSPEC
                hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
                var result: UnsafeMutablePointer<addrinfo>?
                guard getaddrinfo(host, nil, &hints, &result) == 0 else {
                    continuation.resume(returning: [])
                    return
                }
                defer { freeaddrinfo(result) }
                var found: [WebhookAddress.Literal] = []
                var entry = result
                while let e = entry {
                    if let address = e.pointee.ai_addr {
                        if e.pointee.ai_family == AF_INET {
                            let sin = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee }
                            found.append(.v4(UInt32(bigEndian: sin.sin_addr.s_addr)))
                        } else if e.pointee.ai_family == AF_INET6 {
                            var sin6 = address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee }
                            found.append(.v6(withUnsafeBytes(of: &sin6.sin6_addr) { Array($0) }))
                        }
                    }
                    entry = e.pointee.ai_next
                }
                continuation.resume(returning: found)
            }
        }
    }

    private static func refusal(_ address: WebhookAddress.Literal) -> WebhookAddress.Refusal? {
        switch address {
        case .v4(let a): return WebhookAddress.refusal(ipv4: a)
        case .v6(let bytes): return WebhookAddress.refusal(ipv6: bytes)
        }
    }

    private static func text(_ address: WebhookAddress.Literal) -> String {
        switch address {
        case .v4(let a): return WebhookAddress.text(ipv4: a)
        case .v6(let bytes): return text(ipv6: bytes)
        }
    }

    static func text(ipv6 bytes: [UInt8]) -> String {
        var address = in6_addr()
        withUnsafeMutableBytes(of: &address) { $0.copyBytes(from: bytes.prefix(16)) }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        inet_ntop(AF_INET6, &address, &text, socklen_t(INET6_ADDRSTRLEN))
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
