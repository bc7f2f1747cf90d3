using System.Globalization;
using CodeRaft.Admin.Features.Audit.Chain;
using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Infrastructure.Data;
using CodeRaft.Admin.Infrastructure.Hosting;
using CodeRaft.Admin.Security.Authentication;
using CodeRaft.Admin.Security.StepUp;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CodeRaft.Admin.Features.Settings;

/// <summary>What Settings → Security shows. Session timeouts come from configuration (read-only here).</summary>
public sealed record SecuritySettings(TimeSpan StepUpGracePeriod, bool GraceSetInPortal, TimeSpan IdleTimeout, TimeSpan AbsoluteTimeout);

public sealed record SettingsResult(bool Succeeded, string Message);

/// <summary>
/// The step-up grace period an Owner sets in Settings → Security (row <c>security.stepup.grace_seconds</c> of the
/// <c>settings</c> table). Until an Owner saves one, Security:StepUp:GracePeriod from configuration applies
/// (default 0). Read on every step-up decision from memory; refreshed from the store at most every 30 seconds,
/// so a second portal instance on the same database follows an Owner's change within 30 s.
/// </summary>
public sealed class StoredStepUpPolicy(IDbContextFactory<AdminDbContext> contexts, IOptionsMonitor<StepUpOptions> configured, TimeProvider time) : IStepUpPolicy
{
    public const string Key = "security.stepup.grace_seconds";
    private static readonly TimeSpan RefreshAfter = TimeSpan.FromSeconds(30);

    private readonly Lock _lock = new();
    private TimeSpan? _stored;
    private DateTimeOffset _loadedAt = DateTimeOffset.MinValue;
    private int _refreshing;

    public TimeSpan GracePeriod
    {
        get
        {
            if (time.GetUtcNow() - _loadedAt > RefreshAfter && Interlocked.CompareExchange(ref _refreshing, 1, 0) == 0)
            {
                _ = RefreshInBackgroundAsync();
            }

            lock (_lock)
            {
                // Clamped on the way out: a bad stored or configured value makes the portal stricter, never looser.
                return ConfiguredStepUpPolicy.Clamp(_stored ?? configured.CurrentValue.GracePeriod);
            }
        }
    }

    public bool IsSetInPortal
    {
        get
        {
            lock (_lock)
            {
                return _stored is not null;
            }
        }
    }

    public async Task RefreshAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var value = await db.Settings.AsNoTracking().Where(s => s.Key == Key).Select(s => s.Value).SingleOrDefaultAsync(cancellationToken);
        Set(Parse(value));
    }

    internal void Set(TimeSpan? stored)
    {
        lock (_lock)
        {
            _stored = stored;
            _loadedAt = time.GetUtcNow();
        }
    }

    internal static TimeSpan? Parse(string? value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) ? TimeSpan.FromSeconds(seconds) : null;

    private async Task RefreshInBackgroundAsync()
    {
        try
        {
            await RefreshAsync();
        }
        catch (Exception ex) when (ex is System.Data.Common.DbException or InvalidOperationException or OperationCanceledException)
        {
            // Keep the last known value; the next read tries again.
        }
        finally
        {
            Volatile.Write(ref _refreshing, 0);
        }
    }
}

