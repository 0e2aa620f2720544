import Foundation
import ImpactModel
import ImpactNormalization
import ImpactReaders
import ImpactReports
import ImpactStore
import ImpactSupport
import Logging

#if canImport(Glibc)
  import Glibc
#endif

/// Where a run keeps its state, and whether it waits for another run holding it.
public struct StoreSettings: Sendable {
  public var path: String
  public var wait: Bool

  public init(path: String, wait: Bool = false) {
    self.path = path
    self.wait = wait
  }

  /// The default place: beside the run folders.
  public static func defaultPath(outputDirectory: String) -> String { outputDirectory + "/impact-store.sqlite" }
}

/// How a run with the store ended.
public enum StoreRunOutcome {
  /// A new run folder was published.
  case published(RunResult, RunFolder)
  /// Nothing changed since the published run `current`, whose reports stay in place.
  case unchanged(runID: String, current: String, folder: String, inputs: Int)
}

extension PipelineRunner {
  /// Runs incrementally over the store: ingests the inputs whose content the store has not
  /// seen, then publishes reports over every input the store holds. With `discovery` nil
  /// (`impact rebuild`) nothing is read: reports are recomputed from the store alone.
  ///
  /// When the store and the inputs are as the published run `latest` left them, nothing is
  /// recomputed: the run is recorded as `unchanged` and `latest` stays. `rebuild` always
  /// publishes.
  public func run(
    discovery: InputDiscovery?, outputDirectory: String? = nil, store settings: StoreSettings, keep: Int? = nil
  ) throws -> StoreRunOutcome {
    let started = Date()
    let output = outputDirectory ?? pipeline.outputDirectory
    let lock = try StoreLock(storePath: settings.path, wait: settings.wait)
    defer { withExtendedLifetime(lock) {} }
    let store = try Store(path: settings.path)
    // Runs started in the same second draw their suffixes apart.
    var runID = RunFolder.makeRunID(at: started)
    while try store.run(id: runID) != nil || FileManager.default.fileExists(atPath: output + "/" + runID) {
      runID = RunFolder.makeRunID(at: started)
    }
    let abandoned = try store.write { writer in
      let abandoned = try writer.markAbandonedRuns()
      try writer.beginRun(id: runID, pipeline: pipeline.path, toolVersion: ImpactVersion.current, startedAt: started)
      return abandoned
    }
    for id in abandoned { try? FileManager.default.removeItem(atPath: output + "/.partial-" + id) }
    do {
      let outcome = try runLocked(
        runID: runID, started: started, discovery: discovery, output: output, store: store, keep: keep)
      return outcome
    } catch {
      var outcome = RunOutcome()
      outcome.message = "\(error)"
      let status = error is RunInterrupted ? "interrupted" : "failed"
      try? store.write { try $0.finishRun(runID, status: status, finishedAt: Date(), outcome: outcome) }
      throw error
    }
  }

  private func runLocked(
    runID: String, started: Date, discovery: InputDiscovery?, output: String, store: Store, keep: Int?
  ) throws -> StoreRunOutcome {
    var plan = try StorePlan(
      discovered: discovery?.inputs ?? [], store: store, fingerprints: InputFingerprints(pipeline: pipeline),
      workers: workers)
    try RunCancellation.check()
    logger.info(
      "store plan",
      metadata: [
        "store": "\(store.path)",
        "stored": .stringConvertible(plan.items.filter(\.action.isStored).count - plan.newCount),
        "new": .stringConvertible(plan.newCount), "unchanged": .stringConvertible(plan.unchanged),
        "replaced": .stringConvertible(plan.replacedPaths.count),
        "forgotten": .stringConvertible(plan.forgottenPaths.count),
      ])
    let skipped = discovery?.skipped ?? []
    let state = plan.state(skipped: skipped)
    if discovery != nil, plan.isUnchanged, let current = RunFolder.current(in: output),
      RunFolder.state(of: output + "/" + current) == state
    {
      // The history shows the figures still published.
      var outcome = RunOutcome()
      if let published = try store.run(id: current) {
        outcome.read = published.read
        outcome.accepted = published.accepted
        outcome.rejected = published.rejected
        outcome.superseded = published.superseded
      }
      outcome.inputs = plan.items.count
      outcome.state = state
      outcome.folder = current
      try store.write { try $0.finishRun(runID, status: "unchanged", finishedAt: Date(), outcome: outcome) }
      logger.info("nothing new: the published reports stay", metadata: ["run": "\(runID)", "current": "\(current)"])
      return .unchanged(runID: runID, current: current, folder: output + "/" + current, inputs: plan.items.count)
    }
    guard !plan.items.isEmpty else {
      throw UsageError(message: "the store \(store.path) holds no input and none was given")
    }
    let folder = try RunFolder(outputDirectory: output, runID: runID)
    do {
      let catalog = pipeline.catalog
      var delta = RunDelta(storePath: store.path)
      delta.unchanged = plan.unchanged
      delta.copies = plan.copies
      delta.replaced = plan.replacedPaths
      delta.forgotten = plan.forgottenPaths
      delta.renormalized = plan.items.compactMap { if case .renormalize = $0.action { $0.path } else { nil } }
      delta.storedInputs = plan.items.filter(\.action.isStored).count
      delta.new = plan.items.filter(\.isNew).map(\.path)
      let items = plan.items.map { $0.ingestionItem(store: store, catalog: catalog) }
      let result = try store.write(durable: true) { writer in
        try plan.notePaths(writer: writer, run: runID, at: started)
        let result = try compute(
          items: items, skipped: skipped, into: folder, started: started, delta: delta,
          onBatch: { index, batch, report, encoded in
            try plan.persist(index, batch: batch, report: report, encoded: encoded, writer: writer, run: runID)
          },
          adjust: { inputs in
            for index in inputs.indices {
              inputs[index].ingestedBy = plan.items[index].ingestedBy ?? runID
              inputs[index].isNew = plan.items[index].isNew
            }
          })
        try RunCancellation.check()
        return result
      }
      // The store holds this run's inputs now: publishing takes a rename, and a stop asked
      // for from here on waits for it, so that the store and `latest` agree.
      let finalState = plan.state(skipped: skipped)
      try RunFolder.writeState(finalState, into: folder.workingPath)
      try folder.publish()
      var outcome = RunOutcome()
      outcome.read = result.counts.read
      outcome.accepted = result.counts.accepted
      outcome.rejected = result.counts.rejected
      outcome.superseded = result.counts.superseded
      outcome.inputs = plan.items.count
      outcome.ingested = plan.items.filter(\.isNew).count
      outcome.state = finalState
      outcome.folder = runID
      do {
        try store.write { writer in
          try writer.finishRun(runID, status: "published", finishedAt: Date(), outcome: outcome)
          try writer.markPublished(run: runID)
        }
      } catch {
        // Published all the same; the next run counts these inputs as new once more.
        logger.warning("published, but the history could not record it: \(error)")
      }
      logger.info(
        "published",
        metadata: [
          "run": "\(runID)", "folder": "\(folder.publishedPath)", "read": .stringConvertible(result.counts.read),
          "accepted": .stringConvertible(result.counts.accepted),
          "rejected": .stringConvertible(result.counts.rejected),
          "superseded": .stringConvertible(result.counts.superseded), "new_inputs": .stringConvertible(delta.new.count),
        ])
      if let keep {
        let removed = RunFolder.prune(outputDirectory: output, keep: keep)
        if !removed.isEmpty { logger.info("pruned old run folders", metadata: ["removed": "\(removed)"]) }
      }
      return .published(result, folder)
    } catch {
      folder.discard()
      throw error
    }
  }

