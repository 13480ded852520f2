import ArgumentParser
import Foundation
import HTTPServer

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

            func run() async throws {
                let client = try remote.client()
                let bytes = try FileInput.read(file, limit: 256 << 20)
                let modelName = name ?? URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
                let query = modelName.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "model"
                var model: WireModel = try await client.upload("/v1/models?name=\(query)", bytes: bytes, contentType: "application/octet-stream")
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
                                                        subcommands: [Submit.self, Get.self, List.self, Cancel.self, Receipt.self])

        struct Submit: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Post an inference job; prints its id (or its result with --wait).")
            @OptionGroup var remote: RemoteOptions
            @Option(help: "Model id.") var model: String
            @Option(help: "Input JSON file {\"shape\": [...], \"data\": [...]}.") var input: String
            @Option(help: "dutch or sealed (default: dutch).") var auction: String = "dutch"
            @Option(help: "Starting price of a Dutch auction, micro-credits (default: 0).") var minPrice: Int64 = 0
            @Option(help: "Highest price, micro-credits.") var maxPrice: Int64
            @Option(help: "Seconds for a Dutch price to rise from min to max (default: 10).") var rampUpS: Int = 10
            @Option(help: "Seconds of a sealed-bid window (default: 3).") var bidWindowS: Int = 3
            @Option(help: "Seconds a worker has to prove after locking (default: 60).") var lockTimeoutS: Int = 60
            @Option(help: "Seconds until the job expires (default: 600).") var deadlineS: Int = 600
            @Option(help: "Stake a worker must put up to lock, micro-credits (default: 100000).") var lockStake: Int64 = 100_000
            @Flag(help: "Wait for the result, with a live status line.") var wait = false

            func run() async throws {
                let client = try remote.client()
                let tensor = try InputTensor.load(input)
                let job: WireJob = try await client.call(.post, "/v1/jobs", body: WireCreateJob(
                    modelId: model, input: WireTensor(shape: tensor.shape, values: tensor.data), auction: auction,
                    minPrice: minPrice, maxPrice: maxPrice, rampUpS: auction == "dutch" ? rampUpS : nil,
                    bidWindowS: auction == "sealed" ? bidWindowS : nil, lockTimeoutS: lockTimeoutS,
                    deadlineS: deadlineS, lockStake: lockStake), idempotencyKey: UUID().uuidString)
                guard wait else { print(job.id.uuidString.lowercased()); return }
                let final = try await JobFollower(client: client).follow(job.id, live: true)
                JobPrinter.print(final)
                if final.status != "fulfilled" { throw ExitCode(1) }
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
                try bundle.write(to: out)
                print("receipt for job \(bundle.receipt.jobId.uuidString.lowercased()) written to \(out)")
            }
        }
    }

    struct ReceiptCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "receipt", abstract: "Check receipts.",
                                                        subcommands: [Verify.self])

        struct Verify: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Check a receipt offline: the coordinator's signature and the proof against the model's commitment.")
            @Argument(help: "A receipt bundle written by `client jobs receipt`.") var file: String
            func run() async throws {
                let bundle = try ReceiptBundle.read(from: file)
                do {
                    let output = try bundle.verify()
                    print("output \(output.map(String.init).joined(separator: " "))")
                    if let argmax = bundle.receipt.argmax { print("argmax \(argmax)") }
                    print("VALID")
                } catch {
                    print("INVALID: \(error)")
                    throw ExitCode(1)
                }
            }
        }
    }
}

extension String {
    /// Left-aligned in a column of `width` characters.
    func padded(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
