namespace CodeRaft.Admin.E2E.Shell;

/// <summary>The console's routes (CONTRACTS §9) and the heading each page shows: bookmarks and runbooks rely on them.</summary>
public static class AdminRoutes
{
    public const string Dashboard = "/";

    public static IReadOnlyList<(string Href, string Heading)> All { get; } =
    [
        (Dashboard, "Dashboard"),
        ("/users", "Users"),
        ("/api-keys", "API keys"),
        ("/audit", "Audit log"),
        ("/settings/security", "Security settings"),
        ("/settings/network", "Network"),
        ("/settings/siem", "SIEM"),
        ("/settings/licenses", "Licenses"),
        ("/account", "My account"),
    ];

    /// <summary>Routes whose screen is built; every other route still shows the "Coming" placeholder.</summary>
    public static IReadOnlySet<string> Built { get; } = new HashSet<string>(StringComparer.Ordinal) { Dashboard, "/users", "/api-keys", "/audit", "/settings/security", "/settings/network", "/settings/siem", "/settings/licenses", "/account" };
}
