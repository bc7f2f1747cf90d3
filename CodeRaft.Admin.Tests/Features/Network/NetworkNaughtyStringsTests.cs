using CodeRaft.Admin.Features.Network;
using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Tests.Features.Audit.Viewer;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;

namespace CodeRaft.Admin.Tests.Features.Network;

/// <summary>Every naughty string as an entry and as a description: a clear message and nothing saved, or saved exactly.</summary>
public sealed class NetworkNaughtyStringsTests : IAsyncLifetime
{
    private readonly TempDirectory _data = new();
    private TestStore _store = null!;

    public async Task InitializeAsync() => _store = await TestStore.StartAsync(_data.Path, TestSecrets.NewMasterSecret());

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        _data.Dispose();
    }

    [Fact]
    public async Task ReplaceAsync_EveryNaughtyStringAsRangeOrDescription_RefusedWithAMessageOrStoredExactly()
    {
        var core = _store.Get<NetworkAllowlistCore>();
        foreach (var naughty in BigListOfNaughtyStrings.Load())
        {
            var asRange = await core.ReplaceAsync(UserOperator.HostCli, AllowlistScope.Ui, [new AllowlistEntryInput { Cidr = naughty }]);
            if (asRange.Outcome == NetworkOutcome.Invalid)
            {
                Assert.False(string.IsNullOrWhiteSpace(asRange.Message), naughty);
                Assert.DoesNotContain(asRange.Message, c => char.IsControl(c));
            }
            else
            {
                // Only an actual address can pass (e.g. "0.0.0.0"): then it is stored normalized.
                Assert.True(System.Net.IPAddress.TryParse(naughty.Trim(), out _), naughty);
            }

            var asDescription = await core.ReplaceAsync(UserOperator.HostCli, AllowlistScope.Api, [new AllowlistEntryInput { Cidr = "192.0.2.0/24", Description = naughty }]);
            await using var db = await _store.Contexts.CreateDbContextAsync();
            var stored = await db.NetworkAllowlist.AsNoTracking().Where(e => e.Scope == AllowlistScope.Api).ToListAsync();
            if (asDescription.Outcome == NetworkOutcome.Invalid)
            {
                Assert.False(string.IsNullOrWhiteSpace(asDescription.Message), naughty);
            }
            else
            {
                Assert.Equal(naughty.Trim(), Assert.Single(stored).Description);
            }

            await core.ResetAsync(UserOperator.HostCli);
        }
    }
}
