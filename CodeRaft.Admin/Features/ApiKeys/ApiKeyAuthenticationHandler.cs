using System.Data.Common;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Encodings.Web;
using CodeRaft.Admin.Infrastructure.Data;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CodeRaft.Admin.Features.ApiKeys;

/// <summary>Claims of a principal authenticated with an API key. It carries no role and no <c>mfa</c> claim, so no console policy accepts it.</summary>
public static class ApiKeyClaims
{
    public const string KeyId = "apikey_id";
    public const string Identifier = "apikey_identifier";
    public const string Scope = "scope";

    /// <summary>The key's requests per minute, so the rate limit needs no query of its own (ApiRateLimits).</summary>
    public const string RateLimit = "apikey_rate_limit";
}

/// <summary>
/// The <c>ApiKey</c> scheme: <c>Authorization: Bearer crk_…</c> (docs/api.md). Never the default scheme — only
/// endpoints whose policy names it (the v1 API) run it; the console stays on its cookie.
///
///   1. the format and CRC-32 checksum are checked first: a mistyped, truncated or random key is refused without
///      any database query;
///   2. the row is found by the SHA-256 of the key (kept for a second by <see cref="ApiKeyLookupCache"/>, which
///      every audited change in this process clears), and the stored hash is compared in constant time;
///   3. revoked and expired keys are refused; refusals answer 401 with RFC 9457 problem details;
///   4. last use (time and source address) is written at most once a minute per key, with a conditional UPDATE,
///      so busy keys cause no write amplification.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IDbContextFactory<AdminDbContext> contexts,
    ApiKeyLookupCache cache,
    TimeProvider time)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    /// <summary>How stale <see cref="ApiKey.LastUsedAt"/> may get before a request updates it.</summary>
    public static readonly TimeSpan LastUseResolution = TimeSpan.FromMinutes(1);

    private const string BearerPrefix = "Bearer ";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization;
        if (header.Count == 0)
        {
            return AuthenticateResult.NoResult();
        }

        var value = header.Count == 1 ? header[0] : null;
        if (value is null || !value.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.Fail("Send the API key as 'Authorization: Bearer crk_…'.");
        }

        var key = value[BearerPrefix.Length..].Trim();
        if (!ApiKeyFormat.IsWellFormed(key))
        {
            // No query: the checksum already tells a mistyped or made-up key.
            return AuthenticateResult.Fail("The API key is malformed or its checksum does not match.");
        }

        var hash = ApiKeyFormat.HashBytes(key);
        var hex = Convert.ToHexStringLower(hash);
        if (!cache.TryGet(hex, out var row))
        {
            var generation = cache.Generation;
            await using var db = await contexts.CreateDbContextAsync(Context.RequestAborted);
            row = await db.ApiKeys.AsNoTracking()
                .Where(k => k.KeyHash == hex)
                .Select(k => new ApiKeyRow(k.Id, k.Identifier, k.KeyHash, k.Scopes, k.ExpiresAt, k.RevokedAt, k.LastUsedAt, k.RateLimitPerMinute))
                .SingleOrDefaultAsync(Context.RequestAborted);
            if (row is not null)
            {
                cache.Store(hex, row, generation);
            }
        }

        // Constant-time over the stored text itself: nothing is parsed, so no stored value can make this throw.
        if (row is null || !CryptographicOperations.FixedTimeEquals(System.Text.Encoding.ASCII.GetBytes(row.KeyHash), System.Text.Encoding.ASCII.GetBytes(hex)))
        {
            return AuthenticateResult.Fail("The API key is not valid.");
        }

        var now = time.GetUtcNow().UtcDateTime;
        if (row.RevokedAt is not null)
        {
            return AuthenticateResult.Fail("The API key has been revoked.");
        }

        if (row.ExpiresAt <= now)
        {
            return AuthenticateResult.Fail("The API key has expired.");
        }

        if (row.LastUsedAt is not { } used || now - used >= LastUseResolution)
        {
            await RecordUseAsync(row.Id, now);
            cache.Touch(hex, row, now);
        }

        return AuthenticateResult.Success(new AuthenticationTicket(CreatePrincipal(row.Id, row.Identifier, ApiKeyScopes.Parse(row.Scopes), row.RateLimitPerMinute), SchemeName));
    }

    /// <summary>The principal of a valid key: its id, identifier, scopes and rate; nothing a console policy asks for.</summary>
    public static ClaimsPrincipal CreatePrincipal(Guid id, string identifier, IEnumerable<string> scopes, int rateLimitPerMinute = ApiKeyInputValidator.DefaultRateLimitPerMinute)
    {
        var identity = new ClaimsIdentity(SchemeName, ClaimTypes.Name, ClaimTypes.Role);
        identity.AddClaim(new Claim(ClaimTypes.Name, identifier));
        identity.AddClaim(new Claim(ApiKeyClaims.KeyId, id.ToString()));
        identity.AddClaim(new Claim(ApiKeyClaims.Identifier, identifier));
        identity.AddClaim(new Claim(ApiKeyClaims.RateLimit, rateLimitPerMinute.ToString(System.Globalization.CultureInfo.InvariantCulture), ClaimValueTypes.Integer32));
        foreach (var scope in scopes)
        {
            identity.AddClaim(new Claim(ApiKeyClaims.Scope, scope));
        }

        return new ClaimsPrincipal(identity);
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        Response.Headers.WWWAuthenticate = result.Failure is null ? "Bearer" : "Bearer error=\"invalid_token\"";
        await TypedResults.Problem(
            statusCode: StatusCodes.Status401Unauthorized,
            title: "Unauthorized",
            detail: result.Failure?.Message ?? "Send a valid API key as 'Authorization: Bearer crk_…'.",
            type: "https://tools.ietf.org/html/rfc9110#section-15.5.2").ExecuteAsync(Context);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        TypedResults.Problem(
            statusCode: StatusCodes.Status403Forbidden,
            title: "Forbidden",
            detail: "The API key does not have the scope this endpoint requires.",
            type: "https://tools.ietf.org/html/rfc9110#section-15.5.4").ExecuteAsync(Context);

    private async Task RecordUseAsync(Guid id, DateTime now)
    {
        var threshold = now - LastUseResolution;
        var from = Context.Connection.RemoteIpAddress?.ToString();
        try
        {
            await using var db = await contexts.CreateDbContextAsync(Context.RequestAborted);
            // Conditional: of concurrent requests (also in other processes) only one per minute writes.
            await db.ApiKeys
                .Where(k => k.Id == id && (k.LastUsedAt == null || k.LastUsedAt <= threshold))
                .ExecuteUpdateAsync(s => s.SetProperty(k => k.LastUsedAt, now).SetProperty(k => k.LastUsedFrom, from), Context.RequestAborted);
        }
        catch (DbException ex)
        {
            // Bookkeeping only: a busy database must not turn a valid key away.
            Logger.LogWarning(ex, "Could not record the last use of API key {KeyId}.", id);
        }
    }
}
