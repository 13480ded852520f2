import Foundation
import Market
import Testing

@Suite struct PricingTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func dutchPrice_RisesLinearlyFromMinToMax() {
        func price(_ s: Double) -> Int64? {
            DutchPrice.at(start.addingTimeInterval(s), minPrice: 1_000, maxPrice: 11_000, biddingStart: start, rampUpSeconds: 100)
        }
        #expect(price(-0.5) == nil)
        #expect(price(0) == 1_000)
        #expect(price(25) == 3_500)
        #expect(price(50) == 6_000)
        #expect(price(99.999999) == 10_999)
        #expect(price(100) == 11_000)
        #expect(price(10_000) == 11_000)
    }

    @Test func dutchPrice_ZeroRampIsMaxAtOnceAndHugeValuesDoNotOverflow() {
        #expect(DutchPrice.at(start, minPrice: 5, maxPrice: 9, biddingStart: start, rampUpSeconds: 0) == 9)
        let big: Int64 = 1_000_000_000_000
        let half = DutchPrice.at(start.addingTimeInterval(43_200), minPrice: 0, maxPrice: big, biddingStart: start, rampUpSeconds: 86_400)
        #expect(half == big / 2)
        let top = DutchPrice.at(start.addingTimeInterval(86_399), minPrice: 0, maxPrice: Int64.max, biddingStart: start, rampUpSeconds: 86_400)
        #expect(top.map { $0 > 0 && $0 < Int64.max } == true)
    }

    @Test func vickrey_LowestWinsAndPaysTheSecondLowest() {
        let award = VickreyAuction.award([(100, true), (140, true), (200, true)], maxPrice: 1_000)
        #expect(award?.winner == 0 && award?.price == 140)
    }

    @Test func vickrey_LoneBidPaysItsOwnPrice() {
        let award = VickreyAuction.award([(300, true)], maxPrice: 1_000)
        #expect(award?.winner == 0 && award?.price == 300)
    }

    @Test func vickrey_TieGoesToTheEarlierBidAtTheTiedPrice() {
        // Bids arrive sorted by price, then id: index 0 is the earlier of the two at 100.
        let award = VickreyAuction.award([(100, true), (100, true), (150, true)], maxPrice: 1_000)
        #expect(award?.winner == 0 && award?.price == 100)
    }

    @Test func vickrey_IneligibleBiddersArePassedOver() {
        let award = VickreyAuction.award([(100, false), (120, true), (130, true)], maxPrice: 1_000)
        #expect(award?.winner == 1 && award?.price == 130)
        #expect(VickreyAuction.award([(100, false)], maxPrice: 1_000) == nil)
        #expect(VickreyAuction.award([], maxPrice: 1_000) == nil)
    }

    @Test func vickrey_PriceIsCappedByTheMaximum() {
        let award = VickreyAuction.award([(100, true), (5_000, true)], maxPrice: 1_000)
        #expect(award?.price == 1_000)
    }

    @Test func share_RoundsDownWithoutOverflow() {
        #expect(MarketConfiguration.share(10_000, basisPoints: 250) == 250)
        #expect(MarketConfiguration.share(399, basisPoints: 250) == 9)
        #expect(MarketConfiguration.share(Int64.max, basisPoints: 10_000) == Int64.max)
        #expect(MarketConfiguration.share(Int64.max, basisPoints: 5_000) == Int64.max / 2)
    }
}
