using System.Globalization;
using MudBlazor;

namespace CodeRaft.Admin.Features.ApiKeys;

/// <summary>What the console shows a key as: revoked, expired, expiring soon, or active.</summary>
public enum ApiKeyState
{
    Active,
    ExpiringSoon,
    Expired,
    Revoked,
}

/// <summary>How keys are shown on screens: one place for states, labels and colours, so the grid and the drawer agree.</summary>
public static class ApiKeyDisplay
{
    /// <summary>
    /// A key that expires within 14 days is "expiring soon": two weeks leave room to roll a key over a weekend and a
    /// change window. Written down in docs/api.md ("The API keys page").
    /// </summary>
    public static readonly TimeSpan ExpiringSoonWindow = TimeSpan.FromDays(14);

    /// <summary>Revoked wins over expired (a revoked key stays refused whatever its expiry); then expired; then expiring soon.</summary>
    public static ApiKeyState StateOf(ApiKeySummary key, DateTime utcNow)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key.RevokedAt is not null ? ApiKeyState.Revoked
            : key.ExpiresAt <= utcNow ? ApiKeyState.Expired
            : key.ExpiresAt - utcNow <= ExpiringSoonWindow ? ApiKeyState.ExpiringSoon
            : ApiKeyState.Active;
    }

    public static string Label(ApiKeyState state) => state switch
    {
        ApiKeyState.Active => "Active",
        ApiKeyState.ExpiringSoon => "Expiring soon",
        ApiKeyState.Expired => "Expired",
        ApiKeyState.Revoked => "Revoked",
        _ => state.ToString(),
    };

    /// <summary>The state as a test hook and CSS-safe token: active, expiring-soon, expired, revoked.</summary>
    public static string Hook(ApiKeyState state) => state switch
    {
        ApiKeyState.ExpiringSoon => "expiring-soon",
        _ => state.ToString().ToLowerInvariant(),
    };

    public static Color Color(ApiKeyState state) => state switch
    {
        ApiKeyState.Active => MudBlazor.Color.Success,
        ApiKeyState.ExpiringSoon => MudBlazor.Color.Warning,
        ApiKeyState.Expired => MudBlazor.Color.Error,
        ApiKeyState.Revoked => MudBlazor.Color.Dark,
        _ => MudBlazor.Color.Default,
    };

    /// <summary>What a scope allows, for the create dialog.</summary>
    public static string Describe(string scope) => scope switch
    {
        ApiKeyScopes.AuditWrite => "Write audit events (POST /api/v1/audit/events)",
        ApiKeyScopes.AuditRead => "Read the audit log and its checkpoints",
        ApiKeyScopes.LicensesRead => "Read license entitlements",
        ApiKeyScopes.UsersRead => "Read the user list",
        _ => scope,
    };

    /// <summary>A UTC time to the minute, for columns headed "UTC".</summary>
    public static string Time(DateTime? value, string missing = "Never") =>
        value is { } v ? v.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) : missing;

    public static string Number(int value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
