using System.Globalization;
using System.Security.Claims;
using CodeRaft.Admin.Features.Audit.Chain;
using CodeRaft.Admin.Security.Authentication;
using CodeRaft.Admin.Security.Throttling;
using Microsoft.Extensions.Options;

namespace CodeRaft.Admin.Features.ApiKeys;

/// <summary>Security:Api — the brake on guessing API keys (docs/api.md, "Rate limits").</summary>
public sealed class ApiRateLimitOptions
{
    /// <summary>API requests answered 401 per source address and minute before the address is answered 429 (1–10,000, default 30).</summary>
    public int FailedAuthPerMinutePerAddress { get; set; } = 30;

    internal int EffectiveFailedAuthPerMinute => Math.Clamp(FailedAuthPerMinutePerAddress, 1, 10_000);
}

/// <summary>
/// Rate limits of the v1 API (docs/decisions/ADR-010-api-rate-limits.md). Two token buckets, both refilling
/// continuously over a minute:
///
///   per key      — each key at its own RateLimitPerMinute (a claim set by the ApiKey handler, so no query);
///                  checked after authorization, before the endpoint runs (no body is read). Over it → 429.
///                  A request refused for its scope (403) still counts against its key.
///   per address  — every /api request answered 401 (no key, malformed, unknown, revoked, expired) takes a token
///                  from its source address (after trusted proxies). While that bucket is empty every /api request
///                  from the address is answered 429 before authentication runs: a stream of guessed keys costs
///                  no hashing and no query.
///
/// 429 answers are problem details with Retry-After in whole seconds; each refusal is counted by the
/// <see cref="DenialAggregator"/> (api.rate_limited per key, api.auth_rate_limited per address, per minute).
/// </summary>
public static class ApiRateLimits
{
    public const string KeyRateLimitedAction = "api.rate_limited";
    public const string AddressRateLimitedAction = "api.auth_rate_limited";

    private static readonly PathString ApiPrefix = "/api";

    public static IServiceCollection AddApiRateLimits(this IServiceCollection services)
    {
        services.AddOptions<ApiRateLimitOptions>().BindConfiguration("Security:Api");
        services.AddSingleton<ApiRateLimiter>();
        services.AddDenialAudit();
        return services;
    }

    /// <summary>Puts every endpoint of the group under its key's rate limit.</summary>
    public static RouteGroupBuilder AddApiRateLimits(this RouteGroupBuilder group) => group.WithMetadata(KeyRateLimited.Instance);

    /// <summary>Before UseAuthentication: refuses /api requests from an address that has failed authentication too often.</summary>
    public static IApplicationBuilder UseApiAddressThrottle(this IApplicationBuilder app) => app.Use(ThrottleAddressAsync);

    /// <summary>After UseAuthorization: the per-key limit of endpoints marked with <see cref="AddApiRateLimits(RouteGroupBuilder)"/>.</summary>
    public static IApplicationBuilder UseApiKeyRateLimits(this IApplicationBuilder app) => app.Use(LimitKeyAsync);

    private static async Task ThrottleAddressAsync(HttpContext http, RequestDelegate next)
    {
        if (!http.Request.Path.StartsWithSegments(ApiPrefix))
        {
            await next(http);
            return;
        }

        var limiter = http.RequestServices.GetRequiredService<ApiRateLimiter>();
        var source = SignInThrottling.SourceKey(http.Connection.RemoteIpAddress);
        if (limiter.IsAddressBlocked(source, out var retryAfter))
        {
            limiter.Record(new Denial("api", AddressRateLimitedAction, source, AuditActor.Anonymous, source, http.Request.Path.ToUriComponent()));
            await WriteTooManyRequestsAsync(http, retryAfter,
                "Too many requests from your address failed authentication. Check the API key, then retry after the time in Retry-After.");
            return;
        }

        // Charged as the response starts, before the client can see it: its next request already finds the bucket
        // charged (after the response, a fast client could slip one more request in).
        http.Response.OnStarting(ChargeFailure, (http, limiter, source));
        await next(http);
    }

