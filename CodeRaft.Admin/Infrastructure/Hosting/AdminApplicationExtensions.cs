using CodeRaft.Admin.Components;
using CodeRaft.Admin.Security.Authentication;
using CodeRaft.Admin.Features.ApiKeys;
using CodeRaft.Admin.Features.ApiKeys.Api;
using CodeRaft.Admin.Features.Audit.Export;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;

namespace CodeRaft.Admin.Infrastructure.Hosting;

public static class AdminApplicationExtensions
{
    /// <summary>Runs <see cref="AdminRuntime"/>; a configuration problem becomes one sentence and an exit code.</summary>
    public static async Task InitializeAdminAsync(this WebApplication app)
    {
        // Resolve now so a malformed Network:TrustedProxies entry stops start-up, not the first request.
        _ = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<ForwardedHeadersOptions>>().Value;
        await AdminRuntime.InitializeAsync(app.Services, app.Lifetime.ApplicationStopping);
    }

    public static WebApplication UseAdminPipeline(this WebApplication app)
    {
        // ForwardedHeadersMiddleware trusts every sender when its known lists are empty, so it is only added
        // when trusted proxies are configured: deny by default. (It matches IPv4-mapped peers as IPv4 itself.)
        var forwarded = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<ForwardedHeadersOptions>>().Value;
        if (forwarded.KnownIPNetworks.Count > 0)
        {
            // The proxy a client came through, before the middleware replaces it: the Network page names it.
            app.Use(Features.Network.ClientConnection.RememberProxy(Security.Network.IpRangeSet.Create(forwarded.KnownIPNetworks)));
            app.UseForwardedHeaders();
        }

        if (!app.Environment.IsDevelopment())
        {
            // A friendly page with a request id; no stack trace leaves the server.
            app.UseExceptionHandler("/Error", createScopeForErrors: true);
        }

        app.UseHsts();
        app.UseMiddleware<SecurityHeadersMiddleware>();
        // The IP allowlists, as early as the client's address is known: before static files, sign-in, the hub, the API.
        app.UseMiddleware<Features.Network.NetworkAllowlistMiddleware>();
        app.Use(RefuseOversizedBodies);
        // Pages for GET/HEAD only: re-executing a POST (e.g. a form whose antiforgery token went stale) would run
        // antiforgery again on the same request and fail with a 500. Posts get one plain sentence instead.
        app.Use(WriteSentenceForFailedWritesAsync);
        app.Use(ApiProblemResponses.WriteAsync); // /api only: problem details instead of pages or sentences
        app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
        app.Use(KeepStatusPagesForReadsOnly);
        app.UseRateLimiter(); // after forwarded headers: buckets are per real client address
        app.UseApiAddressThrottle(); // before authentication: an address guessing keys costs no key lookups
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseApiKeyRateLimits(); // after authorization: the key is known, the endpoint has not run
        app.UseAntiforgery();
        return app;
    }

    private static bool IsRead(HttpContext http) => HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method);

    /// <summary>Inside the status-code-pages middleware: turns it off for anything but GET/HEAD, and for the API.</summary>
    private static Task KeepStatusPagesForReadsOnly(HttpContext http, Func<Task> next)
    {
        if ((!IsRead(http) || ApiProblems.IsApiRequest(http)) && http.Features.Get<Microsoft.AspNetCore.Diagnostics.IStatusCodePagesFeature>() is { } pages)
        {
            pages.Enabled = false;
        }

        return next();
    }

    /// <summary>Outside it: a failed POST/PUT/DELETE with an empty body gets one sentence instead.</summary>
    private static async Task WriteSentenceForFailedWritesAsync(HttpContext http, Func<Task> next)
    {
        await next();
        var response = http.Response;
        if (IsRead(http) || response.HasStarted || response.StatusCode < 400 || response.ContentLength > 0 || response.ContentType is not null)
        {
            return;
        }

        response.ContentType = "text/plain; charset=utf-8";
        await response.WriteAsync(response.StatusCode switch
        {
            StatusCodes.Status400BadRequest => "The form could not be accepted; it may have expired. Go back, reload the page and try again.",
            StatusCodes.Status404NotFound => "There is nothing at this address.",
            StatusCodes.Status405MethodNotAllowed => "This address does not accept that kind of request.",
            _ => $"The request could not be completed (HTTP {response.StatusCode}).",
        });
    }

    /// <summary>
    /// Kestrel enforces MaxRequestBodySize only when a body is read, and a component endpoint may turn that into
    /// a 400. A declared length over the limit is refused here, up front, with a plain 413. Chunked bodies are
    /// still cut off by Kestrel while they are read.
    /// </summary>
    private static Task RefuseOversizedBodies(HttpContext context, RequestDelegate next)
    {
        var limit = context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize;
        if (limit is not null && context.Request.ContentLength > limit)
        {
            if (ApiProblems.IsApiRequest(context))
            {
                return ApiProblems.Problem(StatusCodes.Status413PayloadTooLarge,
                    $"The request body is larger than this endpoint's limit of {limit} bytes.").ExecuteAsync(context);
            }

            context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            context.Response.ContentType = "text/plain; charset=utf-8";
            return context.Response.WriteAsync($"The request body is larger than the limit of {limit} bytes.");
        }

        return next(context);
    }

    public static WebApplication MapAdmin(this WebApplication app)
    {
        // Liveness answers without touching dependencies; readiness checks the database and the key ring.
        // Reachable without a session (container health checks; the files every page needs); all else is deny by default.
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous();
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready") }).AllowAnonymous();
        app.MapStaticAssets().AllowAnonymous();
        app.MapAccountEndpoints();
        app.MapAuditExport();
        app.MapApiV1(); // API-key scheme only (Features/ApiKeys/ApiPolicies.cs)
        app.MapApiOpenApi(); // GET /openapi/v1.json, anonymous
        // Component endpoints (pages and the circuit's hub) need at least the first factor, so a user who still
        // has to enroll TOTP can run the enrollment page; each page's own [Authorize] (FullySignedIn for every
        // screen) is enforced on the request and, inside the circuit, by AuthorizeRouteView.
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode().RequireAuthorization(AdminClaims.FirstFactorPolicy);
        return app;
    }
}
