using Microsoft.AspNetCore.Http.HttpResults;

namespace CodeRaft.Admin.Features.ApiKeys.Api;

/// <summary>
/// RFC 9457 problem details for the v1 API, written the same way as the ApiKey scheme's 401/403. The portal does not
/// register AddProblemDetails: that would also give the console's own error responses JSON bodies (ADR-009).
/// </summary>
public static class ApiProblems
{
    public const string ContentType = "application/problem+json";

    public static bool IsApiRequest(HttpContext http) => http.Request.Path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase);

    public static ProblemHttpResult Problem(int status, string detail, string? title = null) => TypedResults.Problem(
        statusCode: status,
        title: title ?? TitleOf(status),
        detail: detail,
        type: TypeOf(status));

    /// <summary>400 with the offending fields by JSON path (<c>$[3].product</c>) and what is wrong with each.</summary>
    public static ValidationProblem Invalid(string detail, IDictionary<string, string[]> errors) => TypedResults.ValidationProblem(
        errors,
        detail: detail,
        title: "The request is invalid.",
        type: TypeOf(StatusCodes.Status400BadRequest));

    public static string TitleOf(int status) => status switch
    {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Content Too Large",
        415 => "Unsupported Media Type",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => $"HTTP {status}",
    };

    public static string TypeOf(int status) => status switch
    {
        400 => "https://tools.ietf.org/html/rfc9110#section-15.5.1",
        401 => "https://tools.ietf.org/html/rfc9110#section-15.5.2",
        403 => "https://tools.ietf.org/html/rfc9110#section-15.5.4",
        404 => "https://tools.ietf.org/html/rfc9110#section-15.5.5",
        405 => "https://tools.ietf.org/html/rfc9110#section-15.5.6",
        413 => "https://tools.ietf.org/html/rfc9110#section-15.5.14",
        415 => "https://tools.ietf.org/html/rfc9110#section-15.5.16",
        429 => "https://tools.ietf.org/html/rfc6585#section-4",
        503 => "https://tools.ietf.org/html/rfc9110#section-15.6.4",
        _ => "https://tools.ietf.org/html/rfc9110#section-15.6.1",
    };

    /// <summary>A sentence for a status the API answers without a body of its own (routing, rate limiting, framework refusals).</summary>
    public static string DefaultDetail(int status) => status switch
    {
        400 => "The request could not be understood.",
        401 => "Send a valid API key as 'Authorization: Bearer crk_…'.",
        403 => "The API key does not have the scope this endpoint requires.",
        404 => "There is no API endpoint at this address.",
        405 => "This endpoint does not accept that method.",
        413 => "The request body is too large.",
        415 => "Send the body as application/json.",
        429 => "Too many requests; wait as long as Retry-After says and try again.",
        _ => "The request could not be completed.",
    };
}
