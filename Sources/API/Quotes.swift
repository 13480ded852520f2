import Foundation
import HTTPServer
import Market

/// `GET /v1/market/quote`: the market's `PriceQuote` with the wire's names.
struct QuoteView: Encodable, Sendable {
    struct Percentiles: Encodable, Sendable { var p10: Int64; var p50: Int64; var p90: Int64 }
    struct Cleared: Encodable, Sendable { var p10: Int; var p50: Int; var p90: Int }
    struct Suggestion: Encodable, Sendable {
        var auction: String; var minPrice: Int64; var maxPrice: Int64; var rampUpS: Int?; var bidWindowS: Int?
        var maxPricePerMmac: Int64; var workersCleared: Int; var basis: String
    }
    var modelId: String; var workMacs: Int64; var batch: Int; var jobMacs: Int64; var auction: String?; var windowS: Int
    var jobs: Int; var pricePerMmac: Percentiles?; var workersActive: Int; var workersCleared: Cleared?; var suggested: Suggestion
    var proofMode: String; var workFactorPercent: Int

    init(_ q: PriceQuote) {
        proofMode = q.proofMode.rawValue; workFactorPercent = q.workFactorPercent
        modelId = q.modelID; workMacs = q.workMacs; batch = q.batch; jobMacs = q.jobMacs; auction = q.auction
        windowS = q.windowSeconds; jobs = q.jobs; workersActive = q.workersActive
        pricePerMmac = q.pricePerMegaMAC.map { Percentiles(p10: $0.p10, p50: $0.p50, p90: $0.p90) }
        workersCleared = q.workersCleared.map { Cleared(p10: $0.p10, p50: $0.p50, p90: $0.p90) }
        let s = q.suggested
        suggested = Suggestion(auction: s.auction, minPrice: s.minPrice, maxPrice: s.maxPrice, rampUpS: s.rampUpSeconds,
                               bidWindowS: s.bidWindowSeconds, maxPricePerMmac: s.maxPricePerMegaMAC,
                               workersCleared: s.workersCleared, basis: s.basis.rawValue)
    }
}

extension MarketAPI {
    /// The price quote: what jobs have cleared at lately, and terms for one of a model.
    func addQuoteRoutes(_ router: Router) {
        router.get("/v1/market/quote") { request, _ in
            let p = try await principal(request)
            guard let model = request.query("model"), !model.isEmpty else {
                throw MarketError(.invalidRequest, "query parameter `model` (a model id) is required")
            }
            try FieldRules.text(model, "query parameter `model`")
            var batch = 1
            if let text = request.query("batch") {
                guard let value = Int(text) else { throw MarketError(.invalidRequest, "batch must be an integer") }
                batch = value
            }
            var mode = ProvingMode.public
            if let text = request.query("proof_mode") {
                guard let chosen = ProvingMode(rawValue: text) else {
                    throw MarketError(.invalidRequest, "proof_mode must be one of \(ProvingMode.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                mode = chosen
            }
            let quote = try await market.quote(model: model, batch: batch, auction: request.query("auction"), proofMode: mode, by: p)
            return try .json(QuoteView(quote))
        }
    }
}
