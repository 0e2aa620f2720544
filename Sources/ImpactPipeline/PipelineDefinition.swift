import Foundation
import ImpactModel
import Yams

/// A pipeline file: which catalog to validate against, where reports go, and which
/// inputs to read when the command line names none.
public struct PipelineDefinition: Sendable {
  public let path: String
  public let catalogPath: String
  public let catalog: Catalog
  public let outputDirectory: String
  public let inputs: [String]
  /// Partner exports mapped onto the schema; files they claim are read with them.
  public let sources: [SourceDefinition]

  /// Loads and checks the pipeline at `path` and its catalog, collecting every problem.
  public static func load(path: String) -> Result<PipelineDefinition, DefinitionError> {
    var file = YAMLFile(path: path)
    guard let root = file.root, let members = file.mapping(root, "a pipeline") else {
      return .failure(DefinitionError(problems: file.problems))
    }
    file.checkKeys(members, known: ["catalog", "output", "inputs", "sources"], in: "the pipeline")
    func value(_ key: String) -> Node? { members.first { $0.key == key }?.value }
    var catalogPath = file.resolve("catalog.yml")
    if let text = file.string(value("catalog"), key: "catalog") { catalogPath = file.resolve(text) }
    var output = file.resolve("../output")
    if let text = file.string(value("output"), key: "output") { output = file.resolve(text) }
    var inputs: [String] = []
    if let node = value("inputs") {
      if let list = node.sequence {
        for item in list {
          if let text = file.string(item, key: "inputs") { inputs.append(file.resolve(text)) }
        }
      } else if let text = file.string(node, key: "inputs") {
        inputs.append(file.resolve(text))
      }
    }
    var catalog: Catalog?
    var catalogProblems: [Problem] = []
    switch CatalogLoader.load(path: catalogPath) {
    case .success(let loaded): catalog = loaded
    case .failure(let error): catalogProblems = error.problems
    }
    var sources: [SourceDefinition] = []
    if let node = value("sources"), let catalog {
      sources = SourceLoader(catalog: catalog).load(node, file: &file)
    }
    let problems = file.problems + catalogProblems
    guard problems.isEmpty, let catalog else { return .failure(DefinitionError(problems: problems)) }
    return .success(
      PipelineDefinition(
        path: path, catalogPath: catalogPath, catalog: catalog, outputDirectory: output, inputs: inputs,
        sources: sources))
  }
}
