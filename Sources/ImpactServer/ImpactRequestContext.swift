import HTTPTypes
import Hummingbird

/// The request context of the report server: Hummingbird's, plus who the request speaks
/// for once its token is checked.
public struct ImpactRequestContext: RequestContext {
  public var coreContext: CoreRequestContextStorage
  public var scope: AccessScope = .all

  public init(source: Source) {
    coreContext = .init(source: source)
  }
}

/// Checks the bearer token of every request but `/healthz`, and sets its scope.
struct TokenMiddleware: RouterMiddleware {
  let tokens: AccessTokens

  func handle(
    _ request: Request, context: ImpactRequestContext,
    next: (Request, ImpactRequestContext) async throws -> Response
  ) async throws -> Response {
    if request.uri.path == "/healthz" { return try await next(request, context) }
    guard let scope = tokens.scope(forAuthorization: request.headers[.authorization]) else {
      return Response(
        status: .unauthorized,
        headers: [.wwwAuthenticate: "Bearer realm=\"impact\"", .contentType: "text/plain; charset=utf-8"],
        body: .init(byteBuffer: ByteBuffer(string: "a valid bearer token is required\n")))
    }
    var context = context
    context.scope = scope
    return try await next(request, context)
  }
}
