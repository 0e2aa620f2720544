import CLibXML2
import ImpactModel

#if canImport(Glibc)
  import Glibc
#endif

/// The nodes of an untrusted document, with the checks every walker needs: a DOCTYPE,
/// an entity or nesting deeper than `XMLFormat.maxDepth` ends the file as malformed
/// before anything is expanded.
///
/// libxml2 keeps an element's line in 16 bits (65535 from there on) but a text node's in
/// full, as the line the parser was on when it made the node: an element past line 65534
/// takes the line of the text just before it (the indentation, made when the parser
/// reached the element's `<`), else the parser's line.
final class XMLNodeStream {
  enum Node {
    case start(isEmpty: Bool)
    case end
    /// Text (or CDATA) inside the current element; read it with `text`.
    case text
    case finished
  }

  let reader: xmlTextReaderPtr
  /// The line of the text node read just before the current node (nil when the node
  /// before was not text, or when lines were still small).
  private var textLineBeforeCurrent: Int?
  private var textLineOfCurrent: Int?

  init(reader: xmlTextReaderPtr) { self.reader = reader }

  /// The message of a read that failed (libxml2 then says why).
  static let malformed = "malformed XML"
  /// The message of a refused DOCTYPE; the reader has parsed it whole by then, so its line
  /// is looked for in the file (see `XMLInput.line(of:)`).
  static let doctype = "a DOCTYPE is not allowed: DTDs and entities are refused in submissions"

  /// The next node that matters; comments and processing instructions are skipped.
  func next() throws(FileProblem) -> Node {
    while true {
      let status = xmlTextReaderRead(reader)
      if status == 0 { return .finished }
      if status < 0 { throw problem(Self.malformed, path: "") }
      let type = xmlTextReaderNodeType(reader)
      textLineBeforeCurrent = textLineOfCurrent
      textLineOfCurrent = nil
      switch type {
      case Int32(XML_READER_TYPE_TEXT.rawValue), Int32(XML_READER_TYPE_CDATA.rawValue),
        Int32(XML_READER_TYPE_SIGNIFICANT_WHITESPACE.rawValue), Int32(XML_READER_TYPE_WHITESPACE.rawValue):
        if let node = xmlTextReaderCurrentNode(reader), case let line = Int(xmlGetLineNo(node)), line >= 65535 {
          textLineOfCurrent = line
        }
      default: break
      }
      switch type {
      case Int32(XML_READER_TYPE_DOCUMENT_TYPE.rawValue):
        throw problem(Self.doctype, path: "")
      case Int32(XML_READER_TYPE_ENTITY_REFERENCE.rawValue), Int32(XML_READER_TYPE_ENTITY.rawValue):
        throw problem("an entity reference is not allowed in submissions", path: "")
      case Int32(XML_READER_TYPE_ELEMENT.rawValue):
        if xmlTextReaderDepth(reader) >= XMLFormat.maxDepth {
          throw problem("elements nested deeper than \(XMLFormat.maxDepth) levels", path: "")
        }
        return .start(isEmpty: xmlTextReaderIsEmptyElement(reader) == 1)
      case Int32(XML_READER_TYPE_END_ELEMENT.rawValue):
        return .end
      case Int32(XML_READER_TYPE_TEXT.rawValue), Int32(XML_READER_TYPE_CDATA.rawValue),
        Int32(XML_READER_TYPE_SIGNIFICANT_WHITESPACE.rawValue):
        return .text
      default:
        continue
      }
    }
  }

  /// The local name (no namespace prefix) of the current element or attribute.
  var localName: String {
    xmlTextReaderConstLocalName(reader).map { String(cString: $0) } ?? ""
  }

  /// The text of the current text node, or the value of the current attribute.
  var value: UnsafeRawBufferPointer {
    guard let value = xmlTextReaderConstValue(reader) else { return UnsafeRawBufferPointer(start: nil, count: 0) }
    return UnsafeRawBufferPointer(start: value, count: strlen(value))
  }

  /// Calls `body` with the local name and value of each attribute of the current element,
  /// namespace declarations left out.
  func forEachAttribute(_ body: (String, UnsafeRawBufferPointer) -> Void) {
    guard xmlTextReaderMoveToFirstAttribute(reader) == 1 else { return }
    repeat {
      let prefix = xmlTextReaderConstPrefix(reader).map { String(cString: $0) } ?? ""
      let name = localName
      if prefix != "xmlns" && name != "xmlns" { body(name, value) }
    } while xmlTextReaderMoveToNextAttribute(reader) == 1
    xmlTextReaderMoveToElement(reader)
  }

  /// The line the current node starts on.
  var line: Int {
    guard let node = xmlTextReaderCurrentNode(reader) else { return 0 }
    // `xmlGetLineNo` answers a capped element with its children's or next sibling's line.
    guard node.pointee.type == XML_ELEMENT_NODE, node.pointee.line == UInt16.max else {
      return Int(xmlGetLineNo(node))
    }
    return textLineBeforeCurrent ?? max(65535, Int(xmlTextReaderGetParserLineNumber(reader)))
  }

  /// A problem at the current node's line, or the parser's when the node has none.
  func problem(_ message: String, path: String) -> FileProblem {
    let nodeLine = line
    return FileProblem(
      message: message, line: nodeLine > 0 ? nodeLine : Int(xmlTextReaderGetParserLineNumber(reader)), path: path)
  }
}
