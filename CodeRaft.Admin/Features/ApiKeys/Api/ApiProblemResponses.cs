namespace CodeRaft.Admin.Features.ApiKeys.Api;

/// <summary>
/// Middleware for <c>/api/…</c> only: whatever answers an API request with an error but no body (routing, the rate
/// limiter, a framework refusal) gets a problem document instead of the console's HTML status page or plain
/// sentence, and an unhandled exception becomes a 500 problem without details (the exception stays in the log).
/// Sits between the console's "sentence for failed writes" and its status-code pages, which then leave it alone.
/// </summary>
public static class ApiProblemResponses
{
    public static async Task WriteAsync(HttpContext http, Func<Task> next)
    {
        if (!ApiProblems.IsApiRequest(http))
        {
            await next();
            return;
        }

        try
        {
            await next();
        }
        catch (BadHttpRequestException ex) when (!http.Response.HasStarted)
        {
            // Kestrel or parameter binding refused the request (e.g. a body over the limit while it was read).
            http.Response.Clear();
            await ApiProblems.Problem(ex.StatusCode, ApiProblems.DefaultDetail(ex.StatusCode)).ExecuteAsync(http);
            return;
        }
        catch (Exception ex) when (!http.Response.HasStarted && !http.RequestAborted.IsCancellationRequested)
        {
            http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ApiProblemResponses))
                .LogError(ex, "Unhandled exception in API request {Method} {Path} ({TraceId})", http.Request.Method, http.Request.Path, http.TraceIdentifier);
            http.Response.Clear();
            await TypedResults.Problem(
                statusCode: StatusCodes.Status500InternalServerError,
                title: ApiProblems.TitleOf(StatusCodes.Status500InternalServerError),
                detail: "The server could not complete the request. The administrators can find it in the log by its traceId.",
                type: ApiProblems.TypeOf(StatusCodes.Status500InternalServerError),
                extensions: new Dictionary<string, object?> { ["traceId"] = http.TraceIdentifier }).ExecuteAsync(http);
            return;
        }

        var response = http.Response;
        if (!response.HasStarted && response.StatusCode >= 400 && response.ContentLength is null or 0 && response.ContentType is null)
        {
            await ApiProblems.Problem(response.StatusCode, ApiProblems.DefaultDetail(response.StatusCode)).ExecuteAsync(http);
        }
    }
}
