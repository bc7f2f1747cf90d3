using Microsoft.AspNetCore.Routing.Patterns;

namespace CodeRaft.Admin.Features.ApiKeys.Api;

/// <summary>
/// Answers <c>/api/…</c> addresses that no endpoint takes. Routing would answer a wrong method with 405 by itself,
/// but the catch-all fallback also matches every method and wins over that, so the fallback tells the two apart: the
/// v1 routes are literal paths, so "does another endpoint have exactly this path" is a string comparison. The same
/// holds for a body that is not JSON: routing turns the endpoint down (its Accepts metadata) before it runs.
/// </summary>
internal static class ApiFallback
{
    public static IResult Answer(HttpContext http, EndpointDataSource endpoints)
    {
        var path = http.Request.Path.Value?.TrimEnd('/') ?? "";
        var allowed = endpoints.Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.Parameters.Count == 0 && string.Equals(Literal(e.RoutePattern), path, StringComparison.OrdinalIgnoreCase))
            .SelectMany(e => e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? [])
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .ToList();
        if (allowed.Count == 0)
        {
            return ApiProblems.Problem(StatusCodes.Status404NotFound, "There is no API endpoint at this address.");
        }

        if (allowed.Contains(http.Request.Method, StringComparer.OrdinalIgnoreCase))
        {
            // The method fits, so routing turned the endpoint down for its declared request content type.
            return ApiProblems.Problem(StatusCodes.Status415UnsupportedMediaType, "Send the body as JSON with 'Content-Type: application/json'.");
        }

        http.Response.Headers.Allow = string.Join(", ", allowed);
        return ApiProblems.Problem(StatusCodes.Status405MethodNotAllowed, $"This endpoint accepts {string.Join(", ", allowed)} only.");
    }

    private static string Literal(RoutePattern pattern) =>
        "/" + string.Join('/', pattern.PathSegments.Select(s => string.Concat(s.Parts.OfType<RoutePatternLiteralPart>().Select(p => p.Content))));
}
