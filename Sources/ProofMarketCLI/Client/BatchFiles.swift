import ArgumentParser
import Foundation

/// The files of a batch job: `client jobs submit --inputs FILE` reads a batch's inputs, and
/// `--results FILE` (or `client jobs outputs`) writes its outputs.
///
/// Inputs, told apart by their content (the first character that is not white space):
/// - a JSON array (`[`): of tensors `{"shape": [...], "values": [...]}` or of flat number arrays;
/// - JSON lines (`{` or `[` on each line, more than one line): one tensor or flat array a line;
/// - CSV (anything else): one item a row, its values separated by commas; a first row that is
///   not all numbers is a header and skipped.
///
/// A flat array or a CSV row is one item's values; the coordinator gives it the model's shape.
/// Outputs: JSON lines (one `{"index", "values", "quantised", "argmax", "clamped_input",
/// "clamped_in_model"}` object a line) or CSV (`index,argmax,clamped_input,clamped_in_model,v0,v1,…`),
/// by `--results-format`, else by the file's extension (`.csv` is CSV).
enum BatchFiles {
    /// Largest inputs file accepted, in bytes (a batch's values, as text).
    static let fileBytesMax = 64 * 1024 * 1024

    /// An inputs file's items (each `[values]`-only item gets `shape` nil).
    static func parseInputs(_ bytes: [UInt8], path: String) throws -> [WireTensor] {
        let text = String(decoding: bytes, as: UTF8.self)
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard let first = lines.first?.first else { throw ProofCommandError.badInput(path: path, detail: "the file holds no inputs") }
        if first == "[" || first == "{" {
            if first == "[", let items = try? Self.items(fromJSON: Data(bytes)) { return items }
            // JSON lines: each line one item.
            return try lines.enumerated().map { index, line in
                do { return try Self.item(fromJSON: Data(line.utf8)) } catch {
                    throw ProofCommandError.badInput(path: path, detail: "line \(index + 1) is not a tensor {\"shape\": [...], \"values\": [...]} or an array of numbers")
                }
            }
        }
        var rows = lines
        if let header = rows.first, header.split(separator: ",").contains(where: { Double($0.trimmingCharacters(in: .whitespaces)) == nil }) {
            rows.removeFirst()
        }
        return try rows.enumerated().map { index, row in
            let values = row.split(separator: ",", omittingEmptySubsequences: false).map { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard !values.isEmpty, values.allSatisfy({ $0?.isFinite == true }) else {
                throw ProofCommandError.badInput(path: path, detail: "CSV row \(index + 1) is not a list of numbers")
            }
            return WireTensor(shape: [values.count], values: values.compactMap { $0 })
        }
    }

    private static func items(fromJSON data: Data) throws -> [WireTensor] {
        if let tensors = try? JSONDecoder().decode([WireTensor].self, from: data) { return tensors }
        return try JSONDecoder().decode([[Double]].self, from: data).map { WireTensor(shape: [$0.count], values: $0) }
    }

    private static func item(fromJSON data: Data) throws -> WireTensor {
        if let tensor = try? JSONDecoder().decode(WireTensor.self, from: data) { return tensor }
        let values = try JSONDecoder().decode([Double].self, from: data)
        return WireTensor(shape: [values.count], values: values)
    }

    /// Output formats.
    enum Format: String, CaseIterable {
        case jsonl, csv

        /// The format a results file's name implies.
        static func of(path: String) -> Format { path.lowercased().hasSuffix(".csv") ? .csv : .jsonl }
    }

    /// Writes a page of outputs; `header` once, before the first page of a CSV.
    static func write(_ items: [WireItemOutput], format: Format, header: Bool, to out: (String) -> Void) {
        switch format {
        case .jsonl:
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            encoder.keyEncodingStrategy = .convertToSnakeCase
            struct Line: Encodable {
                let index: Int; let values: [Double]; let quantised: [Int64]; let argmax: Int?; let clampedInput: Int?; let clampedInModel: Int?
            }
            for item in items {
                let o = item.output
                let line = Line(index: item.index, values: o.values, quantised: o.quantised, argmax: o.argmax,
                                clampedInput: o.clampedInput, clampedInModel: o.clampedInModel)
                out(String(decoding: (try? encoder.encode(line)) ?? Data("{}".utf8), as: UTF8.self) + "\n")
            }
        case .csv:
            if header, let n = items.first?.output.values.count {
                out((["index", "argmax", "clamped_input", "clamped_in_model"] + (0..<n).map { "v\($0)" }).joined(separator: ",") + "\n")
            }
            for item in items {
                let o = item.output
                let fields = ["\(item.index)", o.argmax.map(String.init) ?? "", "\(o.clampedInput ?? 0)", "\(o.clampedInModel ?? 0)"]
                    + o.values.map { "\($0)" }
                out(fields.joined(separator: ",") + "\n")
            }
        }
    }

    /// Pages through a fulfilled job's outputs and writes them all; returns how many.
    static func fetchAll(client: CoordinatorClient, jobID: String, format: Format, pageItems: Int = 500,
                         progress: ((Int, Int) -> Void)? = nil, to out: (String) -> Void) async throws -> Int {
        var cursor: String?
        var written = 0
        repeat {
            let path = "/v1/jobs/\(jobID)/outputs?limit=\(pageItems)" + (cursor.map { "&cursor=\($0)" } ?? "")
            let page: WireOutputPage = try await client.call(.get, path)
            write(page.outputs, format: format, header: written == 0, to: out)
            written += page.outputs.count
            progress?(written, page.batchItems)
            cursor = page.nextCursor
        } while cursor != nil
        return written
    }

    /// Writes every output of a fulfilled job to `path`, with a progress line on standard error.
    static func save(client: CoordinatorClient, jobID: String, format: Format, to path: String) async throws {
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw ValidationError("cannot write \(path)")
        }
        defer { try? handle.close() }
        let count = try await fetchAll(client: client, jobID: jobID, format: format, progress: { done, total in
            FileHandle.standardError.write(Data("\r\u{1B}[Koutputs \(done)/\(total)".utf8))
        }) { handle.write(Data($0.utf8)) }
        FileHandle.standardError.write(Data("\r\u{1B}[K\(count) output(s) written to \(path)\n".utf8))
    }
}
