import COpenSSL
import Glibc

/// An OpenSSL context: for a server, the certificate chain and key (PEM files); for a client,
/// the trust settings. TLS 1.2 and 1.3 only. Sessions made from it run non-blocking.
public final class TLSContext: @unchecked Sendable {
    let context: OpaquePointer

    /// A server context from PEM files (`--tls-cert`, `--tls-key`).
    public init(certificatePath: String, privateKeyPath: String) throws {
        guard let ctx = SSL_CTX_new(TLS_server_method()) else { throw TLSError.openSSL("SSL_CTX_new") }
        context = ctx
        try Self.configure(ctx)
        guard SSL_CTX_use_certificate_chain_file(ctx, certificatePath) == 1 else {
            throw TLSError.openSSL("loading certificate \(certificatePath)")
        }
        guard SSL_CTX_use_PrivateKey_file(ctx, privateKeyPath, SSL_FILETYPE_PEM) == 1,
              SSL_CTX_check_private_key(ctx) == 1 else {
            throw TLSError.openSSL("loading private key \(privateKeyPath)")
        }
    }

    /// A client context. With `verifyPeer` the system trust store (plus `caFile`) is used and
    /// the server name is checked; without it any certificate is accepted (tests only).
    public init(clientVerifyingPeer verifyPeer: Bool = true, caFile: String? = nil) throws {
        guard let ctx = SSL_CTX_new(TLS_client_method()) else { throw TLSError.openSSL("SSL_CTX_new") }
        context = ctx
        try Self.configure(ctx)
        if verifyPeer {
            SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nil)
            SSL_CTX_set_default_verify_paths(ctx)
            if let caFile { SSL_CTX_load_verify_locations(ctx, caFile, nil) }
        } else {
            SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nil)
        }
    }

    deinit { SSL_CTX_free(context) }

    private static func configure(_ ctx: OpaquePointer) throws {
        // SSL_CTX_set_min_proto_version and SSL_CTX_set_mode are macros over SSL_CTX_ctrl.
        guard SSL_CTX_ctrl(ctx, SSL_CTRL_SET_MIN_PROTO_VERSION, Int(TLS1_2_VERSION), nil) == 1 else {
            throw TLSError.openSSL("setting minimum TLS version")
        }
        // Partial writes and a moving buffer: our outbound buffer may be reallocated between retries.
        _ = SSL_CTX_ctrl(ctx, SSL_CTRL_MODE, Int(SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER), nil)
    }

    /// Makes a session over a connected non-blocking socket.
    func session(fd: Int32, server: Bool, hostName: String? = nil) throws -> TLSSession {
        guard let ssl = SSL_new(context) else { throw TLSError.openSSL("SSL_new") }
        SSL_set_fd(ssl, fd)
        if server {
            SSL_set_accept_state(ssl)
        } else {
            if let hostName {
                // SNI (SSL_set_tlsext_host_name is a macro over SSL_ctrl) and host name checking.
                // OpenSSL copies the name, so the pointer only has to live for the call.
                _ = hostName.withCString { name in
                    SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, Int(TLSEXT_NAMETYPE_host_name), UnsafeMutableRawPointer(mutating: name))
                }
                SSL_set1_host(ssl, hostName)
            }
            SSL_set_connect_state(ssl)
        }
        return TLSSession(ssl: ssl)
    }
}

/// One TLS connection. The handshake happens inside the first reads and writes, so it is
/// non-blocking in the loop like any other I/O: WANT_READ / WANT_WRITE become `.wouldBlock`.
final class TLSSession {
    private let ssl: OpaquePointer

    init(ssl: OpaquePointer) { self.ssl = ssl }
    deinit { SSL_free(ssl) }

    /// Reads decrypted bytes.
    func read(into buffer: UnsafeMutableRawBufferPointer) -> SocketIO.Result {
        ERR_clear_error()
        let n = SSL_read(ssl, buffer.baseAddress, Int32(min(buffer.count, Int(Int32.max))))
        if n > 0 { return .bytes(Int(n)) }
        return result(of: n)
    }

    /// Encrypts and sends bytes.
    func write(_ buffer: UnsafeRawBufferPointer) -> SocketIO.Result {
        guard buffer.count > 0 else { return .bytes(0) }
        ERR_clear_error()
        let n = SSL_write(ssl, buffer.baseAddress, Int32(min(buffer.count, Int(Int32.max))))
        if n > 0 { return .bytes(Int(n)) }
        return result(of: n)
    }

    /// The negotiated protocol, such as "TLSv1.3".
    var protocolVersion: String { String(cString: SSL_get_version(ssl)) }

    /// Sends close_notify, best effort.
    func shutdown() {
        ERR_clear_error()
        _ = SSL_shutdown(ssl)
    }

    private func result(of n: Int32) -> SocketIO.Result {
        let error = SSL_get_error(ssl, n)
        switch error {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE: return .wouldBlock
        case SSL_ERROR_ZERO_RETURN: return .eof
        case SSL_ERROR_SYSCALL:
            let e = errno
            return e == 0 ? .eof : .failed(e)
        default: return .failed(EPROTO)
        }
    }
}

/// TLS setup failures.
public enum TLSError: Error, CustomStringConvertible {
    /// An OpenSSL call failed; the text includes OpenSSL's own error string.
    case openSSL(String)

    /// What failed.
    public var description: String {
        switch self {
        case .openSSL(let what):
            let code = ERR_get_error()
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, 256)
            return "TLS: \(what): \(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))"
        }
    }
}

/// The byte pipe under a connection: the socket itself, or TLS over it.
enum Transport {
    case plain(Int32)
    case tls(Int32, TLSSession)

    var fd: Int32 {
        switch self {
        case .plain(let fd), .tls(let fd, _): return fd
        }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) -> SocketIO.Result {
        switch self {
        case .plain(let fd): return SocketIO.read(fd, into: buffer)
        case .tls(_, let session): return session.read(into: buffer)
        }
    }

    func write(_ buffer: UnsafeRawBufferPointer) -> SocketIO.Result {
        switch self {
        case .plain(let fd): return SocketIO.write(fd, buffer)
        case .tls(_, let session): return session.write(buffer)
        }
    }

    /// Ends the sending side: TLS close_notify first when there is TLS, then a TCP FIN.
    /// Reading goes on (TLS 1.3 and OpenSSL allow reading after our close_notify).
    func shutdownOutput() {
        if case .tls(_, let session) = self { session.shutdown() }
        SocketIO.shutdownOutput(fd)
    }

    /// Closes the descriptor, sending close_notify first unless `shutdownOutput` already did.
    func close(outputShut: Bool = false) {
        if !outputShut, case .tls(_, let session) = self { session.shutdown() }
        SocketIO.close(fd)
    }
}
