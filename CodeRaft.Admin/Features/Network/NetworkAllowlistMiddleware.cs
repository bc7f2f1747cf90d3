using CodeRaft.Admin.Features.Audit.Chain;
using CodeRaft.Admin.Security.Throttling;

namespace CodeRaft.Admin.Features.Network;

/// <summary>
/// Enforces the IP allowlists on every request, right after the client's address is known (forwarded headers from
/// trusted proxies only) and before anything else runs — static files, sign-in, the circuit's hub, the API:
///   /api/…, /openapi/…  → the api list (the API and its description); refused with 403 problem details;
///   /healthz, /readyz   → never refused (container health checks; they reveal nothing — docs/network.md);
///   everything else     → the ui list; refused with a plain 403 page.
/// An empty list allows every address. The check is a lock-free read of an immutable snapshot (no I/O);
/// refusals are counted in memory and audited as one <c>network.blocked</c> entry per source, scope and minute.
/// </summary>
public sealed class NetworkAllowlistMiddleware(RequestDelegate next, NetworkAllowlist allowlist, DenialAggregator denials)
{
    public Task InvokeAsync(HttpContext context)
    {
        var path = context.Request.Path;
        if (IsHealthCheck(path))
        {
            return next(context);
        }

        var scope = ScopeOf(path);
        var address = context.Connection.RemoteIpAddress;
        return allowlist.IsAllowed(scope, address) ? next(context) : RefuseAsync(context, scope, address);
    }

    public static bool IsHealthCheck(PathString path) =>
        path.Equals("/healthz", StringComparison.OrdinalIgnoreCase) || path.Equals("/readyz", StringComparison.OrdinalIgnoreCase);

    public static AllowlistScope ScopeOf(PathString path) =>
        path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase) || path.StartsWithSegments("/openapi", StringComparison.OrdinalIgnoreCase)
            ? AllowlistScope.Api
            : AllowlistScope.Ui;

    private Task RefuseAsync(HttpContext context, AllowlistScope scope, System.Net.IPAddress? address)
    {
        var source = address is null ? "unknown" : ClientConnection.Normalize(address).ToString();
        denials.Record(new Denial("network", "network.blocked", $"{scope.ToText()} {source}", AuditActor.Anonymous, source, context.Request.Path.Value ?? "/")
        {
            TargetType = "allowlist",
            TargetId = scope.ToText(),
        });

        context.Response.StatusCode = StatusCodes.Status403Forbidden;
        context.Response.Headers.CacheControl = "no-store";
        if (scope == AllowlistScope.Api)
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status403Forbidden,
                title: "Forbidden",
                detail: $"Requests from {source} are not allowed by the API's IP allowlist.",
                type: "https://tools.ietf.org/html/rfc9110#section-15.5.4").ExecuteAsync(context);
        }

        context.Response.ContentType = "text/html; charset=utf-8";
        return context.Response.WriteAsync(BlockedPage(source));
    }

    /// <summary>Self-contained (no scripts, styles or files of the console: those are blocked too).</summary>
    private static string BlockedPage(string source) =>
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Access from this address is not allowed · CodeRaft Admin</title></head>"
        + "<body style=\"font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; padding: 0 1rem\">"
        + "<h1>Access from this address is not allowed</h1>"
        + $"<p>The CodeRaft Admin console accepts connections only from the addresses on its allowlist, and your address, <strong>{System.Net.WebUtility.HtmlEncode(source)}</strong>, is not on it.</p>"
        + "<p>If you should have access, ask an administrator to add your address in Settings → Security → Network. "
        + "An operator on the server can also clear the list with <code>network allowlist reset</code>.</p>"
        + "</body></html>";
}
