import CSocketShim
import Glibc
import Synchronization

/// Something registered with an event loop for a file descriptor.
protocol EventHandler: AnyObject {
    /// Readiness bits arrived for the handler's descriptor (edge-triggered unless noted).
    func handleEvents(_ events: UInt32)
    /// Called about every `EventLoop.tickNanos` with the monotonic time, for timeouts.
    func tick(now: UInt64)
}

/// One epoll loop on its own thread. It owns the sockets registered with it: only its thread
/// touches them. It is also a `TaskExecutor`, so a handler task started with this loop as its
/// executor preference runs on the loop thread and returns to it after any suspension: a
/// handler that does not wait costs no thread hop at all.
final class EventLoop: TaskExecutor, @unchecked Sendable {
    /// Work queued for the loop thread.
    private enum Job: @unchecked Sendable {
        case task(UnownedJob)
        case closure(@Sendable () -> Void)
    }

    /// How often handlers get `tick`, in nanoseconds.
    static let tickNanos: UInt64 = 50_000_000

    let epollFD: Int32
    private let wakeFD: Int32
    private var handlers: [EventHandler?] = []
    private let queue = Mutex<[Job]>([])
    private var spare: [Job] = []
    private let threadID = Atomic<UInt>(0)
    private let stopped = Atomic<Bool>(false)
    private var lastTick: UInt64 = 0
    private let exitState = Mutex<(done: Bool, waiter: CheckedContinuation<Void, Never>?)>((false, nil))
    /// The thread's name, such as `http-loop-0`; set before the thread starts, read once by it.
    private var threadName = "http-loop"
    /// The loop's cached `Date` header.
    var date = HTTPDate()

    /// Makes a loop; call `start()` to give it a thread.
    init() throws {
        epollFD = pm_epoll_create()
        wakeFD = pm_eventfd()
        guard epollFD >= 0, wakeFD >= 0 else { throw SocketError.system("epoll_create/eventfd", errno) }
        _ = pm_epoll_ctl(epollFD, 1, wakeFD, PM_EPOLLIN)
    }

    deinit {
        SocketIO.close(epollFD)
        SocketIO.close(wakeFD)
    }

    /// Starts the loop thread.
    func start(name: String) {
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        threadName = name
        let box = Unmanaged.passRetained(self)
        var thread = pthread_t()
        pthread_create(&thread, &attributes, { raw in
            let loop = Unmanaged<EventLoop>.fromOpaque(raw!).takeRetainedValue()
            _ = pm_set_thread_name(loop.threadName)
            loop.run()
            return nil
        }, box.toOpaque())
        pthread_detach(thread)
    }

    /// Whether the caller is on this loop's thread.
    var inLoop: Bool { threadID.load(ordering: .relaxed) == UInt(pthread_self()) }

    /// Monotonic nanoseconds: the loop's clock, injected into every state machine call.
    static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }

    /// Registers `handler` for `fd` with `events`. Loop thread only.
    func register(_ fd: Int32, events: UInt32, handler: EventHandler) {
        let index = Int(fd)
        if index >= handlers.count { handlers.append(contentsOf: repeatElement(nil, count: index + 1 - handlers.count + 64)) }
        handlers[index] = handler
        _ = pm_epoll_ctl(epollFD, 1, fd, events)
    }

    /// Removes `fd` from the loop (before closing it). Loop thread only.
    func deregister(_ fd: Int32) {
        _ = pm_epoll_ctl(epollFD, 2, fd, 0)
        if Int(fd) < handlers.count { handlers[Int(fd)] = nil }
    }

    /// Keeps `handler` in the tick table for `fd` without epoll interest (a paused listener).
    func keepForTicks(_ fd: Int32, handler: EventHandler) {
        let index = Int(fd)
        if index >= handlers.count { handlers.append(contentsOf: repeatElement(nil, count: index + 1 - handlers.count + 64)) }
        handlers[index] = handler
    }

    /// Drops `fd` from the tick table. Loop thread only.
    func forget(_ fd: Int32) {
        if Int(fd) < handlers.count { handlers[Int(fd)] = nil }
    }

    /// Every handler currently registered (connections and listeners). Loop thread only.
    var registeredHandlers: [EventHandler] { handlers.compactMap { $0 } }

    /// Runs `work` on the loop thread, soon.
    func execute(_ work: @escaping @Sendable () -> Void) {
        push(.closure(work))
    }

    /// Runs `work` now when on the loop thread, otherwise queues it.
    func executeSoon(_ work: @escaping @Sendable () -> Void) {
        if inLoop { work() } else { push(.closure(work)) }
    }

    /// TaskExecutor: queues a job of a task that prefers this loop.
    func enqueue(_ job: consuming ExecutorJob) {
        push(.task(UnownedJob(job)))
    }

    private func push(_ job: Job) {
        queue.withLock { $0.append(job) }
        if !inLoop {
            var one: UInt64 = 1
            _ = Glibc.write(wakeFD, &one, 8)
        }
    }

    /// Asks the loop to exit after its current iteration.
    func stop() {
        stopped.store(true, ordering: .relaxed)
        var one: UInt64 = 1
        _ = Glibc.write(wakeFD, &one, 8)
    }

    /// Waits until the loop thread has exited.
    func waitForExit() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let resumeNow = exitState.withLock { state -> Bool in
                if state.done { return true }
                state.waiter = c
                return false
            }
            if resumeNow { c.resume() }
        }
    }

    private func run() {
        threadID.store(UInt(pthread_self()), ordering: .relaxed)
        var events = [pm_event](repeating: pm_event(), count: 256)
        lastTick = Self.now()
        while !stopped.load(ordering: .relaxed) {
            let pending = queue.withLock { !$0.isEmpty }
            let n = events.withUnsafeMutableBufferPointer { pm_epoll_wait(epollFD, $0.baseAddress, 256, pending ? 0 : 50) }
            if n > 0 {
                for i in 0..<Int(n) {
                    let event = events[i]
                    if event.fd == wakeFD {
                        var value: UInt64 = 0
                        _ = Glibc.read(wakeFD, &value, 8)
                    } else if Int(event.fd) < handlers.count, let handler = handlers[Int(event.fd)] {
                        handler.handleEvents(event.events)
                    }
                }
            }
            runQueued()
            let now = Self.now()
            if now &- lastTick >= Self.tickNanos {
                lastTick = now
                for handler in handlers { handler?.tick(now: now) }
                runQueued()
            }
        }
        // Run what is left so no task is stranded, then report the exit.
        runQueued()
        let waiter = exitState.withLock { state -> CheckedContinuation<Void, Never>? in
            state.done = true
            return state.waiter
        }
        waiter?.resume()
    }

    private func runQueued() {
        // A bounded number of rounds, so a task that keeps re-enqueueing cannot starve epoll.
        for _ in 0..<16 {
            var batch = spare
            queue.withLock { swap(&$0, &batch) }
            if batch.isEmpty { spare = batch; return }
            for job in batch {
                switch job {
                case .task(let job): job.runSynchronously(on: asUnownedTaskExecutor())
                case .closure(let work): work()
                }
            }
            batch.removeAll(keepingCapacity: true)
            spare = batch
        }
    }
}
