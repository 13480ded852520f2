import Testing
@testable import Market

@Suite struct BoundedCacheTests {
    @Test func keepsAtMostItsCapacity_AndNeverAnswersWrong() {
        let cache = BoundedCache<Int, String>(capacity: 3)
        for key in 0..<10 {
            cache.keep("value \(key)", for: key)
            #expect(cache[key] == "value \(key)")
            #expect((0..<10).filter { cache[$0] != nil }.count <= 3)
            // Whatever is still kept is what was kept for that key.
            for other in 0..<10 { if let kept = cache[other] { #expect(kept == "value \(other)") } }
        }
        #expect(cache[42] == nil)
    }
}
