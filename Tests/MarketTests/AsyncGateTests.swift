import Foundation
import Market
import Synchronization
import Testing

/// The settlement gate: at most `slots` holders, waiters served in arrival order, and a
/// bounded number of waiters (past it, `verifier_busy`).
@Suite struct AsyncGateTests {
    /// Shared state the tasks under test write to.
    final class Record: Sendable {
        private struct State { var inside = 0; var most = 0; var order: [Int] = [] }
        private let state = Mutex(State())
        func enter() { state.withLock { $0.inside += 1; $0.most = max($0.most, $0.inside) } }
        func leave() { state.withLock { $0.inside -= 1 } }
        func arrived(_ index: Int) { state.withLock { $0.order.append(index) } }
        var inside: Int { state.withLock { $0.inside } }
        var most: Int { state.withLock { $0.most } }
        var order: [Int] { state.withLock { $0.order } }
    }

    @Test func neverMoreThanItsSlots_AndEveryoneGetsThrough() async throws {
        let gate = AsyncGate(slots: 3, waitersMax: 100)
        let record = Record()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<60 {
                group.addTask {
                    try await gate.run {
                        record.enter()
                        try await Task.sleep(nanoseconds: 2_000_000)
                        record.leave()
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(record.most == 3)
        #expect(record.inside == 0)
    }

    @Test func waitersAreServedInArrivalOrder() async throws {
        let gate = AsyncGate(slots: 1, waitersMax: 10)
        let record = Record()
        let release = AsyncStream<Void>.makeStream()
        // The first holder keeps the slot until told.
        let holder = Task { try await gate.run { for await _ in release.stream { break } } }
        try await Task.sleep(nanoseconds: 50_000_000)
        var waiters: [Task<Void, Error>] = []
        for index in 0..<5 {
            waiters.append(Task { try await gate.run { record.arrived(index) } })
            try await Task.sleep(nanoseconds: 20_000_000)   // arrive one after another
        }
        release.continuation.yield()
        try await holder.value
        for waiter in waiters { try await waiter.value }
        #expect(record.order == [0, 1, 2, 3, 4])
    }

    @Test func tooManyWaiters_AreRefusedAsBusy() async throws {
        let gate = AsyncGate(slots: 1, waitersMax: 2)
        let release = AsyncStream<Void>.makeStream()
        let holder = Task { try await gate.run { for await _ in release.stream { break } } }
        try await Task.sleep(nanoseconds: 50_000_000)
        let waiting = (0..<2).map { _ in Task { try await gate.run { } } }
        try await Task.sleep(nanoseconds: 50_000_000)
        do {
            try await gate.run { }
            Issue.record("a third waiter was let in")
        } catch let error as MarketError {
            #expect(error.code == .verifierBusy)
        }
        release.continuation.yield()
        try await holder.value
        for task in waiting { try await task.value }
        // Free again: the next caller goes straight in.
        #expect(try await gate.run { 7 } == 7)
    }
}
