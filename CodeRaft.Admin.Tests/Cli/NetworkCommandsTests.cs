using CodeRaft.Admin.Features.Audit;
using CodeRaft.Admin.Features.Network;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;

namespace CodeRaft.Admin.Tests.Cli;

/// <summary><c>network allowlist list|add|remove|reset</c> of the real binary: the break-glass path, audited as cli.</summary>
public sealed class NetworkCommandsTests : IDisposable
{
    private readonly TempDirectory _work = new();
    private readonly string _secret = TestSecrets.NewMasterSecret();

    public void Dispose() => _work.Dispose();

    private string DataDirectory => _work.Combine("data");

    private Task<AppProcess.Result> RunAsync(params string[] args) => AppProcess.RunAsync(_work.Path, AppProcess.Environment(DataDirectory, _secret), args);

    private async Task<(List<AllowlistEntry> Entries, List<AuditEntry> Audit)> StoreAsync()
    {
        await using var store = await TestStore.StartAsync(DataDirectory, _secret);
        await using var db = await store.Contexts.CreateDbContextAsync();
        return (await db.NetworkAllowlist.AsNoTracking().ToListAsync(),
            await db.AuditEntries.AsNoTracking().Where(e => e.Category == "network").OrderBy(e => e.Sequence).ToListAsync());
    }

    [Fact]
    public async Task AddListRemoveReset_ValidInput_ChangesListsAndAuditsAsCli()
    {
        var added = await RunAsync("network", "allowlist", "add", "::ffff:10.0.0.0/104", "--scope", "ui", "--description", "office VPN");
        Assert.Equal(0, added.ExitCode);
        Assert.Contains("Added 10.0.0.0/8 to the ui allowlist", added.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(0, (await RunAsync("network", "allowlist", "add", "2001:db8::/32", "--scope", "api")).ExitCode);

        var again = await RunAsync("network", "allowlist", "add", "10.0.0.0/8", "--scope", "ui");
        Assert.Equal(0, again.ExitCode);
        Assert.Contains("already in the ui list", again.StandardOutput, StringComparison.Ordinal);

        var list = await RunAsync("network", "allowlist", "list");
        Assert.Equal(0, list.ExitCode);
        Assert.Contains("10.0.0.0/8", list.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("office VPN", list.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("2001:db8::/32", list.StandardOutput, StringComparison.Ordinal);

        var (entries, _) = await StoreAsync();
        var ui = Assert.Single(entries, e => e.Scope == AllowlistScope.Ui);
        Assert.Equal(("10.0.0.0/8", "office VPN", "cli"), (ui.Cidr, ui.Description, ui.CreatedBy));

        Assert.Equal(0, (await RunAsync("network", "allowlist", "remove", ui.Id.ToString())).ExitCode);
        var reset = await RunAsync("network", "allowlist", "reset");
        Assert.Equal(0, reset.ExitCode);
        Assert.Contains("Cleared both allowlists (1 entries)", reset.StandardOutput, StringComparison.Ordinal);

        var (after, audit) = await StoreAsync();
        Assert.Empty(after);
        Assert.Equal(
            ["network.allowlist_entry_added", "network.allowlist_entry_added", "network.allowlist_entry_removed", "network.allowlist_reset"],
            audit.Select(a => a.Action));
        Assert.All(audit, a => Assert.Equal(("cli", "success"), (a.ActorType, a.Outcome)));
        Assert.Contains("\"2001:db8::/32\"", audit[^1].Details, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("10.1.2.3/8", "ui", "did you mean 10.0.0.0/8?")]
    [InlineData("not-an-address", "ui", "is not an IP address")]
    [InlineData("10.0.0.0/8", "console", "--scope must be ui")]
    public async Task Add_BadInput_ExitsTwoWithOneSentenceAndChangesNothing(string cidr, string scope, string expected)
    {
        var result = await RunAsync("network", "allowlist", "add", cidr, "--scope", scope);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(expected, result.StandardError, StringComparison.Ordinal);
        Assert.Single(result.StandardError.Trim().Split('\n'));
        Assert.False(Directory.Exists(DataDirectory) && (await StoreAsync()).Entries.Count > 0);
    }

    [Fact]
    public async Task Remove_UnknownId_ExitsTwo()
    {
        var result = await RunAsync("network", "allowlist", "remove", Guid.NewGuid().ToString());

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("No allowlist entry has this id.", result.StandardError, StringComparison.Ordinal);
    }
}
