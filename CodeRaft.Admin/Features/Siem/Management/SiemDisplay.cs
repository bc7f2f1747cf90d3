using System.Globalization;
using MudBlazor;

namespace CodeRaft.Admin.Features.Siem.Management;

/// <summary>How the SIEM page and the dashboard tile show delivery status.</summary>
public static class SiemDisplay
{
    public static string Hook(SiemHealth health) => health.ToString().ToLowerInvariant();

    public static Color Color(SiemHealth health) => health switch
    {
        SiemHealth.Healthy => MudBlazor.Color.Success,
        SiemHealth.Degraded => MudBlazor.Color.Warning,
        SiemHealth.Failing => MudBlazor.Color.Error,
        _ => MudBlazor.Color.Default,
    };

    public static string Lag(SiemTargetStatus status) =>
        status.LagEvents.ToString("N0", CultureInfo.InvariantCulture) + (status.LagEvents == 1 ? " event" : " events")
        + (status.LagTime is { } time ? " · " + Duration(time) : "");

    public static string Duration(TimeSpan time) => time.TotalSeconds < 120
        ? time.TotalSeconds.ToString("0", CultureInfo.InvariantCulture) + " s"
        : time.TotalMinutes < 120 ? time.TotalMinutes.ToString("0", CultureInfo.InvariantCulture) + " min"
        : time.TotalHours.ToString("0.#", CultureInfo.InvariantCulture) + " h";

    public static string Time(DateTime? value) => value is { } at ? at.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) : "never";

    /// <summary>The worst lag among enabled targets: the most seconds behind, then the most events.</summary>
    public static SiemTargetStatus? Worst(IEnumerable<SiemTargetStatus> statuses) => statuses
        .Where(s => s.Health != SiemHealth.Disabled)
        .OrderByDescending(s => s.LagTime ?? TimeSpan.Zero).ThenByDescending(s => s.LagEvents).ThenByDescending(s => s.Health)
        .FirstOrDefault();
}
