using CodeRaft.Admin.Features.Licenses;
using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;

namespace CodeRaft.Admin.Tests.Features.Licenses;

/// <summary>
/// Two portal processes (two stores on one database, so no in-process lock helps) granting seats and installing
/// licenses at the same time: grants never exceed the seats, and licenses of two organizations never both get in.
/// </summary>
public abstract class LicenseConcurrencyTests : IAsyncLifetime
{
    private readonly TempDirectory _data = new("coderaft-license-concurrency");
    private readonly string _secret = TestSecrets.NewMasterSecret();
    private LicensesWorld _first = null!;
    private LicensesWorld _second = null!;

    protected abstract Task<string?> DatabaseAsync();

    public async Task InitializeAsync()
    {
        var database = await DatabaseAsync();
        _first = await LicensesWorld.StartAsync(_data.Path, _secret, postgres: database);
        _second = await LicensesWorld.StartAsync(_data.Path, _secret, postgres: database);
    }

    public async Task DisposeAsync()
    {
        await _first.DisposeAsync();
        await _second.DisposeAsync();
        _data.Dispose();
    }

    [Fact]
    public async Task GrantProductAsync_TwoProcessesAtOnce_NeverExceedTheSeats()
    {
        await _first.InstallAsync(TestLicenses.Vendor.Issue("redfox-bastion", maxUsers: 4, issuedAt: LicensesWorld.Start.AddDays(-1)));
        var users = new List<Guid>();
        for (var i = 0; i < 10; i++)
        {
            users.Add(await _first.SeedUserAsync(AdminRole.Viewer));
        }

        var results = await Task.WhenAll(users.Select((u, i) => Task.Run(() => (i % 2 == 0 ? _first : _second).Users.GrantProductAsync(UserOperator.HostCli, u, Product.RedFoxBastion))));

        Assert.Equal(4, results.Count(r => r.Succeeded));
        await using var db = await _first.Store.Contexts.CreateDbContextAsync();
        Assert.Equal(4, await db.ProductAccess.CountAsync(a => a.Product == Product.RedFoxBastion));
    }

    [Fact]
    public async Task InstallAsync_TwoOrganizationsFromTwoProcessesAtOnce_OnlyOneGetsIn()
    {
        var ours = TestLicenses.Vendor.Issue("entraguard", issuedAt: LicensesWorld.Start.AddDays(-1), organization: "org-a");
        var theirs = TestLicenses.Vendor.Issue("ravenscan", issuedAt: LicensesWorld.Start.AddDays(-1), organization: "org-b");

        var results = await Task.WhenAll(
            Task.Run(() => _first.Core.InstallAsync(UserOperator.HostCli, ours)),
            Task.Run(() => _second.Core.InstallAsync(UserOperator.HostCli, theirs)));

        Assert.Single(results, r => r.Succeeded);
        Assert.Single(results, r => r.Rejection?.Reason == LicenseRejectionReason.OtherOrganization);
        Assert.Single((await _first.RowsAsync()).Select(r => r.OrganizationId).Distinct());
    }
}

public sealed class SqliteLicenseConcurrencyTests : LicenseConcurrencyTests
{
    protected override Task<string?> DatabaseAsync() => Task.FromResult<string?>(null);
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresLicenseConcurrencyTests(PostgresServer postgres) : LicenseConcurrencyTests
{
    protected override async Task<string?> DatabaseAsync() => await postgres.CreateDatabaseAsync();
}
