using System.Globalization;
using System.Net;
using System.Threading.RateLimiting;
using CodeRaft.Admin.Features.Audit.Chain;
using CodeRaft.Admin.Security.Throttling;
using Microsoft.AspNetCore.RateLimiting;

namespace CodeRaft.Admin.Security.Authentication;

/// <summary>Security:SignIn — how hard guessing a password or a code is made (docs/authentication.md, "Throttling").</summary>
public sealed class SignInThrottlingOptions
{
    /// <summary>Consecutive wrong passwords before the account's password sign-in locks (1–100, default 10).</summary>
    public int MaxPasswordFailures { get; set; } = 10;

    /// <summary>How long that lock lasts (default 15 minutes).</summary>
    public TimeSpan PasswordLockout { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Sign-in, code, setup and activation posts accepted per source address and minute (1–10,000, default 20).</summary>
    public int PostsPerMinutePerAddress { get; set; } = 20;

    internal int EffectiveMaxPasswordFailures => Math.Clamp(MaxPasswordFailures, 1, 100);

    internal int EffectivePostsPerMinute => Math.Clamp(PostsPerMinutePerAddress, 1, 10_000);
}

/// <summary>
/// Two brakes on guessing, each bounded so an attacker's cost grows and the audit log cannot be flooded:
///   per source address — the anonymous account posts share a token bucket per IP (after trusted proxies);
///                        over the limit → 429 with Retry-After, one audit entry per address and minute
///                        with the count of refused posts (DenialAggregator);
///   per account        — consecutive wrong passwords lock password sign-in (AccountEndpoints), TOTP and
///                        recovery codes have their own lock (TotpService).
/// </summary>
public static class SignInThrottling
{
    public const string Policy = "account-posts";

    /// <summary>The audit action of refused posts: one entry per address and minute, with the count (<see cref="DenialAggregator"/>).</summary>
    public const string RateLimitedAction = "auth.rate_limited";

    public static IServiceCollection AddSignInThrottling(this IServiceCollection services)
    {
        services.AddOptions<SignInThrottlingOptions>().BindConfiguration("Security:SignIn");
        services.AddDenialAudit();
        services.AddRateLimiter(limiter =>
        {
            limiter.AddPolicy(Policy, http =>
            {
                var perMinute = http.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<SignInThrottlingOptions>>().Value.EffectivePostsPerMinute;
                return RateLimitPartition.GetTokenBucketLimiter(SourceKey(http.Connection.RemoteIpAddress), _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = perMinute,
                    TokensPerPeriod = perMinute,
                    ReplenishmentPeriod = TimeSpan.FromMinutes(1),
                    QueueLimit = 0,
                    AutoReplenishment = true,
                });
            });
            limiter.OnRejected = async (context, cancellationToken) =>
            {
                var http = context.HttpContext;
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromMinutes(1);
                http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                http.Response.Headers.RetryAfter = ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                var source = SourceKey(http.Connection.RemoteIpAddress);
                http.RequestServices.GetRequiredService<DenialAggregator>().Record(
                    new Denial("auth", RateLimitedAction, source, AuditActor.Anonymous, source, http.Request.Path.ToUriComponent()));
                http.Response.ContentType = "text/plain; charset=utf-8";
                await http.Response.WriteAsync("Too many sign-in attempts from your address. Wait a minute, then try again.", cancellationToken);
            };
        });
        return services;
    }

    /// <summary>IPv4-mapped IPv6 addresses count as the IPv4 address, so one client has one bucket.</summary>
    internal static string SourceKey(IPAddress? address) =>
        address is null ? "unknown" : (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString();
}
