using System.Globalization;
using MudBlazor;

namespace CodeRaft.Admin.Features.Users.Directory;

/// <summary>How users are shown on screens: one place for labels and colours, so the grid and the drawer agree.</summary>
public static class UserDisplay
{
    /// <summary>A UTC time to the minute, for grid columns headed "UTC".</summary>
    public static string Time(DateTime? value, string missing = "Never") =>
        value is { } v ? v.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) : missing;

    /// <summary>A UTC time to the second with its zone, for the drawer.</summary>
    public static string TimeUtc(DateTime value) => value.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    public static string Label(AdminUserStatus status) => status switch
    {
        AdminUserStatus.Active => "Active",
        AdminUserStatus.Invited => "Invited",
        AdminUserStatus.Disabled => "Disabled",
        _ => status.ToString(),
    };

    public static Color StatusColor(AdminUserStatus status) => status switch
    {
        AdminUserStatus.Active => Color.Success,
        AdminUserStatus.Invited => Color.Info,
        AdminUserStatus.Disabled => Color.Error,
        _ => Color.Default,
    };

    public static Color RoleColor(AdminRole role) => role switch
    {
        AdminRole.Owner => Color.Secondary,
        AdminRole.Administrator => Color.Primary,
        _ => Color.Default,
    };

    /// <summary>The audit viewer's outcome colours (AuditPage).</summary>
    public static Color OutcomeColor(string outcome) => outcome switch
    {
        "success" => Color.Success,
        "denied" => Color.Warning,
        "failure" => Color.Error,
        _ => Color.Default,
    };
}
