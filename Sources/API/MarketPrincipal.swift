import Market

/// The market's notion of a caller. `HTTPServer` has a `Principal` of its own; this file
/// imports only `Market`, so the name here means the market's, and the rest of the module
/// says `MarketPrincipal`.
typealias MarketPrincipal = Principal
