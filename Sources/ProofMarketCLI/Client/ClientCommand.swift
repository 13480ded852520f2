import ArgumentParser
import Foundation
import HTTPServer
import Inference
import Market

/// `proofmarket client`: register models, post jobs, follow them, fetch and check receipts.
struct ClientCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "client",
        abstract: "Use the market as a client: models, jobs, receipts.",
        subcommands: [Models.self, Jobs.self, ReceiptCommand.self])

    struct Models: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "models", abstract: "Register models.",
                                                        subcommands: [Upload.self])

        struct Upload: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Upload an ONNX model; prints its id when ready.")
            @OptionGroup var remote: RemoteOptions
            @Argument(help: "The .onnx file.") var file: String
            @Option(help: "A name for the model (default: the file name).") var name: String?
            @OptionGroup var quantisation: QuantisationFlags

            func run() async throws {
                let client = try remote.client()
                let bytes = try FileInput.read(file, limit: 256 << 20)
                let modelName = name ?? URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
                let query = modelName.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "model"
                let options = try quantisation.options()
                var model: WireModel
                if options.isDefault {
                    model = try await client.upload("/v1/models?name=\(query)", bytes: bytes, contentType: "application/octet-stream")
                } else {
                    // The scales are chosen by the coordinator's import, from the same options.
                    let fraction: WireModelUpload.FractionBits = if case .fixed(let n) = options.fractionBits { .bits(n) } else { .auto }
                    let body = WireModelUpload(onnx: Data(bytes).base64EncodedString(), quantisation: .init(
                        activationBits: options.activationBits, fractionBits: fraction, calibration: options.calibration))
                    model = try await client.upload("/v1/models?name=\(query)", bytes: Array(try JSONCoding.encoder.encode(body)),
                                                    contentType: "application/json")
                }
                while model.status == "processing" {
                    try await Task.sleep(nanoseconds: 200_000_000)
                    model = try await client.call(.get, "/v1/models/\(model.id)")
                }
                guard model.status == "ready" else { throw ValidationError("model refused: \(model.failure ?? model.status)") }
                print(model.id)
                FileHandle.standardError.write(Data("ready: \(model.name), \(model.workMacs ?? 0) multiply-accumulates, operators \((model.operators ?? []).joined(separator: " "))\n".utf8))
            }
        }
    }

    struct Jobs: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "jobs", abstract: "Post and follow jobs.",
                                                        subcommands: [Submit.self, Quote.self, Raise.self, Get.self, Outputs.self, List.self, Cancel.self, Receipt.self,
                                                                      InputOpening.self])

        struct Submit: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Post an inference job; prints its id (or its result with --wait).",
                discussion: """
                    Without --max-price the job is priced by the market's quote (GET /v1/market/quote): its \
                    suggested max_price, and its min_price and ramp (or bid window) where those flags are not given; \
                    the quote's figures are printed on standard error.
                    """)
            @OptionGroup var remote: RemoteOptions
            @Option(help: "Model id.") var model: String
            @Option(help: "Input JSON file {\"shape\": [...], \"values\": [...]}.") var input: String?
            @Option(help: ArgumentHelp("A batch's inputs, proven together in one job: a JSON array (of tensors or of flat value arrays), JSON lines (one a line), or a CSV of flat rows (a header row is skipped).", valueName: "file"))
            var inputs: String?
            @Option(help: ArgumentHelp("With --wait: write every output of the job here, as JSON lines or CSV (by --results-format, else the file's extension).", valueName: "file"))
            var results: String?
            @Option(help: "jsonl or csv (default: by the --results file's extension, .csv for CSV).") var resultsFormat: String?
            @Option(help: "dutch or sealed (default: dutch).") var auction: String = "dutch"
            @Option(help: "Starting price of a Dutch auction, micro-credits (default: 0, or the quote's without --max-price).") var minPrice: Int64?
            @Option(help: "Highest price, micro-credits (default: the market's quote).") var maxPrice: Int64?
            @Option(help: "Seconds for a Dutch price to rise from min to max (default: 10, or the quote's without --max-price).") var rampUpS: Int?
            @Option(help: "Seconds of a sealed-bid window (default: 3, or the quote's without --max-price).") var bidWindowS: Int?
            @Option(help: "Seconds a worker has to prove after locking (default: 60).") var lockTimeoutS: Int = 60
            @Option(help: "Seconds until the job expires (default: 600).") var deadlineS: Int = 600
            @Option(help: "Stake a worker must put up to lock, micro-credits (default: 100000).") var lockStake: Int64 = 100_000
            @Option(help: "Re-auction a round that ends without a lock up to this many times (default: no re-auction).") var reauctionRounds: Int?
            @Option(help: "Each re-auction round raises the ceiling by these basis points (default: 1000).") var reauctionStepBps: Int?
            @Flag(help: "Wait for the result, with a live status line.") var wait = false
            @Flag(help: "Refuse values the model's scales would clamp (clamp_policy refuse): the job is refused at submission (input_clamped) if its input clamps, and no proof of a run that clamped is accepted.")
            var refuseClamped = false
            @Flag(help: "Ask for a private proof (protocol v2, zero knowledge): the model must be private-ready, and only a worker proving private may take the job; priced at the private mode's larger work.")
            var `private` = false
            @Flag(name: .customLong("hide-input"),
                  help: "With --private: the proof and the receipt name a commitment to the input, not the input, so the receipt can be published without it; `client jobs input-opening` saves the opening.")
            var hideInput = false

            func validate() throws {
                if hideInput && !`private` { throw ValidationError("--hide-input needs --private (hide_input_requires_private)") }
                guard ["dutch", "sealed"].contains(auction) else { throw ValidationError("--auction must be dutch or sealed") }
                guard (input == nil) != (inputs == nil) else { throw ValidationError("give exactly one of --input (one tensor) and --inputs (a batch file)") }
                if results != nil && !wait { throw ValidationError("--results needs --wait") }
                if let resultsFormat, BatchFiles.Format(rawValue: resultsFormat) == nil { throw ValidationError("--results-format must be jsonl or csv") }
                if reauctionStepBps != nil && reauctionRounds == nil {
                    throw ValidationError("--reauction-step-bps needs --reauction-rounds")
                }
            }

            func run() async throws {
                let client = try remote.client()
                let single = try input.map { try InputTensor.load($0) }
                let batch = try inputs.map { try BatchFiles.parseInputs(try FileInput.read($0, limit: BatchFiles.fileBytesMax), path: $0) }
                var (minPrice, maxPrice, ramp, window) = (self.minPrice ?? 0, self.maxPrice ?? 0, rampUpS ?? 10, bidWindowS ?? 3)
                if self.maxPrice == nil {
                    let quote: WireQuote = try await client.call(.get, "/v1/market/quote?model=\(Self.escaped(model))&auction=\(auction)&batch=\(batch?.count ?? 1)"
                                                                 + (`private` ? "&proof_mode=private" : ""))
                    let s = quote.suggested
                    maxPrice = s.maxPrice
                    if self.minPrice == nil { minPrice = s.minPrice }
                    if rampUpS == nil, let suggested = s.rampUpS { ramp = min(suggested, lockTimeoutS) }
                    if bidWindowS == nil, let suggested = s.bidWindowS { window = suggested }
                    let prices = quote.pricePerMmac.map { "p10/p50/p90 \($0.p10)/\($0.p50)/\($0.p90) µc per million multiply-accumulates over \(quote.jobs) jobs" }
                        ?? "no job fulfilled lately"
                    let terms = auction == "dutch" ? "min_price \(minPrice), ramp \(ramp) s" : "bid window \(window) s"
                    FileHandle.standardError.write(Data("""
                        no --max-price: using the market's quote (\(s.basis); \(prices); clears \(s.workersCleared) of \(quote.workersActive) \
                        active workers' floors): max_price \(maxPrice) µc (\(s.maxPricePerMmac) per million for \(quote.jobMacs) \
                        multiply-accumulates), \(terms)

                        """.utf8))
                }
                let reauction = reauctionRounds.map { WireReauction(maxRounds: $0, priceStepBps: reauctionStepBps ?? 1_000) }
                let job: WireJob = try await client.call(.post, "/v1/jobs", body: WireCreateJob(
                    modelId: model, input: single.map { WireTensor(shape: $0.shape, values: $0.values) }, inputs: batch, auction: auction,
                    minPrice: minPrice, maxPrice: maxPrice, rampUpS: auction == "dutch" ? ramp : nil,
                    bidWindowS: auction == "sealed" ? window : nil, lockTimeoutS: lockTimeoutS,
                    deadlineS: deadlineS, lockStake: lockStake, reauction: reauction,
                    clampPolicy: refuseClamped ? "refuse" : nil, proofMode: `private` ? "private" : nil,
                    hideInput: hideInput ? true : nil), idempotencyKey: UUID().uuidString)
                guard wait else { print(job.id.uuidString.lowercased()); return }
                let final = try await JobFollower(client: client).follow(job.id, live: true)
                JobPrinter.print(final)
                if final.status != "fulfilled" { throw ExitCode(1) }
                if let results {
                    let format = resultsFormat.flatMap(BatchFiles.Format.init(rawValue:)) ?? .of(path: results)
                    try await BatchFiles.save(client: client, jobID: job.id.uuidString.lowercased(), format: format, to: results)
                }
            }

            static func escaped(_ text: String) -> String { text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text }
        }

        struct Quote: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Show the market's price quote for a job of a model.")
            @OptionGroup var remote: RemoteOptions
            @Option(help: "Model id.") var model: String
            @Option(help: "Inputs per job (default: 1).") var batch: Int = 1
            @Option(help: "dutch or sealed (default: dutch, prices of both).") var auction: String?
            @Flag(help: "Price a private proof (its larger work).") var `private` = false
            func run() async throws {
                var path = "/v1/market/quote?model=\(Submit.escaped(model))&batch=\(batch)"
                if let auction { path += "&auction=\(Submit.escaped(auction))" }
                if `private` { path += "&proof_mode=private" }
                let response = try await remote.client().send(.get, path)
                print(response.bodyText)
            }
        }

        struct Raise: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Raise an open job's maximum price; its escrow grows to cover it.")
            @OptionGroup var remote: RemoteOptions
            @Argument var id: String
            @Option(help: "The new maximum, micro-credits.") var maxPrice: Int64
            func run() async throws {
                struct Body: Encodable { var maxPrice: Int64 }
                let job: WireJob = try await remote.client().call(.patch, "/v1/jobs/\(id)", body: Body(maxPrice: maxPrice),
                                                                   idempotencyKey: UUID().uuidString)
                print("\(job.id.uuidString.lowercased()) max_price \(job.maxPrice) escrow \(job.escrow)")
            }
        }

        struct Get: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Show a job and its timeline.")
            @OptionGroup var remote: RemoteOptions
            @Argument var id: String
            func run() async throws {
                JobPrinter.print(try await remote.client().call(.get, "/v1/jobs/\(id)", as: WireJob.self))
            }
        }

        struct Outputs: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Write every output of a fulfilled job (a batch's, item by item) as JSON lines or CSV.")
            @OptionGroup var remote: RemoteOptions
            @Argument var id: String
            @Option(help: "jsonl or csv (default: jsonl, or by --out's extension).") var format: String?
            @Option(help: "Write here instead of standard output.") var out: String?
            func validate() throws {
                if let format, BatchFiles.Format(rawValue: format) == nil { throw ValidationError("--format must be jsonl or csv") }
            }
            func run() async throws {
                let chosen = format.flatMap(BatchFiles.Format.init(rawValue:)) ?? out.map(BatchFiles.Format.of(path:)) ?? .jsonl
                let client = try remote.client()
                if let out {
                    try await BatchFiles.save(client: client, jobID: id, format: chosen, to: out)
                } else {
                    _ = try await BatchFiles.fetchAll(client: client, jobID: id, format: chosen) { Swift.print($0, terminator: "") }
                }
            }
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List your jobs, newest first.")
            @OptionGroup var remote: RemoteOptions
            @Option(help: "Only jobs in this state.") var status: String?
            @Option(help: "Cursor from a previous page.") var cursor: String?
            @Option(help: "Jobs per page (default: 50).") var limit: Int = 50
            func run() async throws {
                var path = "/v1/jobs?limit=\(limit)"
                if let status { path += "&status=\(status)" }
                if let cursor { path += "&cursor=\(cursor)" }
                let page: WireJobPage = try await remote.client().call(.get, path)
                print("JOB       STATUS     AUCTION  PRICE        PROVE ms  VERIFY ms  ARGMAX")
                for j in page.jobs {
                    print("\(j.id.short)  \(j.status.padded(10)) \(j.auction.padded(8)) \(String(j.lockPrice ?? 0).padded(12)) \(String(j.proveMs ?? 0).padded(9)) \(String(j.verifyMs ?? 0).padded(10)) \(j.output?.argmax.map(String.init) ?? "-")")
                }
                if let next = page.nextCursor { print("next page: --cursor \(next)") }
            }
        }

        struct Cancel: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Cancel an open job; its escrow comes back.")
            @OptionGroup var remote: RemoteOptions
            @Argument var id: String
            func run() async throws {
                let job: WireJob = try await remote.client().call(.delete, "/v1/jobs/\(id)")
                print("\(job.id.uuidString.lowercased()) \(job.status)")
            }
        }

        struct Receipt: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Save a fulfilled job's receipt, with what is needed to check it offline.")
            @OptionGroup var remote: RemoteOptions
            @Argument var id: String
            @Option(help: "Where to write the receipt bundle (JSON).") var out: String
            func run() async throws {
                let client = try remote.client()
                let bundle = try await ReceiptBundle.fetch(client: client, jobID: id)
                // Pin the coordinator's key on first contact (refusing one that changed), so
                // `receipt verify` later checks against it, not against the key in the receipt.
                let key = try await CoordinatorKeyPin.pinned(client: client, url: try remote.coordinatorURL())
                guard bundle.receipt.coordinatorPublicKey.lowercased() == KnownCoordinators.hex(key) else {
                    throw ValidationError("the receipt names the key \(bundle.receipt.coordinatorPublicKey), not the coordinator's \(KnownCoordinators.hex(key)) (coordinator_key_mismatch)")
                }
                try bundle.write(to: out)
                print("receipt for job \(bundle.receipt.jobId.uuidString.lowercased()) written to \(out)")
            }
        }
    }

    struct InputOpening: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "input-opening",
            abstract: "Save a fulfilled hidden-input job's input opening (yours only: it shows the input).",
            discussion: "The file opens the input commitment the job's receipt names: `receipt verify --input-opening FILE` checks it.")
        @OptionGroup var remote: RemoteOptions
        @Argument var id: String
        @Option(help: "Where to write the opening (written readable by you alone).") var out: String
        func run() async throws {
            let answer: WireInputOpening = try await remote.client().call(.get, "/v1/jobs/\(id)/input-opening")
            guard let bytes = Data(base64Encoded: answer.opening) else {
                throw RemoteError.invalidAnswer(path: "/v1/jobs/\(id)/input-opening", detail: "the opening is not base64")
            }
            try FileOutput.writeSecret(Array(bytes), to: out)
            print("input opening of job \(answer.jobId.uuidString.lowercased()) (input commitment \(answer.inputCommitmentId)) written to \(out)")
        }
    }

    struct ReceiptCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "receipt", abstract: "Check receipts.",
                                                        subcommands: [Verify.self])

        struct Verify: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Check a receipt offline: the coordinator's signature under its pinned key, the model's commitment, and the proof.",
                discussion: """
                    The coordinator's key is --coordinator-key if given; otherwise the key pinned for --coordinator \
                    in the known_coordinators file of the config folder ($PROOFMARKET_CONFIG_DIR, else \
                    $XDG_CONFIG_HOME/proofmarket, else ~/.config/proofmarket), which `client jobs receipt` writes \
                    on first contact; with no pin yet, the key is fetched from the coordinator and pinned. A \
                    coordinator presenting another key than the pinned one is refused. With --model, the receipt's \
                    model must also be that ONNX file, committed with the model's registered quantisation.
                    """)
            @Argument(help: "A receipt bundle written by `client jobs receipt`.") var file: String
            @Option(name: .customLong("coordinator-key"), help: ArgumentHelp(
                "The coordinator's Ed25519 public key: 64 hex digits or a file holding them (default: the pinned key).", valueName: "hex|file"))
            var coordinatorKey: String?
            @Option(name: .customLong("model"), help: ArgumentHelp("The model's ONNX file, to check that the receipt is for it.", valueName: "file"))
            var model: String?
            @Option(name: .customLong("coordinator"),
                    help: "Whose pinned key to use [env: PROOFMARKET_COORDINATOR] (default: http://127.0.0.1:8080).")
            var coordinator: String?
            @Option(name: .customLong("input-opening"), help: ArgumentHelp(
                "For a hidden-input job: its input opening (`client jobs input-opening`), checked against the receipt's input commitment.",
                valueName: "file"))
            var inputOpening: String?

            func run() async throws {
                let bundle = try ReceiptBundle.read(from: file)
                let opening = try inputOpening.map { try FileInput.read($0, limit: PrivateInputOpening.bytesMax) }
                let onnx = try model.map { try FileInput.read($0, limit: InferenceLimits.modelBytesMax) }
                let key: [UInt8]
                do { key = try await pinnedKey() } catch {
                    print("INVALID: \(error)")
                    throw ExitCode(1)
                }
                do {
                    let verified = try bundle.verify(pinnedKey: key, modelONNX: onnx, inputOpening: opening)
                    print("output \(verified.output.map(String.init).joined(separator: " "))")
                    if let argmax = verified.argmax { print("argmax \(argmax)") }
                    if let id = bundle.receipt.inputCommitmentId {
                        print("input hidden: commitment \(id)\(opening == nil ? "" : ", opening checked")")
                    }
                    print("VALID")
                } catch {
                    print("INVALID: \(error)")
                    throw ExitCode(1)
                }
            }

            private func pinnedKey() async throws -> [UInt8] {
                if let coordinatorKey { return try KnownCoordinators.parseKeyArgument(coordinatorKey) }
                let url = coordinator ?? ProcessInfo.processInfo.environment["PROOFMARKET_COORDINATOR"] ?? "http://127.0.0.1:8080"
                if let pinned = try KnownCoordinators.standard().key(for: url) { return pinned }
                return try await CoordinatorKeyPin.pinned(client: CoordinatorClient(baseURL: url, apiKey: nil), url: url)
            }
        }
    }
}

/// The coordinator's receipt key as the user trusts it: fetched from `GET /v1/coordinator` and
/// checked against (or, on first contact, saved to) `KnownCoordinators`.
enum CoordinatorKeyPin {
    static func pinned(client: CoordinatorClient, url: String) async throws -> [UInt8] {
        struct Answer: Decodable { var publicKey: String; var algorithm: String }
        let answer: Answer = try await client.call(.get, "/v1/coordinator")
        guard answer.algorithm == "ed25519", let presented = Receipt.bytes(hex: answer.publicKey.lowercased()), presented.count == 32 else {
            throw RemoteError.invalidAnswer(path: "/v1/coordinator", detail: "not an Ed25519 public key")
        }
        let known = KnownCoordinators.standard()
        let (key, firstContact) = try known.check(presented, for: url)
        if firstContact {
            FileHandle.standardError.write(Data("pinned the receipt key \(KnownCoordinators.hex(key)) of \(KnownCoordinators.normalise(url)) in \(known.path) (first contact)\n".utf8))
        }
        return key
    }
}

extension String {
    /// Left-aligned in a column of `width` characters.
    func padded(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
