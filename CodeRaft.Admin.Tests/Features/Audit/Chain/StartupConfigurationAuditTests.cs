using System.Text.Json.Nodes;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;

namespace CodeRaft.Admin.Tests.Features.Audit.Chain;

public sealed class StartupConfigurationAuditTests : IDisposable
{
    private readonly TempDirectory _work = new();
    private readonly string _secret = TestSecrets.NewMasterSecret();

    public void Dispose() => _work.Dispose();

    [Fact]
    public async Task Start_ConfigurationChangedSinceLastStart_AuditedWithBeforeAndAfter()
    {
        await RunPortalOnceAsync(("Network__TrustedProxies__0", "127.0.0.1"));
        await RunPortalOnceAsync(("Network__TrustedProxies__0", "127.0.0.1"));
        await RunPortalOnceAsync(("Network__TrustedProxies__0", "192.0.2.0/24"));

        await using var store = await TestStore.StartAsync(_work.Combine("data"), _secret);
        await using var db = await store.Contexts.CreateDbContextAsync();
        var actions = await db.AuditEntries.OrderBy(e => e.Sequence).Select(e => e.Action).ToListAsync();
        Assert.Equal(1, actions.Count(a => a == "settings.configuration_changed")); // the unchanged restart added none
        var change = JsonNode.Parse((await db.AuditEntries.SingleAsync(e => e.Action == "settings.configuration_changed")).Details)!;
        Assert.Equal("trustedProxies", change["changed"]![0]!.GetValue<string>());
        Assert.Equal("127.0.0.1", change["before"]!["trustedProxies"]![0]!.GetValue<string>());
        Assert.Equal("192.0.2.0/24", change["after"]!["trustedProxies"]![0]!.GetValue<string>());
        var started = JsonNode.Parse((await db.AuditEntries.Where(e => e.Action == "system.started").OrderBy(e => e.Sequence).FirstAsync()).Details)!;
        Assert.Equal("Sqlite", started["configuration"]!["databaseProvider"]!.GetValue<string>());
        Assert.DoesNotContain(_secret, string.Join('\n', await db.AuditEntries.Select(e => e.Details).ToListAsync()), StringComparison.Ordinal);
    }

    private async Task RunPortalOnceAsync(params (string Key, string? Value)[] settings)
    {
        var environment = new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Storage__DataDirectory"] = _work.Combine("data"),
            ["CODERAFT_MASTER_SECRET"] = _secret,
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{AppProcess.FreePort()}",
        };
        foreach (var (key, value) in settings)
        {
            environment[key] = value;
        }

        using var process = AppProcess.Start(_work.Path, environment);
        try
        {
            await AppProcess.WaitUntilReadyAsync(process, new Uri(new Uri(environment["ASPNETCORE_URLS"]!), "/readyz"), TimeSpan.FromSeconds(60));
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }
}
