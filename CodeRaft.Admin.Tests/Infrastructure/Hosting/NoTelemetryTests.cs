using System.Text.Json;

namespace CodeRaft.Admin.Tests.Infrastructure.Hosting;

public sealed class NoTelemetryTests
{
    // Packages whose purpose is to send data off the machine. None may ship with the portal.
    private static readonly string[] _forbidden =
    [
        "ApplicationInsights", "OpenTelemetry.Exporter", "Azure.Monitor", "Sentry", "Datadog", "NewRelic",
        "Elastic.Apm", "Segment", "Mixpanel", "Amplitude", "Bugsnag", "Raygun", "Honeycomb", "Rollbar",
    ];

    [Fact]
    public void Dependencies_OfThePortal_ContainNoTelemetryOrAnalyticsPackage()
    {
        using var deps = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "CodeRaft.Admin.deps.json")));
        var libraries = deps.RootElement.GetProperty("libraries").EnumerateObject().Select(l => l.Name).ToList();

        Assert.NotEmpty(libraries);
        Assert.Contains(libraries, l => l.StartsWith("MudBlazor/", StringComparison.Ordinal));
        Assert.DoesNotContain(libraries, l => _forbidden.Any(f => l.Contains(f, StringComparison.OrdinalIgnoreCase)));
    }
}
