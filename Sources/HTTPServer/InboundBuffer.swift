/// A growable byte buffer that a socket reads into and the parser consumes from the front.
/// Consumed bytes are reclaimed by moving the unread tail to the front when space runs out.
/// Bodies are copied out as they arrive, so the buffer only ever holds a head, a read's worth
/// of bytes and the pipelined read-ahead; once drained it gives back storage past
/// `retainedCapacityMax`, so one large read does not pin memory for the connection's life.
struct InboundBuffer: Sendable {
    /// The storage kept when the buffer empties, in bytes; more than this is given back.
    static let retainedCapacityMax = 64 * 1024

    private(set) var storage: [UInt8]
    private(set) var readIndex = 0
    private(set) var writeIndex = 0

    /// Makes an empty buffer with `capacity` bytes ready for reading into.
    init(capacity: Int = 4096) { storage = [UInt8](repeating: 0, count: capacity) }

    /// The number of bytes received and not yet consumed.
    var readableCount: Int { writeIndex - readIndex }

    /// The bytes of storage held, read or not.
    var capacity: Int { storage.count }

    /// Appends bytes (tests and TLS use this; sockets read in place with `write(minimum:_:)`).
    mutating func append<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        reserveTail(bytes.count)
        storage.withUnsafeMutableBufferPointer { dst in
            _ = UnsafeMutableBufferPointer(rebasing: dst[writeIndex...]).initialize(fromContentsOf: bytes)
        }
        writeIndex += bytes.count
    }

    /// Lets `body` write at most `free space` bytes at the tail and counts what it reports
    /// as written (a negative or zero report writes nothing). At least `minimum` bytes are free.
    mutating func write(minimum: Int, _ body: (UnsafeMutableRawBufferPointer) -> Int) -> Int {
        reserveTail(minimum)
        let written = storage.withUnsafeMutableBytes { raw in
            body(UnsafeMutableRawBufferPointer(rebasing: raw[writeIndex...]))
        }
        if written > 0 { writeIndex += written }
        return written
    }

    /// Gives the unread bytes to `body`, which must not keep the pointer.
    func withReadable<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try storage.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[readIndex..<writeIndex])) }
    }

    /// Appends `count` unread bytes to `target` (without consuming them).
    func copyOut(_ count: Int, appendingTo target: inout [UInt8]) {
        storage.withUnsafeBufferPointer { target.append(contentsOf: UnsafeBufferPointer(rebasing: $0[readIndex..<(readIndex + count)])) }
    }

    /// Copies `count` unread bytes out (without consuming them).
    func bytes(_ count: Int) -> [UInt8] { Array(storage[readIndex..<(readIndex + count)]) }

    /// Marks `count` bytes as consumed.
    mutating func consume(_ count: Int) {
        readIndex += count
        if readIndex == writeIndex {
            readIndex = 0
            writeIndex = 0
            if storage.count > Self.retainedCapacityMax { storage = [UInt8](repeating: 0, count: Self.retainedCapacityMax) }
        }
    }

    /// Drops every unread byte (a connection discarding what a client still sends).
    mutating func discardAll() { consume(readableCount) }

    private mutating func reserveTail(_ count: Int) {
        if storage.count - writeIndex >= count { return }
        if readIndex > 0 {
            storage.withUnsafeMutableBytes { raw in
                raw.baseAddress!.copyMemory(from: raw.baseAddress! + readIndex, byteCount: writeIndex - readIndex)
            }
            writeIndex -= readIndex
            readIndex = 0
        }
        if storage.count - writeIndex < count {
            var newSize = Swift.max(storage.count, 4096)
            while newSize - writeIndex < count { newSize *= 2 }
            // A fresh zeroed array and one memcpy: cheaper than a generic append, even unoptimised.
            var grown = [UInt8](repeating: 0, count: newSize)
            let used = writeIndex
            grown.withUnsafeMutableBytes { dst in storage.withUnsafeBytes { src in
                dst.baseAddress!.copyMemory(from: src.baseAddress!, byteCount: used)
            } }
            storage = grown
        }
    }
}
