import Foundation

/// Work started on threads of its own and waited for together; the first error wins.
final class BackgroundWork: @unchecked Sendable {
  private let group = DispatchGroup()
  private let lock = NSLock()
  private var firstError: Error?

  func start(_ work: @escaping @Sendable () throws -> Void) {
    group.enter()
    Thread.detachNewThread { [self] in
      do { try work() } catch {
        lock.lock()
        if firstError == nil { firstError = error }
        lock.unlock()
      }
      group.leave()
    }
  }

  /// Waits for every piece of work, then rethrows the first error.
  func wait() throws {
    group.wait()
    if let firstError { throw firstError }
  }
}

/// Hands a value that is not `Sendable` to one other thread, which alone uses it until
/// the owner waits for that thread.
struct UncheckedBox<Value>: @unchecked Sendable {
  let value: Value
  init(_ value: Value) { self.value = value }
}

/// A value that one other thread changes until the owner waits for that thread.
final class UncheckedCell<Value>: @unchecked Sendable {
  var value: Value
  init(_ value: Value) { self.value = value }
}