/// <summary>
/// Settings → Security. Reading is open to every signed-in role (Auditors read everything); changing the
/// grace period is for Owners only and privileged: guard (Owner per the store, step-up) → persist with audit →
/// take effect in this process at once.
/// </summary>
public sealed class SecuritySettingsService(IDbContextFactory<AdminDbContext> contexts, AuditWriter audit, StoredStepUpPolicy policy,
    IOptions<CodeRaft.Admin.Security.Authentication.SessionOptions> sessions, AuthenticationStateProvider authentication, StepUpService stepUp, TimeProvider time)
{
    public const string Operation = "settings.security";

    public SecuritySettings Current() =>
        new(policy.GracePeriod, policy.IsSetInPortal, sessions.Value.IdleTimeout, sessions.Value.AbsoluteTimeout);

    public async Task<SettingsResult> SetStepUpGracePeriodAsync(int minutes, StepUpTicket? ticket, CancellationToken cancellationToken = default)
    {
        var principal = (await authentication.GetAuthenticationStateAsync()).User;
        if (AdminClaims.UserId(principal) is not { } userId)
        {
            return new(false, "Sign in first.");
        }

        var actor = AuditActor.User(userId.ToString(), principal.Identity?.Name ?? "");
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        // The role as the store has it now, not as the session cookie remembers it.
        var role = await db.Users.AsNoTracking().Where(u => u.Id == userId && u.Status == AdminUserStatus.Active).Select(u => (AdminRole?)u.Role).SingleOrDefaultAsync(cancellationToken);
        if (role is not { } current || !CodeRaft.Admin.Security.Authorization.AdminPermissions.Allows(current, CodeRaft.Admin.Security.Authorization.AdminPermission.ManageSecuritySettings))
        {
            await audit.AppendAsync(Event(actor, AuditVocabulary.Denied, ("reason", "only Owners change security settings")), cancellationToken);
            return new(false, "Only Owners can change security settings.");
        }

        await stepUp.DemandAsync(ticket, Operation, cancellationToken);
        if (minutes is < 0 or > 15)
        {
            return new(false, "The grace period is a whole number of minutes from 0 (every privileged action asks for a code) to 15.");
        }

        var grace = TimeSpan.FromMinutes(minutes);
        var before = policy.GracePeriod;
        await audit.ExecuteAsync(db, async ct =>
        {
            var row = await db.Settings.SingleOrDefaultAsync(s => s.Key == StoredStepUpPolicy.Key, ct);
            if (row is null)
            {
                row = new PortalSetting { Key = StoredStepUpPolicy.Key };
                db.Settings.Add(row);
            }

            row.Value = ((int)grace.TotalSeconds).ToString(CultureInfo.InvariantCulture);
            row.UpdatedAt = time.GetUtcNow().UtcDateTime;
            row.UpdatedBy = actor.Id;
            return (true, (IReadOnlyList<AuditEvent>)[Event(actor, AuditVocabulary.Success,
                ("setting", "stepUpGracePeriod"), ("before", Minutes(before)), ("after", Minutes(grace)))]);
        }, cancellationToken);
        policy.Set(grace);
        return new(true, minutes == 0
            ? "Saved. Every privileged action now asks for a code."
            : $"Saved. One confirmation now also unlocks other privileged actions in the same tab for {minutes} minute{(minutes == 1 ? "" : "s")}.");
    }

    private static string Minutes(TimeSpan span) => ((int)span.TotalMinutes).ToString(CultureInfo.InvariantCulture) + " min";

    private static AuditEvent Event(AuditActor actor, string outcome, params (string Key, object? Value)[] details) => new()
    {
        Category = "settings",
        Action = "settings.security_changed",
        Outcome = outcome,
        Actor = actor,
        TargetType = "setting",
        TargetId = StoredStepUpPolicy.Key,
        Details = AuditDetails.Of(details),
    };
}

/// <summary>Loads the stored grace period before the first request.</summary>
internal sealed class SecuritySettingsInitializer(StoredStepUpPolicy policy) : IAdminInitializer
{
    public Task InitializeAsync(CancellationToken cancellationToken) => policy.RefreshAsync(cancellationToken);
}

public static class SettingsFeature
{
    public static IServiceCollection AddSecuritySettings(this IServiceCollection services)
    {
        services.AddSingleton<StoredStepUpPolicy>();
        services.AddSingleton<IStepUpPolicy>(sp => sp.GetRequiredService<StoredStepUpPolicy>());
        services.AddSingleton<IAdminInitializer, SecuritySettingsInitializer>();
        services.AddScoped<SecuritySettingsService>();
        return services;
    }
}
