import Foundation
import HTTPServer
import Market

/// The deliveries a dispatcher has claimed, and which one to send next.
///
/// Sending is concurrent but bounded three ways: in total, per receiver (a URL's host and
/// port, shared by every client that names it) and per client. The next delivery is chosen in
/// turn: the client after the one served last, then, within that client, its receiver after
/// the one served last, skipping any at its bound. So a client whose receivers hang holds at
/// most its own share of the slots, and every other client's next delivery starts as soon as
/// a slot is free, not after the hanging ones time out.
/// Not thread-safe: one dispatch loop owns it.
struct WebhookQueue {
    /// The bounds, from `WebhookDispatcher.Limits`.
    let limits: WebhookDispatcher.Limits
    /// One client's waiting deliveries, by receiver, and the receivers' turn order.
    private struct Lane {
        var waiting: [String: [WebhookDelivery]] = [:]
        var turns: [String] = []
        var count = 0
    }
    private var lanes: [UUID: Lane] = [:]
    /// Clients with waiting deliveries, in turn order; `cursor` is the next to be asked.
    private var clients: [UUID] = []
    private var cursor = 0
    private var sendingByClient: [UUID: Int] = [:]
    private var sendingByReceiver: [String: Int] = [:]
    /// Deliveries waiting to be sent.
    private(set) var waiting = 0
    /// Deliveries being sent.
    private(set) var sending = 0

    init(limits: WebhookDispatcher.Limits) { self.limits = limits }

    /// The receiver a delivery goes to: its URL's scheme, host and port, lowercased.
    static func receiver(of delivery: WebhookDelivery) -> String {
        guard let url = try? HTTPURL(delivery.url) else { return delivery.url.lowercased() }
        return "\(url.isTLS ? "https" : "http")://\(url.host.lowercased()):\(url.port)"
    }

    /// Deliveries held, waiting or being sent.
    var held: Int { waiting + sending }

    /// Clients holding at least `limits.heldPerClientMax` deliveries: not to be claimed for now.
    var fullClients: Set<UUID> {
        Set(lanes.keys).union(sendingByClient.keys).filter {
            (lanes[$0]?.count ?? 0) + sendingByClient[$0, default: 0] >= limits.heldPerClientMax
        }
    }

    /// Queues a claimed delivery behind its client's others to the same receiver.
    mutating func add(_ delivery: WebhookDelivery) {
        let receiver = Self.receiver(of: delivery)
        if lanes[delivery.clientID] == nil {
            lanes[delivery.clientID] = Lane()
            clients.append(delivery.clientID)
        }
        if lanes[delivery.clientID]?.waiting[receiver] == nil { lanes[delivery.clientID]?.turns.append(receiver) }
        lanes[delivery.clientID]?.waiting[receiver, default: []].append(delivery)
        lanes[delivery.clientID]?.count += 1
        waiting += 1
    }

    /// The next delivery to send, in turn, within every bound; nil if none may start now.
    /// It counts as being sent until `finish` is called with it.
    mutating func next() -> WebhookDelivery? {
        guard sending < limits.deliveriesConcurrentMax, !clients.isEmpty else { return nil }
        for step in 0..<clients.count {
            let index = (cursor + step) % clients.count
            let client = clients[index]
            guard sendingByClient[client, default: 0] < limits.deliveriesPerClientMax, var lane = lanes[client] else { continue }
            guard let turn = lane.turns.firstIndex(where: { sendingByReceiver[$0, default: 0] < limits.deliveriesPerReceiverMax }) else {
                continue
            }
            let receiver = lane.turns.remove(at: turn)
            var list = lane.waiting[receiver] ?? []
            let delivery = list.removeFirst()
            if list.isEmpty { lane.waiting[receiver] = nil } else {
                lane.waiting[receiver] = list
                lane.turns.append(receiver)      // its next delivery waits for the others' turns
            }
            lane.count -= 1
            waiting -= 1
            sending += 1
            sendingByClient[client, default: 0] += 1
            sendingByReceiver[receiver, default: 0] += 1
            if lane.count == 0 {
                lanes[client] = nil
                clients.remove(at: index)
                cursor = clients.isEmpty ? 0 : index % clients.count
            } else {
                lanes[client] = lane
                cursor = (index + 1) % clients.count
            }
            return delivery
        }
        return nil
    }

    /// Frees the slots `delivery` held (after `next()` returned it).
    mutating func finish(_ delivery: WebhookDelivery) {
        let receiver = Self.receiver(of: delivery)
        sending -= 1
        sendingByClient[delivery.clientID, default: 1] -= 1
        if sendingByClient[delivery.clientID] == 0 { sendingByClient[delivery.clientID] = nil }
        sendingByReceiver[receiver, default: 1] -= 1
        if sendingByReceiver[receiver] == 0 { sendingByReceiver[receiver] = nil }
    }
}
