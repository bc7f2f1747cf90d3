using MudBlazor;

namespace CodeRaft.Admin.Components.Layout;

public sealed record NavEntry(string Title, string Href, string Icon, string? Group = null);

/// <summary>Every console screen of PRODUCT.md, with the routes of CONTRACTS §9 (bookmarks and runbooks link to them).</summary>
public static class AdminNavigation
{
    public static IReadOnlyList<NavEntry> Entries { get; } =
    [
        new("Dashboard", "/", Icons.Material.Filled.Dashboard),
        new("Users", "/users", Icons.Material.Filled.People),
        new("API keys", "/api-keys", Icons.Material.Filled.Key),
        new("Audit log", "/audit", Icons.Material.Filled.FactCheck),
        new("Security", "/settings/security", Icons.Material.Filled.Security, "Settings"),
        new("Network", "/settings/network", Icons.Material.Filled.Lan, "Settings"),
        new("SIEM", "/settings/siem", Icons.Material.Filled.Podcasts, "Settings"),
        new("Licenses", "/settings/licenses", Icons.Material.Filled.WorkspacePremium, "Settings"),
        new("My account", "/account", Icons.Material.Filled.AccountCircle),
    ];
}