    private static Task ChargeFailure(object state)
    {
        var (http, limiter, source) = ((HttpContext, ApiRateLimiter, string))state;
        if (http.Response.StatusCode == StatusCodes.Status401Unauthorized)
        {
            limiter.ChargeAddress(source);
        }
        else if (http.Response.StatusCode == StatusCodes.Status403Forbidden && ReadKey(http.User) is { } key)
        {
            limiter.ChargeKey(key);
        }

        return Task.CompletedTask;
    }

    private static async Task LimitKeyAsync(HttpContext http, RequestDelegate next)
    {
        if (http.GetEndpoint()?.Metadata.GetMetadata<KeyRateLimited>() is null || ReadKey(http.User) is not { } key)
        {
            await next(http);
            return;
        }

        var limiter = http.RequestServices.GetRequiredService<ApiRateLimiter>();
        if (!limiter.TryTakeKey(key, out var retryAfter))
        {
            var source = SignInThrottling.SourceKey(http.Connection.RemoteIpAddress);
            limiter.Record(new Denial("api", KeyRateLimitedAction, key.Identifier, AuditActor.ApiKey(key.Identifier, ""), source, http.Request.Path.ToUriComponent())
            {
                TargetType = "apikey",
                TargetId = key.Identifier,
            });
            await WriteTooManyRequestsAsync(http, retryAfter,
                $"This API key is limited to {key.PerMinute.ToString(CultureInfo.InvariantCulture)} requests a minute. Retry after the time in Retry-After.");
            return;
        }

        await next(http);
    }

    /// <summary>The key of an ApiKey principal, or null for anyone else.</summary>
    internal static ApiKeyLimit? ReadKey(ClaimsPrincipal user)
    {
        if (!Guid.TryParse(user.FindFirstValue(ApiKeyClaims.KeyId), out var id))
        {
            return null;
        }

        var perMinute = int.TryParse(user.FindFirstValue(ApiKeyClaims.RateLimit), NumberStyles.None, CultureInfo.InvariantCulture, out var rate)
            ? rate
            : ApiKeyInputValidator.DefaultRateLimitPerMinute;
        return new ApiKeyLimit(id, user.FindFirstValue(ApiKeyClaims.Identifier) ?? "", Math.Clamp(perMinute, 1, ApiKeyInputValidator.MaxRateLimitPerMinute));
    }

    private static Task WriteTooManyRequestsAsync(HttpContext http, TimeSpan retryAfter, string detail)
    {
        // Whole seconds, rounded up and at least one: a client that waits that long finds a token.
        var seconds = Math.Max(1, (long)Math.Ceiling(retryAfter.TotalSeconds));
        http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        return TypedResults.Problem(
            statusCode: StatusCodes.Status429TooManyRequests,
            title: "Too Many Requests",
            detail: detail,
            type: Api.ApiProblems.TypeOf(StatusCodes.Status429TooManyRequests)).ExecuteAsync(http);
    }

    private sealed class KeyRateLimited
    {
        public static readonly KeyRateLimited Instance = new();
    }
}

internal sealed record ApiKeyLimit(Guid Id, string Identifier, int PerMinute);

/// <summary>The buckets behind <see cref="ApiRateLimits"/>: one per key, one per source address with failures.</summary>
public sealed class ApiRateLimiter(TimeProvider time, IOptions<ApiRateLimitOptions> options, DenialAggregator denials)
{
    private readonly TokenBuckets<Guid> _keys = new(time);
    private readonly TokenBuckets<string> _addresses = new(time);

    /// <summary>Source addresses currently holding a bucket (tests check that memory stays bounded).</summary>
    public int TrackedAddresses => _addresses.Count;

    internal bool TryTakeKey(ApiKeyLimit key, out TimeSpan retryAfter) => _keys.TryTake(key.Id, key.PerMinute, out retryAfter);

    internal void ChargeKey(ApiKeyLimit key) => _keys.Charge(key.Id, key.PerMinute);

    internal bool IsAddressBlocked(string source, out TimeSpan retryAfter) =>
        _addresses.IsEmpty(source, options.Value.EffectiveFailedAuthPerMinute, out retryAfter);

    internal void ChargeAddress(string source) => _addresses.Charge(source, options.Value.EffectiveFailedAuthPerMinute);

    internal void Record(Denial denial) => denials.Record(denial);
}
