using System.Net;
using CodeRaft.Admin.Features.Audit.Chain;
using CodeRaft.Admin.Security.Throttling;
using Microsoft.Extensions.Options;

namespace CodeRaft.Admin.Security.StepUp;

/// <summary>The browser's address for this circuit (Routes sets it from the page request; scoped, one per circuit).</summary>
public sealed class CircuitClient
{
    public IPAddress? Address { get; set; }
}

/// <summary>Security:StepUp:AttemptsPerMinutePerAddress — step-up codes tried per source address and minute.</summary>
public sealed class StepUpThrottleOptions
{
    /// <summary>Codes (TOTP or recovery) submitted to step-up gates per source address and minute (1–10,000, default 20).</summary>
    public int AttemptsPerMinutePerAddress { get; set; } = 20;

    internal int EffectivePerMinute => Math.Clamp(AttemptsPerMinutePerAddress, 1, 10_000);
}

/// <summary>
/// A per-address brake on step-up attempts, in addition to the per-account TOTP lock: many accounts tried from one
/// address (or one account from many tabs) cannot go faster than the bucket allows. Over it, the attempt is refused
/// without checking the code, and counted in one aggregated <c>stepup.rate_limited</c> audit entry per address and minute.
/// </summary>
public sealed class StepUpThrottle(TimeProvider time, IOptions<StepUpThrottleOptions> options, DenialAggregator denials)
{
    private readonly TokenBuckets<string> _buckets = new(time);

    public bool TryAttempt(IPAddress? address, AuditActor actor, string operation, out TimeSpan retryAfter)
    {
        var source = Authentication.SignInThrottling.SourceKey(address);
        if (_buckets.TryTake(source, options.Value.EffectivePerMinute, out retryAfter))
        {
            return true;
        }

        // Counted per address AND user: the entry's actor must be the one whose attempts it counts.
        denials.Record(new Denial("auth", "stepup.rate_limited", $"{source} {actor.Type}:{actor.Id}", actor, source, operation));
        return false;
    }
}
