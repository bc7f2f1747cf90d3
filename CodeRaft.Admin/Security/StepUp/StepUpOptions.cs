using Microsoft.Extensions.Options;

namespace CodeRaft.Admin.Security.StepUp;

public sealed class StepUpOptions
{
    public static readonly TimeSpan MaxGracePeriod = TimeSpan.FromMinutes(15);

    /// <summary>How long one step-up keeps its own component unlocked (a "fresh" code, PRODUCT.md).</summary>
    public static readonly TimeSpan MaxTicketAge = TimeSpan.FromMinutes(15);

    /// <summary>
    /// How long one step-up also unlocks the other privileged components of the same circuit
    /// (Security:StepUp:GracePeriod, 0–15 minutes, default 0 = every privileged component challenges).
    /// </summary>
    public TimeSpan GracePeriod { get; set; } = TimeSpan.Zero;
}

/// <summary>
/// Where the grace period comes from: in the portal, Settings → Security (an Owner's saved value, else
/// configuration — Features/Settings/StoredStepUpPolicy); for hosts without that feature, configuration alone.
/// </summary>
public interface IStepUpPolicy
{
    /// <summary>Always within 0..<see cref="StepUpOptions.MaxGracePeriod"/>.</summary>
    TimeSpan GracePeriod { get; }
}

public sealed class ConfiguredStepUpPolicy(IOptionsMonitor<StepUpOptions> options) : IStepUpPolicy
{
    // Clamped here rather than validated at startup: a bad value must make the portal stricter, never looser.
    public TimeSpan GracePeriod => Clamp(options.CurrentValue.GracePeriod);

    public static TimeSpan Clamp(TimeSpan grace) =>
        grace <= TimeSpan.Zero ? TimeSpan.Zero : grace > StepUpOptions.MaxGracePeriod ? StepUpOptions.MaxGracePeriod : grace;
}