  /// Retracts inputs from the store: those at `paths` (or whose sha256 starts with one of
  /// them, eight characters at least), and with `partner` every input holding that
  /// partner's observations. The next run's reports no longer count them. Returns the
  /// inputs forgotten.
  public func forget(paths: [String], partner: String?, store settings: StoreSettings, dryRun: Bool = false) throws
    -> [StoredInput]
  {
    let lock = try StoreLock(storePath: settings.path, wait: settings.wait)
    defer { withExtendedLifetime(lock) {} }
    guard FileManager.default.fileExists(atPath: settings.path) else {
      throw UsageError(message: "no store at \(settings.path)")
    }
    let store = try Store(path: settings.path)
    let active = try store.activeInputs()
    let all = try store.allInputs()
    let contents = try store.pathContents()
    var chosen: [StoredInput] = []
    var problems: [String] = []
    for given in paths {
      let sha = contents[PathKey(StorePlan.absolutePath(given))]
      let isDigest = given.count >= 8 && given.allSatisfy(\.isHexDigit)
      func matches(_ input: StoredInput) -> Bool {
        input.path == given || input.sha256 == sha || (isDigest && input.sha256.hasPrefix(given.lowercased()))
      }
      let found = active.filter(matches)
      if !found.isEmpty {
        chosen += found
      } else if all.contains(where: { matches($0) && $0.status == "forgotten" }) {
        problems.append("\(given) is already forgotten")
      } else if given.count < 8 && given.allSatisfy(\.isHexDigit) && !given.isEmpty {
        problems.append("\(given): a sha256 prefix needs at least 8 characters")
      } else {
        problems.append("no input in the store matches \(given)")
      }
    }
    guard problems.isEmpty else {
      throw UsageError(message: problems.joined(separator: "; ") + " (`impact runs --inputs` lists the inputs)")
    }
    if let partner {
      let held = try store.activeInputs(ofPartner: partner)
      guard !held.isEmpty else { throw UsageError(message: "no input in the store holds partner \(partner)") }
      chosen += held
    }
    var seen = Set<Int64>()
    chosen = chosen.filter { seen.insert($0.seq).inserted }
    if dryRun { return chosen }
    let now = Date()
    try store.write(durable: true) { writer in
      for input in chosen { try writer.retire(input.seq, status: "forgotten", run: nil, at: now) }
    }
    return chosen
  }
}

/// The per-input fingerprint of what normalizes it: tool version, catalog, and for a
/// mapped source the pipeline file. A stored batch whose fingerprint differs is read
/// again from its file when the file is there.
struct InputFingerprints {
  let canonical: String
  let mapped: String

  init(pipeline: PipelineDefinition) {
    let catalog = (try? Data(contentsOf: URL(fileURLWithPath: pipeline.catalogPath))) ?? Data()
    let definition = (try? Data(contentsOf: URL(fileURLWithPath: pipeline.path))) ?? Data()
    func digest(_ parts: [Data]) -> String {
      let hash = SHA256()
      for part in parts {
        hash.update(Array(String(part.count).utf8) + [0])
        part.withUnsafeBytes { hash.update($0) }
      }
      return hash.hexDigest()
    }
    let version = Data(ImpactVersion.current.utf8)
    canonical = digest([version, catalog])
    mapped = digest([version, catalog, definition])
  }

  func fingerprint(of input: Input) -> String {
    input.source.map { mapped + ":" + $0.name } ?? canonical
  }
}
