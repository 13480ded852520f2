import Glibc

/// The `Date` header value in IMF-fixdate form (RFC 9110 §5.6.7), cached per second: one
/// formatting per second per loop, not one per response.
struct HTTPDate {
    private var cachedSecond: Int = -1
    private var cached: [UInt8] = []

    /// The current date as bytes, such as `Sun, 06 Nov 1994 08:49:37 GMT`.
    mutating func bytes() -> [UInt8] {
        var now = time(nil)
        if now == cachedSecond { return cached }
        cachedSecond = now
        var parts = tm()
        gmtime_r(&now, &parts)
        cached = Array(Self.format(parts).utf8)
        return cached
    }

    static func format(_ t: tm) -> String {
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(days[Int(t.tm_wday)]), \(two(t.tm_mday)) \(months[Int(t.tm_mon)]) \(t.tm_year + 1900) "
            + "\(two(t.tm_hour)):\(two(t.tm_min)):\(two(t.tm_sec)) GMT"
    }
}
